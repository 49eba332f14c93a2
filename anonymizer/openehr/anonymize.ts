/**
 * De-identification of openEHR COMPOSITION and EHR_STATUS (canonical JSON), class by class of
 * the RM model in rm.ts, with the patient's pseudonym and date shift, the same ones the FHIR and
 * DICOM exports give:
 * - the subject (PARTY_SELF) refers to the pseudonym (namespace PSEUDONYM_SYSTEM, as the FHIR
 *   Patient's pseudonymous identifier), whether or not the source named it;
 * - other parties (composer, performers, providers, the facility) lose names and identifiers and
 *   keep a keyed pseudonymous reference, so one clinician stays one clinician;
 * - DV_DATE and DV_DATE_TIME move by the shift (DV_TIME and durations stay: intervals are kept);
 * - ELEMENT values that identify (DV_IDENTIFIER), may show anything (DV_MULTIMEDIA) or point
 *   somewhere (DV_URI) are masked with the null flavour "masked", and so, by default, are
 *   free-text values (a DV_TEXT that is not coded, a DV_PARSABLE);
 * - feeder audit ids and content, links, workflow ids and the context's location go;
 * - uids are replaced by keyed ones, so references between compositions still meet.
 * @see https://specifications.openehr.org/releases/RM/latest/common.html#_party_proxy_package
 * @see https://specifications.openehr.org/releases/RM/latest/data_structures.html#_element_class (null_flavour)
 */
import { shiftIsoDate } from '../date-shift.ts';
import { patientIdentity, PSEUDONYM_SYSTEM, type Pseudonymizer } from '../pseudonyms.ts';
import { InvalidRmError, readRm, type RmObject, type RmValue } from './rm.ts';

export interface OpenEhrAnonymizeOptions {
  /** The identity (`patientIdentity`) of the EHR's subject; by default the document's own subject reference. */
  identity?: string;
  /** Free-text values are masked (default true): no rule can prove a sentence free of identity. */
  removeFreeText?: boolean;
  /** The creating system written into replaced version uids (default `passerelle`). */
  systemId?: string;
}

/** The document names no subject and none was given: its pseudonym cannot be chosen. */
export class UnknownSubjectError extends Error {}

/** The namespace of the pseudonymous references given to parties other than the patient. */
export const PARTY_PSEUDONYM_NAMESPACE = 'https://passerelle.health/openehr/party-pseudonym';

/** openEHR terminology "masked" (272): a value withheld, e.g. for privacy. */
const MASKED: RmObject = {
  _type: 'DV_CODED_TEXT',
  value: 'masked',
  defining_code: { _type: 'CODE_PHRASE', terminology_id: { _type: 'TERMINOLOGY_ID', value: 'openehr' }, code_string: '272' },
};
const REMOVED_TEXT = '(removed)';
const ALWAYS_MASKED = new Set(['DV_IDENTIFIER', 'DV_MULTIMEDIA', 'DV_URI', 'DV_EHR_URI']);
const FREE_TEXT = new Set(['DV_TEXT', 'DV_PARSABLE']);
/** Attributes that go whatever their class (LOCATABLE.links, ENTRY.workflow_id, EVENT_CONTEXT.location...). */
const DROPPED = new Set(['links', 'workflow_id', 'location', 'hyperlink', 'null_reason', 'version_id', 'originating_system_item_ids', 'feeder_system_item_ids', 'original_content']);

/**
 * A de-identified copy of a canonical JSON COMPOSITION.
 * @throws InvalidRmError when the document is not a COMPOSITION of the classes Passerelle reads
 * @throws UnknownSubjectError when no identity is given and the composition names no subject
 */
export function anonymizeComposition(json: unknown, pseudonymizer: Pseudonymizer, options: OpenEhrAnonymizeOptions = {}): RmObject {
  return anonymizeDocument(readRm(json, 'COMPOSITION'), pseudonymizer, options);
}

/** A de-identified copy of a canonical JSON EHR_STATUS (its subject is the patient). */
export function anonymizeEhrStatus(json: unknown, pseudonymizer: Pseudonymizer, options: OpenEhrAnonymizeOptions = {}): RmObject {
  return anonymizeDocument(readRm(json, 'EHR_STATUS'), pseudonymizer, options);
}

function anonymizeDocument(document: RmObject, pseudonymizer: Pseudonymizer, options: OpenEhrAnonymizeOptions): RmObject {
  const identity = options.identity ?? subjectIdentity(document);
  if (identity === undefined) throw new UnknownSubjectError(`the ${document._type} names no subject (PARTY_SELF.external_ref): give the EHR subject's identity`);
  const pass: Pass = {
    pseudonymizer,
    pseudonym: pseudonymizer.pseudonym(identity),
    shiftDays: pseudonymizer.dateShiftDays(identity),
    removeFreeText: options.removeFreeText ?? true,
    systemId: options.systemId ?? 'passerelle',
  };
  return transform(document, pass);
}

/**
 * The identity of the patient a document is about, from the first subject reference in it
 * (EHR_STATUS.subject, an entry's subject): `namespace|id` of its PARTY_REF, the namespace being
 * the FHIR identifier system of the patient (the convention of Passerelle's openEHR REST).
 */
export function subjectIdentity(document: RmObject): string | undefined {
  let found: string | undefined;
  const visit = (value: RmValue, attribute: string): void => {
    if (found !== undefined || value === undefined || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach((item) => visit(item, attribute));
    if (value._type === 'PARTY_SELF') {
      const ref = value.external_ref as RmObject | undefined;
      const id = (ref?.id as RmObject | undefined)?.value;
      if (typeof id === 'string') found = patientIdentity(typeof ref?.namespace === 'string' ? ref.namespace : undefined, id);
      return;
    }
    for (const [name, child] of Object.entries(value)) visit(child, name);
  };
  visit(document, '');
  return found;
}

interface Pass {
  pseudonymizer: Pseudonymizer;
  pseudonym: string;
  shiftDays: number;
  removeFreeText: boolean;
  systemId: string;
}

/** An object of any class after its class's rule. */
function transform(object: RmObject, pass: Pass): RmObject {
  switch (object._type) {
    case 'PARTY_SELF':
      return { _type: 'PARTY_SELF', external_ref: { _type: 'PARTY_REF', id: { _type: 'GENERIC_ID', value: pass.pseudonym, scheme: 'pseudonym' }, namespace: PSEUDONYM_SYSTEM, type: 'PERSON' } };
    case 'PARTY_IDENTIFIED':
    case 'PARTY_RELATED':
      return otherParty(object, pass);
    case 'DV_DATE':
    case 'DV_DATE_TIME':
      return { ...children(object, pass), value: shiftedDate(object, pass) };
    case 'HIER_OBJECT_ID':
    case 'OBJECT_VERSION_ID':
      return { _type: object._type, value: replacedUid(String(object.value), pass) };
    case 'ELEMENT':
      return element(object, pass);
    case 'INSTRUCTION':
      return pass.removeFreeText ? { ...children(object, pass), narrative: { _type: 'DV_TEXT', value: REMOVED_TEXT } } : children(object, pass);
    case 'ISM_TRANSITION': {
      const out = children(object, pass);
      if (pass.removeFreeText && Array.isArray(out.reason)) out.reason = out.reason.filter((reason) => reason._type !== 'DV_TEXT');
      return out;
    }
    default:
      return children(object, pass);
  }
}

/** The object with each attribute transformed, and the attributes that always go left out. */
function children(object: RmObject, pass: Pass): RmObject {
  const out: RmObject = { _type: object._type };
  for (const [name, value] of Object.entries(object)) {
    if (name === '_type' || DROPPED.has(name) || value === undefined) continue;
    if (Array.isArray(value)) out[name] = value.map((item) => transform(item, pass));
    else out[name] = typeof value === 'object' ? transform(value, pass) : value;
  }
  return out;
}

/** The date moved by the patient's shift; a value that is not an ISO 8601 date breaks the RM, so the document is refused. */
function shiftedDate(object: RmObject, pass: Pass): string {
  const shifted = typeof object.value === 'string' ? shiftIsoDate(object.value, pass.shiftDays) : undefined;
  if (shifted === undefined) throw new InvalidRmError(object._type, 'the value is not an ISO 8601 date');
  return shifted;
}

/**
 * A party other than the patient: no name, no identifiers, and a keyed reference derived from
 * what identified it (its external reference, else its name, else its first identifier).
 */
function otherParty(object: RmObject, pass: Pass): RmObject {
  const ref = object.external_ref as RmObject | undefined;
  const refId = (ref?.id as RmObject | undefined)?.value;
  const identifiers = (object.identifiers as RmObject[] | undefined) ?? [];
  const known = refId !== undefined ? `ref|${String(ref?.namespace ?? '')}|${String(refId)}` : object.name !== undefined ? `name|${String(object.name)}` : `id|${String(identifiers[0]?.id ?? '')}`;
  const out: RmObject = {
    _type: object._type,
    external_ref: {
      _type: 'PARTY_REF',
      id: { _type: 'GENERIC_ID', value: pass.pseudonymizer.hash(known).slice(0, 32), scheme: 'pseudonym' },
      namespace: PARTY_PSEUDONYM_NAMESPACE,
      type: typeof ref?.type === 'string' ? ref.type : 'PARTY',
    },
  };
  if (object.relationship !== undefined) out.relationship = transform(object.relationship as RmObject, pass);
  return out;
}

/** An ELEMENT whose value identifies, shows or points to anything, or is free text, is masked. */
function element(object: RmObject, pass: Pass): RmObject {
  const value = object.value as RmObject | undefined;
  const masked = value !== undefined && (ALWAYS_MASKED.has(value._type) || (pass.removeFreeText && FREE_TEXT.has(value._type)));
  if (!masked) return children(object, pass);
  const out = children(object, pass);
  delete out.value;
  return { ...out, null_flavour: structuredClone(MASKED) };
}

/**
 * A uid replaced by a keyed one of the same form: a UUID (the object id of a version uid too,
 * whose creating system becomes Passerelle and whose version stays), so the same uid always
 * maps to the same replacement.
 */
function replacedUid(value: string, pass: Pass): string {
  const [objectId = '', , version] = value.split('::');
  const uuid = keyedUuid(pass.pseudonymizer.hash(`uid|${objectId}`));
  return version === undefined ? uuid : `${uuid}::${pass.systemId}::${version}`;
}

/** A version 8 UUID (RFC 9562: custom) from the first 128 bits of a hex digest. */
function keyedUuid(hex: string): string {
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
