/**
 * The index tables QIDO-RS reads (server/migrations/0006_dicom_index.sql) and the attributes
 * each keeps in a column of its own. A match on such an attribute uses the column (and its index);
 * any other attribute is read from the table's DICOM JSON (`attributes` or `metadata`).
 */
import type { QidoLevel } from './request.ts';

/**
 * How a column holds its attribute: `text` as stored, `name` a PN folded by foldPersonName,
 * `integer` a number, `date` DA `YYYYMMDD`, `time` TM `HHMMSS.FFFFFF` (or a shorter precision).
 */
export type ColumnType = 'text' | 'name' | 'integer' | 'date' | 'time';

export interface Column {
  name: string;
  type: ColumnType;
}

export interface IndexTable {
  table: string;
  /** The alias every statement uses for this table. */
  alias: string;
  /** The JSONB column with the level's attributes as DICOM JSON. */
  json: string;
  /** Column per tag. */
  columns: Readonly<Record<string, Column>>;
}

const text = (name: string): Column => ({ name, type: 'text' });
const integer = (name: string): Column => ({ name, type: 'integer' });

export const TABLES: Readonly<Record<QidoLevel, IndexTable>> = {
  study: {
    table: 'dicom_study',
    alias: 's',
    json: 'attributes',
    columns: {
      '0020000D': text('study_uid'),
      '00100020': text('patient_id'),
      '00100021': text('issuer_of_patient_id'),
      '00100010': { name: 'patient_name_norm', type: 'name' },
      '00100030': { name: 'patient_birth_date', type: 'date' },
      '00100040': text('patient_sex'),
      '00080020': { name: 'study_date', type: 'date' },
      '00080030': { name: 'study_time', type: 'time' },
      '00080050': text('accession_number'),
      '00200010': text('study_id'),
      '00080090': { name: 'referring_physician_name_norm', type: 'name' },
      '00081030': text('study_description'),
    },
  },
  series: {
    table: 'dicom_series',
    alias: 'se',
    json: 'attributes',
    columns: {
      '0020000E': text('series_uid'),
      '0020000D': text('study_uid'),
      '00080060': text('modality'),
      '00200011': integer('series_number'),
      '0008103E': text('series_description'),
      '00080021': { name: 'series_date', type: 'date' },
      '00080031': { name: 'series_time', type: 'time' },
      '00180015': text('body_part_examined'),
      '00400244': { name: 'performed_procedure_step_start_date', type: 'date' },
      '00400245': { name: 'performed_procedure_step_start_time', type: 'time' },
    },
  },
  instance: {
    table: 'dicom_instance',
    alias: 'i',
    json: 'metadata',
    columns: {
      '00080018': text('sop_instance_uid'),
      '0020000E': text('series_uid'),
      '0020000D': text('study_uid'),
      '00080016': text('sop_class_uid'),
      '00200013': integer('instance_number'),
      '00280010': integer('rows'),
      '00280011': integer('columns'),
      '00280100': integer('bits_allocated'),
      '00280008': integer('number_of_frames'),
    },
  },
};

/**
 * Stable order of each level's matches (PS3.18 8.3.4.4.1: the same search gives the same
 * ordered list), each ending with the unique key; the leading columns follow an index.
 */
export const ORDER: Readonly<Record<QidoLevel, readonly string[]>> = {
  study: ['study_uid'],
  series: ['study_uid', 'series_number', 'series_uid'],
  instance: ['series_uid', 'instance_number', 'sop_instance_uid'],
};
