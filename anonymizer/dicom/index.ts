/**
 * DICOM de-identification: PS3.15 Annex E, the Basic Application Level Confidentiality Profile
 * and its options, driven by the standard's Table E.1-1 (confidentiality-profile.json).
 */
export { anonymizeDicom, dicomPatientIdentity, BurnedInAnnotationError, UnreadableDicomError, type AnonymizedDicom } from './anonymize.ts';
export { DEFAULT_DICOM_ANONYMIZE_OPTIONS, methodsUsed, resolveOptions, type DicomAnonymizeOptions, type SafePrivateTag } from './options.ts';
export { confidentialityProfile, PROFILE_ROWS, rowAction, type ConfidentialityProfile, type ProfileAction, type ProfileRow } from './profile-table.ts';
