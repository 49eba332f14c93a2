/** openEHR de-identification: the RM classes read (rm.ts) and the anonymiser of COMPOSITION and EHR_STATUS. */
export { anonymizeComposition, anonymizeEhrStatus, subjectIdentity, UnknownSubjectError, PARTY_PSEUDONYM_NAMESPACE, type OpenEhrAnonymizeOptions } from './anonymize.ts';
export { InvalidRmError, readRm, type RmObject } from './rm.ts';
