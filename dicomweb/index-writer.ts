/**
 * Writes stored instances into the DICOM index (migration 0006) inside the caller's transaction:
 * the study row first (it is the lock that orders concurrent stores of one study), then its
 * series, then the instances. Study and series attributes are taken from the latest instance
 * stored, as PACS do when instances disagree.
 */
import type { Queryable } from '../fhir/index.ts';
import { firstNumber, firstString, type DicomJson } from './dicom-json.ts';
import { levelOf, type Level } from './levels.ts';
import { foldPersonName } from './qido/person-name.ts';
import type { ParsedInstance } from './part10.ts';

const SPECIFIC_CHARACTER_SET = '00080005';

export interface IndexedInstance {
  parsed: ParsedInstance;
  /** Where the file is, relative to the DICOM store. */
  filePath: string;
  fileSize: number;
  sha256: string;
}

export interface StoredRow {
  sop_instance_uid: string;
  series_uid: string;
  study_uid: string;
  file_path: string;
  sha256: string;
}

/** The attributes of one level, SpecificCharacterSet kept with each so text reads the same. */
export function attributesAt(dataset: DicomJson, level: Level): DicomJson {
  const attributes: DicomJson = {};
  for (const [tag, element] of Object.entries(dataset)) {
    if (levelOf(tag) === level || tag === SPECIFIC_CHARACTER_SET) attributes[tag] = element;
  }
  return attributes;
}

/** JSON text for a jsonb parameter; NUL characters (DICOM padding) are not allowed in jsonb. */
const jsonb = (value: unknown): string => JSON.stringify(value).replaceAll('\\u0000', '');
const fold = (name: string | undefined): string | null => (name === undefined ? null : foldPersonName(name));
const text = (dataset: DicomJson, tag: string): string | null => firstString(dataset, tag)?.replaceAll('\0', '') ?? null;
const integer = (dataset: DicomJson, tag: string): number | null => {
  const value = firstNumber(dataset, tag);
  return value === undefined || !Number.isSafeInteger(value) || Math.abs(value) > 2 ** 31 - 1 ? null : value;
};

/**
 * What the index holds for these instances, and which of their series are stored under another
 * study, in one round trip. No row lock is needed: the caller holds its study's row (every store
 * and delete of a study takes it first); an instance of another study is refused, not changed.
 */
export async function storedState(
  tx: Queryable,
  studyUid: string,
  instances: Pick<ParsedInstance, 'sopInstanceUid' | 'seriesUid'>[],
): Promise<{ instances: Map<string, StoredRow>; seriesElsewhere: Map<string, string> }> {
  const rows = await tx.query<StoredRow & { kind: 'instance' | 'series' }>(
    `SELECT 'instance' AS kind, sop_instance_uid, series_uid, study_uid, file_path, sha256 FROM dicom_instance WHERE sop_instance_uid = ANY($1)
     UNION ALL
     SELECT 'series', NULL, series_uid, study_uid, NULL, NULL FROM dicom_series WHERE series_uid = ANY($2) AND study_uid <> $3`,
    [instances.map((i) => i.sopInstanceUid), [...new Set(instances.map((i) => i.seriesUid))], studyUid],
    'dicom_lock_stored',
  );
  return {
    instances: new Map(rows.filter((row) => row.kind === 'instance').map((row) => [row.sop_instance_uid, row])),
    seriesElsewhere: new Map(rows.filter((row) => row.kind === 'series').map((row) => [row.series_uid, row.study_uid])),
  };
}

export async function upsertStudy(tx: Queryable, dataset: DicomJson, studyUid: string): Promise<void> {
  const patientName = firstString(dataset, '00100010');
  const referring = firstString(dataset, '00080090');
  await tx.query(
    `INSERT INTO dicom_study (study_uid, patient_id, issuer_of_patient_id, patient_name, patient_name_norm, patient_birth_date, patient_sex,
       study_date, study_time, accession_number, study_id, referring_physician_name, referring_physician_name_norm, study_description, attributes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (study_uid) DO UPDATE SET patient_id = EXCLUDED.patient_id, issuer_of_patient_id = EXCLUDED.issuer_of_patient_id,
       patient_name = EXCLUDED.patient_name, patient_name_norm = EXCLUDED.patient_name_norm, patient_birth_date = EXCLUDED.patient_birth_date,
       patient_sex = EXCLUDED.patient_sex, study_date = EXCLUDED.study_date, study_time = EXCLUDED.study_time,
       accession_number = EXCLUDED.accession_number, study_id = EXCLUDED.study_id, referring_physician_name = EXCLUDED.referring_physician_name,
       referring_physician_name_norm = EXCLUDED.referring_physician_name_norm, study_description = EXCLUDED.study_description,
       attributes = EXCLUDED.attributes, updated_at = now()`,
    [
      studyUid, text(dataset, '00100020'), text(dataset, '00100021'), patientName ?? null, fold(patientName), text(dataset, '00100030'),
      text(dataset, '00100040'), text(dataset, '00080020'), text(dataset, '00080030'), text(dataset, '00080050'), text(dataset, '00200010'),
      referring ?? null, fold(referring), text(dataset, '00081030'), jsonb(attributesAt(dataset, 'study')),
    ],
    'dicom_upsert_study',
  );
}

/** The instance's series and the instance itself, upserted in one statement. */
export async function upsertSeriesAndInstance(tx: Queryable, item: IndexedInstance): Promise<void> {
  const { parsed } = item;
  const { dataset } = parsed;
  await tx.query(
    `WITH series AS (
       INSERT INTO dicom_series (series_uid, study_uid, modality, series_number, series_description, series_date, series_time,
         body_part_examined, performed_procedure_step_start_date, performed_procedure_step_start_time, attributes)
       VALUES ($2, $3, $15, $16, $17, $18, $19, $20, $21, $22, $23)
       ON CONFLICT (series_uid) DO UPDATE SET modality = EXCLUDED.modality, series_number = EXCLUDED.series_number,
         series_description = EXCLUDED.series_description, series_date = EXCLUDED.series_date, series_time = EXCLUDED.series_time,
         body_part_examined = EXCLUDED.body_part_examined, performed_procedure_step_start_date = EXCLUDED.performed_procedure_step_start_date,
         performed_procedure_step_start_time = EXCLUDED.performed_procedure_step_start_time, attributes = EXCLUDED.attributes
       RETURNING series_uid)
     INSERT INTO dicom_instance (sop_instance_uid, series_uid, study_uid, sop_class_uid, instance_number, transfer_syntax_uid,
       rows, columns, bits_allocated, number_of_frames, file_path, file_size, sha256, metadata)
     SELECT $1, series_uid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM series
     ON CONFLICT (sop_instance_uid) DO UPDATE SET sop_class_uid = EXCLUDED.sop_class_uid, instance_number = EXCLUDED.instance_number,
       transfer_syntax_uid = EXCLUDED.transfer_syntax_uid, rows = EXCLUDED.rows, columns = EXCLUDED.columns,
       bits_allocated = EXCLUDED.bits_allocated, number_of_frames = EXCLUDED.number_of_frames, file_path = EXCLUDED.file_path,
       file_size = EXCLUDED.file_size, sha256 = EXCLUDED.sha256, metadata = EXCLUDED.metadata, stored_at = now()`,
    [
      parsed.sopInstanceUid, parsed.seriesUid, parsed.studyUid, parsed.sopClassUid, integer(dataset, '00200013'), parsed.transferSyntaxUid,
      integer(dataset, '00280010'), integer(dataset, '00280011'), integer(dataset, '00280100'), integer(dataset, '00280008'),
      item.filePath, item.fileSize, item.sha256, jsonb(dataset),
      text(dataset, '00080060'), integer(dataset, '00200011'), text(dataset, '0008103E'), text(dataset, '00080021'), text(dataset, '00080031'),
      text(dataset, '00180015'), text(dataset, '00400244'), text(dataset, '00400245'), jsonb(attributesAt(dataset, 'series')),
    ],
    'dicom_upsert_series_instance',
  );
}

/**
 * Removes what is left empty once instances moved or were deleted: series without instances,
 * then studies without series. Returns the studies removed.
 */
export async function pruneEmpty(tx: Queryable, studyUids: string[]): Promise<string[]> {
  await tx.query(
    `DELETE FROM dicom_series s WHERE s.study_uid = ANY($1) AND NOT EXISTS (SELECT 1 FROM dicom_instance i WHERE i.series_uid = s.series_uid)`,
    [studyUids],
  );
  const rows = await tx.query<{ study_uid: string }>(
    `DELETE FROM dicom_study st WHERE st.study_uid = ANY($1) AND NOT EXISTS (SELECT 1 FROM dicom_series s WHERE s.study_uid = st.study_uid)
     RETURNING study_uid`,
    [studyUids],
  );
  return rows.map((row) => row.study_uid);
}
