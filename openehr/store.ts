/**
 * EHRs and compositions in the FHIR database (tables of migration 0010): plain SQL, each write
 * one statement, so no transaction is needed and a conflict is decided by PostgreSQL.
 * Every function takes a Queryable, so an export can run them inside its own transaction.
 * @see https://specifications.openehr.org/releases/ITS-REST/latest/ehr.html
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../fhir/index.ts';
import { subjectOf, versionUid, type Composition, type EhrStatus, type SubjectRef } from './documents.ts';

export interface EhrRecord {
  ehrId: string;
  /** Undefined for an EHR whose subject is an anonymous PARTY_SELF. */
  subject?: SubjectRef;
  /** The EHR_STATUS as received, with its uid set. */
  ehrStatus: EhrStatus;
  timeCreated: string;
}

export interface CompositionRecord {
  ehrId: string;
  /** The version uid, `uuid::system::version`, also in `composition.uid.value`. */
  uid: string;
  composition: Composition;
  committedAt: string;
}

export interface SubjectComposition extends CompositionRecord {
  subject: SubjectRef;
}

interface EhrRow {
  ehr_id: string;
  subject_id: string | null;
  subject_namespace: string | null;
  ehr_status: EhrStatus;
  time_created: Date | string;
}

interface CompositionRow {
  uid: string;
  ehr_id: string;
  version: number;
  system_id: string;
  composition: Composition;
  committed_at: Date | string;
}

const EHR_COLUMNS = 'ehr_id, subject_id, subject_namespace, ehr_status, time_created';
const COMPOSITION_COLUMNS = 'c.uid, c.ehr_id, c.version, c.system_id, c.composition, c.committed_at';

/**
 * Creates an EHR with a new ehr_id and commits its EHR_STATUS (version 1, uid assigned here).
 * Returns undefined when the subject already has an EHR (the ITS's 409).
 * @see https://specifications.openehr.org/releases/ITS-REST/latest/ehr.html#tag/EHR/operation/ehr_create
 */
export async function createEhr(db: Queryable, systemId: string, status: EhrStatus): Promise<EhrRecord | undefined> {
  const subject = subjectOf(status);
  const ehrStatus: EhrStatus = { ...status, uid: { _type: 'OBJECT_VERSION_ID', value: versionUid(randomUUID(), systemId, 1) } };
  // ON CONFLICT rather than a look-up first: two requests for one subject at once get one EHR.
  const rows = await db.query<EhrRow>(
    `INSERT INTO openehr_ehr (ehr_id, subject_id, subject_namespace, ehr_status, time_created)
     VALUES ($1, $2, $3, $4::jsonb, $5)
     ON CONFLICT (subject_namespace, subject_id) DO NOTHING
     RETURNING ${EHR_COLUMNS}`,
    [randomUUID(), subject?.id ?? null, subject?.namespace ?? null, JSON.stringify(ehrStatus), new Date().toISOString()],
  );
  return rows[0] && ehrOf(rows[0]);
}

/** The EHR with this ehr_id (a uuid), if any. */
export async function ehrById(db: Queryable, ehrId: string): Promise<EhrRecord | undefined> {
  const rows = await db.query<EhrRow>(`SELECT ${EHR_COLUMNS} FROM openehr_ehr WHERE ehr_id = $1`, [ehrId]);
  return rows[0] && ehrOf(rows[0]);
}

/**
 * The EHR of a subject: for a FHIR Patient, namespace = the identifier's system, id = its value.
 * @see https://specifications.openehr.org/releases/ITS-REST/latest/ehr.html#tag/EHR/operation/ehr_get_by_subject
 */
export async function ehrOfSubject(db: Queryable, namespace: string, id: string): Promise<EhrRecord | undefined> {
  const rows = await db.query<EhrRow>(`SELECT ${EHR_COLUMNS} FROM openehr_ehr WHERE subject_namespace = $1 AND subject_id = $2`, [namespace, id]);
  return rows[0] && ehrOf(rows[0]);
}

/**
 * Commits a new COMPOSITION to an EHR as version 1 of a new versioned object: the uid
 * `{uuid}::{systemId}::1` replaces any uid the client sent. Returns undefined when the EHR does not exist.
 * @see https://specifications.openehr.org/releases/ITS-REST/latest/ehr.html#tag/COMPOSITION/operation/composition_create
 */
export async function commitComposition(db: Queryable, ehrId: string, systemId: string, composition: Composition): Promise<CompositionRecord | undefined> {
  const uuid = randomUUID();
  const stored: Composition = { ...composition, uid: { _type: 'OBJECT_VERSION_ID', value: versionUid(uuid, systemId, 1) } };
  // INSERT ... SELECT: no row when the EHR is unknown, in the same statement that writes.
  const rows = await db.query<CompositionRow>(
    `INSERT INTO openehr_composition AS c (uid, ehr_id, version, system_id, composition, committed_at)
     SELECT $1, ehr_id, 1, $3, $4::jsonb, $5 FROM openehr_ehr WHERE ehr_id = $2
     RETURNING ${COMPOSITION_COLUMNS}`,
    [uuid, ehrId, systemId, JSON.stringify(stored), new Date().toISOString()],
  );
  return rows[0] && compositionOf(rows[0]);
}

/** A composition of an EHR by its versioned object uuid (the latest version, the only one for now). */
export async function compositionById(db: Queryable, ehrId: string, uuid: string): Promise<CompositionRecord | undefined> {
  const rows = await db.query<CompositionRow>(`SELECT ${COMPOSITION_COLUMNS} FROM openehr_composition c WHERE c.ehr_id = $1 AND c.uid = $2`, [ehrId, uuid]);
  return rows[0] && compositionOf(rows[0]);
}

/**
 * Every composition in the EHRs of these subjects (for export), ordered by EHR then commit time.
 * Subjects without an EHR are simply absent.
 */
export async function listCompositionsOfSubjects(db: Queryable, subjects: readonly SubjectRef[]): Promise<SubjectComposition[]> {
  if (subjects.length === 0) return [];
  const rows = await db.query<CompositionRow & { subject_id: string; subject_namespace: string }>(
    `SELECT ${COMPOSITION_COLUMNS}, e.subject_id, e.subject_namespace
       FROM unnest($1::text[], $2::text[]) AS s (namespace, id)
       JOIN openehr_ehr e ON e.subject_namespace = s.namespace AND e.subject_id = s.id
       JOIN openehr_composition c ON c.ehr_id = e.ehr_id
      ORDER BY e.ehr_id, c.committed_at, c.uid`,
    [subjects.map((s) => s.namespace), subjects.map((s) => s.id)],
  );
  return rows.map((row) => ({ ...compositionOf(row), subject: { namespace: row.subject_namespace, id: row.subject_id } }));
}

const iso = (value: Date | string): string => new Date(value).toISOString();

function ehrOf(row: EhrRow): EhrRecord {
  return {
    ehrId: row.ehr_id,
    ...(row.subject_id !== null && row.subject_namespace !== null ? { subject: { namespace: row.subject_namespace, id: row.subject_id } } : {}),
    ehrStatus: row.ehr_status,
    timeCreated: iso(row.time_created),
  };
}

function compositionOf(row: CompositionRow): CompositionRecord {
  return { ehrId: row.ehr_id, uid: versionUid(row.uid, row.system_id, row.version), composition: row.composition, committedAt: iso(row.committed_at) };
}
