/**
 * The request bodies of the openEHR REST API, in their canonical JSON form, and the checks they
 * must pass: the few attributes the API itself needs, and conformance to the RM classes that
 * Passerelle reads (anonymizer/openehr/rm.ts), so that everything stored can also be exported
 * de-identified. Documents are stored as received; they are not validated against templates.
 * @see https://specifications.openehr.org/releases/ITS-JSON/latest/components/RM/Latest/index.html
 */
import { InvalidRmError, readRm } from '../anonymizer/openehr/index.ts';
import { badRequest } from './errors.ts';

/** Any canonical JSON RM object: `_type` names its class. */
export interface RmObject {
  _type?: string;
  [attribute: string]: unknown;
}

export interface ObjectVersionId {
  _type: 'OBJECT_VERSION_ID';
  value: string;
}

/** A PARTY_REF: `id.value` within `namespace`. */
export interface PartyRef extends RmObject {
  id?: RmObject & { value?: unknown; scheme?: unknown };
  namespace?: unknown;
  type?: unknown;
}

export interface EhrStatus extends RmObject {
  _type: 'EHR_STATUS';
  subject?: RmObject & { external_ref?: PartyRef };
  uid?: ObjectVersionId;
}

export interface Composition extends RmObject {
  _type: 'COMPOSITION';
  archetype_node_id: string;
  name: RmObject & { value: string };
  composer: RmObject;
  uid?: ObjectVersionId;
}

/** Whom an EHR is about, taken from EHR_STATUS.subject.external_ref. */
export interface SubjectRef {
  namespace: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

const isObject = (value: unknown): value is RmObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/**
 * The EHR_STATUS of a new EHR: the body when there is one (checked), otherwise the default the
 * ITS prescribes (queryable, modifiable, an anonymous PARTY_SELF subject).
 */
export function ehrStatusOf(body: unknown): EhrStatus {
  if (body === undefined) {
    return {
      _type: 'EHR_STATUS',
      archetype_node_id: 'openEHR-EHR-EHR_STATUS.generic.v1',
      name: { _type: 'DV_TEXT', value: 'EHR Status' },
      subject: { _type: 'PARTY_SELF' },
      is_queryable: true,
      is_modifiable: true,
    };
  }
  if (!isObject(body) || body._type !== 'EHR_STATUS') throw badRequest('The body must be a canonical JSON EHR_STATUS (_type "EHR_STATUS")');
  if (body.subject !== undefined && !isObject(body.subject)) throw badRequest('EHR_STATUS.subject must be a PARTY_SELF object');
  subjectOf(body as EhrStatus); // refuses a half-given subject now, as a 400, not at insert time
  conforming(body, 'EHR_STATUS');
  return body as EhrStatus;
}

/**
 * The subject of an EHR_STATUS: external_ref.id.value in external_ref.namespace; undefined for an
 * anonymous PARTY_SELF (no external_ref). A half-given reference is refused, since it could not
 * be found again.
 */
export function subjectOf(status: EhrStatus): SubjectRef | undefined {
  const ref = status.subject?.external_ref;
  if (ref === undefined) return undefined;
  if (!isObject(ref) || !isObject(ref.id) || !nonEmpty(ref.id.value) || !nonEmpty(ref.namespace)) {
    throw badRequest('EHR_STATUS.subject.external_ref needs id.value and namespace');
  }
  return { namespace: ref.namespace, id: ref.id.value };
}

/** Checks that a request body is a COMPOSITION with the attributes every composition has. */
export function compositionOf(body: unknown): Composition {
  if (!isObject(body) || body._type !== 'COMPOSITION') throw badRequest('The body must be a canonical JSON COMPOSITION (_type "COMPOSITION")');
  if (!nonEmpty(body.archetype_node_id)) throw badRequest('COMPOSITION.archetype_node_id is required');
  if (!isObject(body.name) || !nonEmpty(body.name.value)) throw badRequest('COMPOSITION.name with a value is required');
  if (!isObject(body.composer)) throw badRequest('COMPOSITION.composer is required');
  conforming(body, 'COMPOSITION');
  return body as Composition;
}

/** Refuses, as a 400 naming where, a document of classes or attributes the RM model does not know. */
function conforming(body: RmObject, type: 'COMPOSITION' | 'EHR_STATUS'): void {
  try {
    readRm(body, type);
  } catch (err) {
    if (err instanceof InvalidRmError) throw badRequest(`The ${type} does not conform to the openEHR RM classes Passerelle reads: ${err.message}`);
    throw err;
  }
}

/** A `uid_based_id` of the URL: a versioned object uuid, or a version uid `uuid::system::version`. */
export interface UidBasedId {
  uuid: string;
  system?: string;
  version?: string;
}

/**
 * Parses a composition id of the URL (400 when it is neither form).
 * @see https://specifications.openehr.org/releases/ITS-REST/latest/overview.html
 */
export function parseUidBasedId(text: string): UidBasedId {
  const parts = text.split('::');
  const [uuid, system, version] = parts;
  if (uuid === undefined || !isUuid(uuid) || (parts.length !== 1 && parts.length !== 3) || (parts.length === 3 && (!system || !version))) {
    throw badRequest(`${text} is neither a versioned object uuid nor a version uid uuid::system::version`);
  }
  return parts.length === 1 ? { uuid: uuid.toLowerCase() } : { uuid: uuid.toLowerCase(), system, version };
}

export const versionUid = (uuid: string, systemId: string, version: number): string => `${uuid}::${systemId}::${version}`;
