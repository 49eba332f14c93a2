/**
 * WADO-RS reads from the index (PS3.18 10.4): which instances a study, series or instance URL
 * names, and their metadata as DICOM JSON straight from the stored JSON text (no file is read
 * and no JSON parsed for /metadata, which is what makes it fast), with the relative
 * BulkDataURIs completed with the base URL of the request.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4
 */
import type { Queryable } from '../fhir/index.ts';
import { notFound } from './errors.ts';

/** A study, a series of it, or an instance of that series. */
export interface Scope {
  studyUid: string;
  seriesUid?: string;
  sopInstanceUid?: string;
}

export interface StoredInstance {
  study_uid: string;
  series_uid: string;
  sop_instance_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  file_path: string;
  file_size: string;
}

function where(scope: Scope): { sql: string; params: string[] } {
  const params = [scope.studyUid];
  let sql = 'study_uid = $1';
  if (scope.seriesUid) {
    params.push(scope.seriesUid);
    sql += ` AND series_uid = $${params.length}`;
  }
  if (scope.sopInstanceUid) {
    params.push(scope.sopInstanceUid);
    sql += ` AND sop_instance_uid = $${params.length}`;
  }
  return { sql, params };
}

export function describe(scope: Scope): string {
  if (scope.sopInstanceUid) return `instance ${scope.sopInstanceUid} of series ${scope.seriesUid} of study ${scope.studyUid}`;
  if (scope.seriesUid) return `series ${scope.seriesUid} of study ${scope.studyUid}`;
  return `study ${scope.studyUid}`;
}

/** The instances a URL names, in series and instance number order; 404 when there are none. */
export async function instancesIn(db: Queryable, scope: Scope): Promise<StoredInstance[]> {
  const { sql, params } = where(scope);
  const rows = await db.query<StoredInstance>(
    `SELECT study_uid, series_uid, sop_instance_uid, sop_class_uid, transfer_syntax_uid, file_path, file_size
       FROM dicom_instance WHERE ${sql} ORDER BY series_uid, instance_number NULLS LAST, sop_instance_uid`,
    params,
  );
  if (rows.length === 0) throw notFound(`${describe(scope)} is not stored here`);
  return rows;
}

/** The DICOM JSON array of the instances' metadata, as text. */
export async function metadataText(db: Queryable, scope: Scope, baseUrl: string): Promise<string> {
  const { sql, params } = where(scope);
  const rows = await db.query<{ json: string | null }>(
    `SELECT '[' || string_agg(metadata::text, ',' ORDER BY series_uid, instance_number NULLS LAST, sop_instance_uid) || ']' AS json
       FROM dicom_instance WHERE ${sql}`,
    params,
  );
  const json = rows[0]?.json;
  if (!json) throw notFound(`${describe(scope)} is not stored here`);
  return absoluteBulkDataUris(json, baseUrl);
}

/**
 * Stored BulkDataURIs are relative to the DICOMweb base ("studies/..."). PostgreSQL writes jsonb
 * as `"key": "value"`; a value that merely contains that text would have its quotes escaped.
 */
export function absoluteBulkDataUris(json: string, baseUrl: string): string {
  return json.replaceAll('"BulkDataURI": "', `"BulkDataURI": "${baseUrl}/`);
}
