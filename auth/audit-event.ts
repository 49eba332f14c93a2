/**
 * One access, as a FHIR R4 AuditEvent in the style of IHE Basic Audit Log Patterns (BALP): the
 * event type (`rest` for FHIR, DICOM event ids for DICOMweb, HL7 ingest, export, login, admin),
 * the interaction as subtype, the action and outcome codes, three agents (the user, the client
 * machine with its network address, the server), the server as source, and the entities touched:
 * the resource or DICOM study, the patient when known, the query (base64, as received) and the
 * request id. Built from a small {@link AccessRecord} so that every channel audits alike.
 * Pure: the caller writes the result through the repository (in the same store, even when the
 * request failed).
 *
 * Secrets never reach it: a principal carries no credentials, and free text (query, outcome text)
 * has token, password and Authorization-like values replaced by `[redacted]`.
 * @see https://hl7.org/fhir/R4/auditevent.html
 * @see https://profiles.ihe.net/ITI/BALP/content.html (RESTful activities)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part15/sect_A.5.3.html (DICOM audit events)
 */
import { isIP } from 'node:net';
import type { AuditEvent, AuditEventAgent, AuditEventEntity, CodeableConcept, Coding, ResourceType } from '@medplum/fhirtypes';
import type { Principal } from './principal.ts';

export type AccessChannel = 'fhir' | 'dicomweb' | 'openehr' | 'hl7' | 'admin' | 'auth' | 'export' | 'events';
export type AccessOutcome = 'success' | 'minor' | 'serious' | 'major';

/** What the enforcement knows about one access, success or failure. */
export interface AccessRecord {
  /** Who, once authenticated; undefined for anonymous requests and failed logins. */
  principal: Principal | undefined;
  /** The user name a failed login gave (never the password): who tried, when nobody is authenticated. */
  attemptedUser?: string;
  /** The client's network address (IP address or host name). */
  address: string;
  channel: AccessChannel;
  /**
   * fhir: a restful-interaction code (read, vread, search, history, create, update, patch,
   * delete, operation, batch, transaction, capabilities); dicomweb: store, search, retrieve,
   * delete; auth: login, logout, token; hl7: ingest; events: stream (`/events`), websocket
   * (`/fhir/ws`); admin, export: the action's name.
   */
  interaction: string;
  /** For `operation`: its name (`$find-available-beds`). */
  operation?: string;
  resourceType?: string;
  id?: string;
  studyUid?: string;
  /** The patient concerned, when known: an id or `Patient/<id>`. */
  patient?: string;
  /** A search or query as received (`GET /fhir/Patient?name=x`, a query string, a QIDO URL). */
  query?: string;
  outcome: AccessOutcome;
  /** Why it failed (an OperationOutcome's diagnostics, a DICOM failure reason). */
  outcomeText?: string;
  at: Date;
  /** The request's id (X-Request-Id), to find the matching log lines. */
  requestId?: string;
}

/** The auditing server, as agent and source. */
export interface AuditSource {
  /** Default `Passerelle`. */
  name?: string;
  /** The site or enterprise (e.g. the hospital's FINESS or host name). */
  site?: string;
  /** The server's base URL, as its network address. */
  url?: string;
}

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const PASSERELLE = 'https://passerelle.health/fhir';
/** Passerelle's codes for interactions no standard system names (DICOMweb, HL7, admin, export). */
export const AUDIT_INTERACTION_SYSTEM = `${PASSERELLE}/CodeSystem/audit-interaction`;
export const ROLE_SYSTEM = `${PASSERELLE}/CodeSystem/role`;
export const PRINCIPAL_SYSTEM = `${PASSERELLE}/sid/principal`;
const BALP_ENTITY_TYPE = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';

const coding = (system: string, code: string, display?: string): Coding => (display ? { system, code, display } : { system, code });
const TYPE_REST = coding('http://terminology.hl7.org/CodeSystem/audit-event-type', 'rest', 'RESTful Operation');
const DICOM_TYPES = {
  transferred: coding(DCM, '110104', 'DICOM Instances Transferred'),
  query: coding(DCM, '110112', 'Query'),
  deleted: coding(DCM, '110105', 'DICOM Study Deleted'),
  import: coding(DCM, '110107', 'Import'),
  export: coding(DCM, '110106', 'Export'),
  authentication: coding(DCM, '110114', 'User Authentication'),
  application: coding(DCM, '110100', 'Application Activity'),
};
const LOGIN = coding(DCM, '110122', 'Login');
const LOGOUT = coding(DCM, '110123', 'Logout');
const SOURCE_ROLE = coding(DCM, '110153', 'Source Role ID');
const DESTINATION_ROLE = coding(DCM, '110152', 'Destination Role ID');
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const RECIPIENT = coding(PARTICIPATION, 'IRCP', 'information recipient');
const AUTHOR = coding(PARTICIPATION, 'AUT', 'author (originator)');
const APPLICATION_SERVER = coding('http://terminology.hl7.org/CodeSystem/security-source-type', '4', 'Application Server');
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const DICOMWEB_DISPLAY: Record<string, string> = { store: 'STOW-RS', search: 'QIDO-RS', retrieve: 'WADO-RS', delete: 'DELETE' };

type Action = NonNullable<AuditEvent['action']>;
const OUTCOME: Record<AccessOutcome, { code: NonNullable<AuditEvent['outcome']>; text: string }> = {
  success: { code: '0', text: 'Success' },
  minor: { code: '4', text: 'Minor failure' },
  serious: { code: '8', text: 'Serious failure' },
  major: { code: '12', text: 'Major failure' },
};

/** C/R/U/D/E for an interaction (BALP: searches and operations execute; DICOM: export reads, import creates). */
function actionOf(record: AccessRecord): Action {
  const { channel, interaction } = record;
  if (channel === 'export') return 'R';
  if (channel === 'hl7') return 'C';
  if (['create', 'store'].includes(interaction)) return 'C';
  if (['read', 'vread', 'retrieve', 'capabilities'].includes(interaction) || interaction.startsWith('history')) return 'R';
  if (['update', 'patch'].includes(interaction)) return 'U';
  if (interaction === 'delete') return 'D';
  return 'E';
}

function typeOf({ channel, interaction }: AccessRecord): Coding {
  switch (channel) {
    case 'fhir':
    case 'openehr':
    case 'events':
      return TYPE_REST;
    case 'dicomweb':
      return interaction === 'search' ? DICOM_TYPES.query : interaction === 'delete' ? DICOM_TYPES.deleted : DICOM_TYPES.transferred;
    case 'hl7':
      return DICOM_TYPES.import;
    case 'export':
      return DICOM_TYPES.export;
    case 'auth':
      return DICOM_TYPES.authentication;
    case 'admin':
      return DICOM_TYPES.application;
  }
}

/** The FHIR interaction made precise the way restful-interaction codes it (search-type, history-instance...). */
function restfulInteraction({ interaction, resourceType, id }: AccessRecord): string {
  if (interaction === 'search') return resourceType ? 'search-type' : 'search-system';
  if (interaction === 'history') return id ? 'history-instance' : resourceType ? 'history-type' : 'history-system';
  return interaction;
}

function subtypesOf(record: AccessRecord): Coding[] {
  const { channel, interaction, operation } = record;
  if (channel === 'fhir') {
    const subtypes = [coding('http://hl7.org/fhir/restful-interaction', restfulInteraction(record))];
    if (interaction === 'operation' && operation) subtypes.push(coding(AUDIT_INTERACTION_SYSTEM, operation.startsWith('$') ? operation : `$${operation}`));
    return subtypes;
  }
  if (channel === 'auth' && interaction === 'login') return [LOGIN];
  if (channel === 'auth' && interaction === 'logout') return [LOGOUT];
  if (channel === 'dicomweb') return [coding(AUDIT_INTERACTION_SYSTEM, `dicomweb-${interaction}`, DICOMWEB_DISPLAY[interaction])];
  return [coding(AUDIT_INTERACTION_SYSTEM, `${channel}-${interaction}`)];
}

const SECRET_PARAMETER = /\b(access_token|id_token|refresh_token|client_secret|password|passwd|pwd|code_verifier)=[^&\s]*/gi;
const AUTHORIZATION = /\b(Bearer|Basic|Negotiate)\s+[A-Za-z0-9._~+/=-]+/g;
const JWT = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Free text without secrets: token-like parameters, Authorization values and JWTs become `[redacted]`. */
export function redact(text: string): string {
  return text.replace(SECRET_PARAMETER, '$1=[redacted]').replace(AUTHORIZATION, '$1 [redacted]').replace(JWT, '[redacted]');
}

function networkOf(address: string): NonNullable<AuditEventAgent['network']> {
  return { address, type: isIP(address.replace(/%.*$/, '')) ? '2' : /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? '5' : '1' };
}

function userAgent(record: AccessRecord, action: Action): AuditEventAgent | undefined {
  const type: CodeableConcept = { coding: [['C', 'U', 'D'].includes(action) ? AUTHOR : RECIPIENT] };
  const { principal } = record;
  if (principal) {
    return {
      type,
      role: principal.roles.map((role) => ({ coding: [coding(ROLE_SYSTEM, role)], text: role })),
      who: { identifier: { system: PRINCIPAL_SYSTEM, value: principal.id }, display: principal.name },
      name: principal.name,
      requestor: true,
    };
  }
  const attempted = record.attemptedUser?.trim();
  if (!attempted) return undefined;
  // An unauthenticated claim: a name only, no identifier, since nothing proves it.
  return { type, who: { display: redact(attempted) }, name: redact(attempted), requestor: true };
}

/**
 * BALP: the client is the source of queries and writes and the destination of reads (data flows
 * to it), the server the other way round.
 */
function machineAgents(record: AccessRecord, action: Action, source: AuditSource, userAgentPresent: boolean): AuditEventAgent[] {
  const clientReceives = action === 'R';
  const client: AuditEventAgent = {
    type: { coding: [clientReceives ? DESTINATION_ROLE : SOURCE_ROLE] },
    who: { display: record.address },
    requestor: !userAgentPresent,
    network: networkOf(record.address),
  };
  const server: AuditEventAgent = {
    type: { coding: [clientReceives ? SOURCE_ROLE : DESTINATION_ROLE] },
    who: { display: source.name ?? 'Passerelle' },
    requestor: false,
    ...(source.url ? { network: networkOf(source.url) } : {}),
  };
  return [client, server];
}

function entitiesOf(record: AccessRecord): AuditEventEntity[] {
  const entities: AuditEventEntity[] = [];
  const systemObject = coding(ENTITY_TYPE, '2', 'System Object');
  if (record.resourceType && record.channel === 'fhir' && record.interaction !== 'search') {
    entities.push({
      what: record.id ? { reference: `${record.resourceType}/${record.id}` } : { type: record.resourceType as ResourceType },
      type: systemObject,
      role: coding(OBJECT_ROLE, '4', 'Domain Resource'),
    });
  }
  if (record.studyUid) {
    entities.push({ what: { identifier: { system: 'urn:dicom:uid', value: `urn:oid:${record.studyUid}` } }, type: systemObject, role: coding(OBJECT_ROLE, '3', 'Report') });
  }
  if (record.patient) {
    const reference = record.patient.startsWith('Patient/') ? record.patient : `Patient/${record.patient}`;
    entities.push({ what: { reference }, type: coding(ENTITY_TYPE, '1', 'Person'), role: coding(OBJECT_ROLE, '1', 'Patient') });
  }
  if (record.query !== undefined) {
    const query = redact(record.query);
    entities.push({ type: systemObject, role: coding(OBJECT_ROLE, '24', 'Query'), description: query, query: Buffer.from(query, 'utf8').toString('base64') });
  }
  if (record.requestId) {
    entities.push({ what: { identifier: { value: record.requestId } }, type: coding(BALP_ENTITY_TYPE, 'XrequestId', 'transport specific unique identifier where http X-Request-Id is used') });
  }
  return entities;
}

/** The AuditEvent of one access (without id: the repository assigns it). */
export function auditEvent(record: AccessRecord, source: AuditSource = {}): AuditEvent {
  const action = actionOf(record);
  const outcome = OUTCOME[record.outcome];
  const user = userAgent(record, action);
  const entities = entitiesOf(record);
  return {
    resourceType: 'AuditEvent',
    type: typeOf(record),
    subtype: subtypesOf(record),
    action,
    recorded: record.at.toISOString(),
    outcome: outcome.code,
    outcomeDesc: record.outcomeText ? redact(record.outcomeText) : outcome.text,
    agent: [...(user ? [user] : []), ...machineAgents(record, action, source, user !== undefined)],
    source: { ...(source.site ? { site: source.site } : {}), observer: { display: source.name ?? 'Passerelle' }, type: [APPLICATION_SERVER] },
    ...(entities.length > 0 ? { entity: entities } : {}),
  };
}
