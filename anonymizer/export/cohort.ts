/**
 * What an export reads from the store: the cohort's patients, the resource types it covers and
 * their resources page by page (keyset paging on id, so a page costs the same at any depth),
 * as of the job's transaction time and after `_since`. A patient-level export covers the
 * Patients and every resource that references one of them (the Patient compartment, read from
 * the reference index rather than the CompartmentDefinition's parameter list).
 * @see https://hl7.org/fhir/uv/bulkdata/STU2/export.html#endpoint---all-patients
 * @see https://hl7.org/fhir/R4/compartmentdefinition-patient.html
 */
import type { Group, Patient, Resource } from '@medplum/fhirtypes';
import { notFound, type Queryable } from '../../fhir/index.ts';
import type { ExportParameters } from './request.ts';

/** Operational records, not data about care: never part of an export unless asked for by `_type`. */
const OPERATIONAL = new Set(['AuditEvent', 'Subscription']);

const contentOf = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

/**
 * The ids of the Patients a Group export covers (its active Patient members); undefined for the
 * system and all-patients levels, which cover every Patient.
 * @throws FhirError 404 when the Group does not exist
 */
export async function cohortPatientIds(db: Queryable, params: ExportParameters): Promise<string[] | undefined> {
  if (params.level !== 'group') return undefined;
  const rows = await db.query<{ content: unknown }>(`SELECT content FROM fhir_resource WHERE resource_type = 'Group' AND id = $1 AND NOT deleted`, [params.groupId]);
  if (!rows[0]) throw notFound(`Group/${params.groupId} is not known`);
  const group = contentOf<Group>(rows[0].content);
  const ids = (group.member ?? [])
    .filter((member) => member.inactive !== true)
    .map((member) => /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(member.entity.reference ?? '')?.[1])
    .filter((id): id is string => id !== undefined);
  return [...new Set(ids)];
}

/** The types to export: those asked for, else every type the level covers that the store holds. */
export async function exportTypes(db: Queryable, params: ExportParameters): Promise<string[]> {
  if (params.types) return params.types;
  const rows = params.level === 'system'
    ? await db.query<{ resource_type: string }>('SELECT DISTINCT resource_type FROM fhir_resource WHERE NOT deleted')
    : await db.query<{ resource_type: string }>(`SELECT DISTINCT resource_type FROM fhir_reference WHERE target_type = 'Patient' UNION SELECT 'Patient'`);
  const types = rows.map((row) => row.resource_type).filter((type) => !OPERATIONAL.has(type)).sort();
  // Patients first: the rest of a de-identified export refers to their pseudonyms.
  return types.includes('Patient') ? ['Patient', ...types.filter((type) => type !== 'Patient')] : types;
}

export interface PageQuery {
  type: string;
  params: ExportParameters;
  transactionTime: string;
  /** The Group's patients; undefined: every patient. */
  patientIds: string[] | undefined;
  pageSize: number;
}

/** The resources of one type in the export, a page at a time, in id order. */
export async function* resourcePages(db: Queryable, query: PageQuery): AsyncGenerator<Resource[]> {
  const { type, params, transactionTime, patientIds, pageSize } = query;
  const values: unknown[] = [type, transactionTime, params.since ?? null, pageSize];
  let scope = '';
  if (params.level !== 'system' && type === 'Patient' && patientIds !== undefined) {
    scope = ` AND id = ANY($${values.push(patientIds)}::text[])`;
  } else if (params.level !== 'system' && type !== 'Patient') {
    const members = patientIds === undefined ? '' : ` AND target_id = ANY($${values.push(patientIds)}::text[])`;
    scope = ` AND id IN (SELECT id FROM fhir_reference WHERE resource_type = $1 AND target_type = 'Patient'${members})`;
  }
  const cursor = values.push('');
  const sql = `SELECT id, content FROM fhir_resource
    WHERE resource_type = $1 AND NOT deleted AND last_updated <= $2 AND ($3::timestamptz IS NULL OR last_updated > $3::timestamptz)${scope} AND id > $${cursor}
    ORDER BY id LIMIT $4`;
  for (;;) {
    const rows = await db.query<{ id: string; content: unknown }>(sql, values);
    if (rows.length === 0) return;
    yield rows.map((row) => contentOf<Resource>(row.content));
    if (rows.length < pageSize) return;
    values[cursor - 1] = (rows[rows.length - 1] as { id: string }).id;
  }
}

/** The cohort's Patients by id, for their identities (read once, before the pages are written). */
export async function* cohortPatients(db: Queryable, patientIds: string[] | undefined, pageSize: number): AsyncGenerator<Patient[]> {
  let after = '';
  for (;;) {
    const rows = await db.query<{ id: string; content: unknown }>(
      `SELECT id, content FROM fhir_resource WHERE resource_type = 'Patient' AND NOT deleted AND id > $1 ${patientIds === undefined ? '' : 'AND id = ANY($3::text[])'} ORDER BY id LIMIT $2`,
      patientIds === undefined ? [after, pageSize] : [after, pageSize, patientIds],
    );
    if (rows.length === 0) return;
    yield rows.map((row) => contentOf<Patient>(row.content));
    if (rows.length < pageSize) return;
    after = (rows[rows.length - 1] as { id: string }).id;
  }
}
