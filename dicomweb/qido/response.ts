/**
 * The DICOM JSON dataset answered for each match (PS3.18 10.6.3.3, Annex F): the stored
 * attributes the plan read, the values the index keeps in columns, and the computed ones
 * (Retrieve URL, Instance Availability, Modalities in Study, Number of ... Related ...).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6.3.3
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_F.2
 */
import type { DicomElement, DicomJson } from '../dicom-json.ts';
import { vrOf } from './dictionary.ts';
import type { QidoRequest } from './request.ts';
import type { ReturnPlan } from './returns.ts';
import type { SearchRow } from './sql.ts';

/** The dataset for one row; `baseUrl` is the absolute DICOMweb base (`http://host:8080/dicomweb`). */
export function toDataset(row: SearchRow, request: QidoRequest, plan: ReturnPlan, baseUrl: string): DicomJson {
  const dataset: DicomJson = {};
  // Stored attributes, the lower level last so that it wins (e.g. Specific Character Set).
  for (const stored of [row.study, row.series, row.instance]) {
    if (stored) Object.assign(dataset, withoutBulkData(stored));
  }
  const base = baseUrl.replace(/\/+$/, '');
  const studyUrl = `${base}/studies/${row.study_uid}`;
  set(dataset, '0020000D', 'UI', row.study_uid);
  if (request.level === 'study') {
    set(dataset, '00080056', 'CS', 'ONLINE');
    set(dataset, '00081190', 'UR', studyUrl);
  }
  if (request.level === 'series') {
    set(dataset, '0020000E', 'UI', row.series_uid);
    set(dataset, '00081190', 'UR', `${studyUrl}/series/${row.series_uid}`);
    if (plan.studyLevel) set(dataset, '00080056', 'CS', 'ONLINE');
  }
  if (request.level === 'instance') {
    set(dataset, '0020000E', 'UI', row.series_uid);
    set(dataset, '00080018', 'UI', row.sop_instance_uid);
    set(dataset, '00080016', 'UI', row.sop_class_uid);
    set(dataset, '00080056', 'CS', 'ONLINE');
    set(dataset, '00081190', 'UR', `${studyUrl}/series/${row.series_uid}/instances/${row.sop_instance_uid}`);
    set(dataset, '00200013', 'IS', row.instance_number);
    set(dataset, '00280008', 'IS', row.number_of_frames);
    set(dataset, '00280010', 'US', row.rows);
    set(dataset, '00280011', 'US', row.columns);
    set(dataset, '00280100', 'US', row.bits_allocated);
  }
  if (plan.studyStats) {
    dataset['00080061'] = element('CS', row.study_stats?.modalities ?? []);
    set(dataset, '00201206', 'IS', row.study_stats?.series ?? 0);
    set(dataset, '00201208', 'IS', row.study_stats?.instances ?? 0);
  }
  if (plan.seriesStats) set(dataset, '00201209', 'IS', row.series_stats?.instances ?? 0);
  // Type R attributes, match keys and includefield ones are returned even when unknown, empty.
  for (const tag of plan.required) {
    const vr = vrOf(tag);
    if (dataset[tag] === undefined && vr !== '') dataset[tag] = { vr };
  }
  return sortedByTag(dataset);
}

function element(vr: string, values: unknown[]): DicomElement {
  return values.length === 0 ? { vr } : { vr, Value: values };
}

/** Sets a single-valued element; a null or missing value leaves the element out. */
function set(dataset: DicomJson, tag: string, vr: string, value: string | number | null | undefined): void {
  if (value !== null && value !== undefined) dataset[tag] = { vr, Value: [value] };
}

/**
 * The dataset without elements that are bulk data references (inside sequences too): QIDO-RS
 * answers describe instances; their bulk data is WADO-RS's to serve.
 */
export function withoutBulkData(dataset: DicomJson): DicomJson {
  const result: DicomJson = {};
  for (const [tag, value] of Object.entries(dataset)) {
    if (value.BulkDataURI !== undefined) continue;
    if (value.vr === 'SQ' && value.Value) {
      result[tag] = { ...value, Value: value.Value.map((item) => (item && typeof item === 'object' ? withoutBulkData(item as DicomJson) : item)) };
    } else {
      result[tag] = value;
    }
  }
  return result;
}

function sortedByTag(dataset: DicomJson): DicomJson {
  const sorted: DicomJson = {};
  for (const tag of Object.keys(dataset).sort()) sorted[tag] = dataset[tag] as DicomElement;
  return sorted;
}
