/**
 * FHIR ImagingStudy kept in step with the DICOM index: rebuilt from the index inside the same
 * transaction as every store or delete of the study, with the study UID as its id (a UID is a
 * valid FHIR id) and an Endpoint for the DICOMweb base. The subject is the Patient whose
 * identifier matches PatientID and IssuerOfPatientID when exactly one does; otherwise a logical
 * reference by that identifier, so the study is never attached to the wrong patient.
 * @see https://hl7.org/fhir/R4/imagingstudy.html
 * @see https://hl7.org/fhir/R4/imagingstudy-mappings.html#dicom
 */
import type { Coding, Endpoint, Identifier, ImagingStudy, ImagingStudySeries } from '@medplum/fhirtypes';
import { parseSearch, type Queryable, type Repository } from '../fhir/index.ts';
import { assigningAuthoritySystem } from '../profiles/index.ts';
import { firstString, type DicomJson } from './dicom-json.ts';

export const DICOMWEB_ENDPOINT_ID = 'dicomweb';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';

interface SeriesRow {
  series_uid: string;
  modality: string | null;
  series_number: number | null;
  series_description: string | null;
  series_date: string | null;
  body_part_examined: string | null;
}

interface InstanceRow {
  series_uid: string;
  sop_instance_uid: string;
  sop_class_uid: string;
  instance_number: number | null;
}

/**
 * Creates, updates or deletes the study's ImagingStudy after the index changed. `subject`: the
 * study's Patient when the caller already looked it up (see `subjectOf`).
 */
export async function syncImagingStudy(repo: Repository, tx: Queryable, studyUid: string, subject?: ImagingStudy['subject']): Promise<void> {
  // One round trip: the study's attributes, its series and its instances in display order, and
  // the current ImagingStudy, locked (so that writing it after costs no second read).
  const [[row], current] = await Promise.all([tx.query<{ attributes: DicomJson | null; series: SeriesRow[] | null; instances: InstanceRow[] | null }>(
    `SELECT (SELECT attributes FROM dicom_study WHERE study_uid = $1) AS attributes,
       (SELECT json_agg(json_build_object('series_uid', series_uid, 'modality', modality, 'series_number', series_number,
          'series_description', series_description, 'series_date', series_date, 'body_part_examined', body_part_examined)
          ORDER BY series_number NULLS LAST, series_uid) FROM dicom_series WHERE study_uid = $1) AS series,
       (SELECT json_agg(json_build_object('series_uid', series_uid, 'sop_instance_uid', sop_instance_uid, 'sop_class_uid', sop_class_uid,
          'instance_number', instance_number) ORDER BY instance_number NULLS LAST, sop_instance_uid) FROM dicom_instance WHERE study_uid = $1) AS instances`,
    [studyUid],
    'dicom_imaging_study_rows',
  ), repo.readForUpdate('ImagingStudy', studyUid)]);
  if (!row?.attributes) {
    if (current) await repo.delete('ImagingStudy', studyUid);
    return;
  }
  const resource = imagingStudy(studyUid, row.attributes, row.series ?? [], row.instances ?? [], subject ?? (await subjectOf(repo, row.attributes)));
  await repo.update(resource);
}

function imagingStudy(studyUid: string, attributes: DicomJson, seriesRows: SeriesRow[], instanceRows: InstanceRow[], subject: ImagingStudy['subject']): ImagingStudy {
  const bySeries = Map.groupBy(instanceRows, (row) => row.series_uid);
  const series: ImagingStudySeries[] = seriesRows.map((row) => {
    const instances = bySeries.get(row.series_uid) ?? [];
    return {
      uid: row.series_uid,
      ...(row.series_number !== null ? { number: row.series_number } : {}),
      modality: modalityCoding(row.modality ?? 'OT'),
      ...(row.series_description ? { description: row.series_description } : {}),
      numberOfInstances: instances.length,
      ...(row.body_part_examined ? { bodySite: { system: DCM, code: row.body_part_examined, display: row.body_part_examined } } : {}),
      ...(dicomDate(row.series_date) ? { started: dicomDate(row.series_date) } : {}),
      endpoint: [{ reference: `Endpoint/${DICOMWEB_ENDPOINT_ID}` }],
      instance: instances.map((instance) => ({
        uid: instance.sop_instance_uid,
        sopClass: { system: 'urn:ietf:rfc:3986', code: `urn:oid:${instance.sop_class_uid}` },
        ...(instance.instance_number !== null ? { number: instance.instance_number } : {}),
      })),
    };
  });
  const modalities = [...new Set(seriesRows.map((row) => row.modality).filter((m): m is string => Boolean(m)))];
  const identifier: Identifier[] = [{ system: 'urn:dicom:uid', value: `urn:oid:${studyUid}` }];
  const accession = firstString(attributes, '00080050');
  if (accession) {
    identifier.push({ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: accession });
  }
  const description = firstString(attributes, '00081030');
  const started = dicomDate(firstString(attributes, '00080020'));
  return {
    resourceType: 'ImagingStudy',
    id: studyUid,
    identifier,
    status: 'available',
    ...(modalities.length > 0 ? { modality: modalities.map(modalityCoding) } : {}),
    subject,
    ...(started ? { started } : {}),
    endpoint: [{ reference: `Endpoint/${DICOMWEB_ENDPOINT_ID}` }],
    numberOfSeries: series.length,
    numberOfInstances: instanceRows.length,
    ...(description ? { description } : {}),
    series,
  };
}

function modalityCoding(code: string): Coding {
  return { system: DCM, code };
}

/**
 * A DICOM date (DA, YYYYMMDD) as a FHIR date. Study time is left out: without
 * TimezoneOffsetFromUTC a DICOM time has no zone, and a FHIR dateTime with a time needs one.
 */
function dicomDate(value: string | null | undefined): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value?.trim() ?? '');
  return match ? `${match[1]}-${match[2]}-${match[3]}` : undefined;
}

/** The patient identifier the study carries (PatientID with its issuer), if any. */
export function patientIdentifier(attributes: DicomJson): Identifier | undefined {
  const value = firstString(attributes, '00100020')?.trim();
  if (!value) return undefined;
  const qualifiers = attributes['00100024']?.Value?.[0] as DicomJson | undefined;
  const system = assigningAuthoritySystem(
    firstString(attributes, '00100021')?.trim() ?? '',
    (qualifiers && firstString(qualifiers, '00400032')?.trim()) ?? '',
    (qualifiers && firstString(qualifiers, '00400033')?.trim()) ?? '',
  );
  return system ? { system, value } : { value };
}

/** The ImagingStudy's subject for a study with these Patient attributes. */
export async function subjectOf(repo: Repository, attributes: DicomJson): Promise<ImagingStudy['subject']> {
  const identifier = patientIdentifier(attributes);
  if (!identifier) return { display: 'DICOM study without PatientID' };
  const token = identifier.system ? `${identifier.system}|${identifier.value}` : `${identifier.value}`;
  const found = await repo.search(parseSearch('Patient', new URLSearchParams({ identifier: token, _count: '2' })));
  const only = found.resources.length === 1 ? found.resources[0] : undefined;
  return only ? { reference: `Patient/${only.id}`, identifier } : { identifier };
}

/**
 * The Endpoint every ImagingStudy points to, created once with the first address seen (the
 * configured public URL when there is one).
 */
export async function ensureDicomwebEndpoint(repo: Repository, address: string): Promise<void> {
  if (await repo.readIfExists<Endpoint>('Endpoint', DICOMWEB_ENDPOINT_ID)) return;
  await repo.update({
    resourceType: 'Endpoint',
    id: DICOMWEB_ENDPOINT_ID,
    status: 'active',
    connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'dicom-wado-rs' },
    name: 'Passerelle DICOMweb (WADO-RS, QIDO-RS, STOW-RS)',
    payloadType: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'DICOM' }] }],
    payloadMimeType: ['application/dicom'],
    address,
  });
}
