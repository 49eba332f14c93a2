/**
 * Which attributes a QIDO-RS answer holds at each level: those of PS3.18 tables 10.6.3-3 (study),
 * 10.6.3-4 (series) and 10.6.3-5 (instance), the match keys, the includefield ones, and for the
 * relational resources (All Series, All Instances, Study's Instances) those of the levels above.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6.3.3
 */
import { attributeLevel, type QidoRequest } from './request.ts';

/** `required` (Type U/R: present, empty when unknown) or `conditional` ("present if known"). */
type Presence = 'required' | 'conditional';

/** Table 10.6.3-3 attributes read from the stored study attributes; the computed ones are added apart. */
export const STUDY_RETURNS: Readonly<Record<string, Presence>> = {
  '00080005': 'conditional', // SpecificCharacterSet
  '00080020': 'required', // StudyDate
  '00080030': 'required', // StudyTime
  '00080050': 'required', // AccessionNumber
  '00080090': 'required', // ReferringPhysicianName
  '00080201': 'conditional', // TimezoneOffsetFromUTC
  '00100010': 'required', // PatientName
  '00100020': 'required', // PatientID
  '00100030': 'required', // PatientBirthDate
  '00100040': 'required', // PatientSex
  '0020000D': 'required', // StudyInstanceUID
  '00200010': 'required', // StudyID
};

/** Table 10.6.3-4 attributes read from the stored series attributes. */
export const SERIES_RETURNS: Readonly<Record<string, Presence>> = {
  '00080005': 'conditional', // SpecificCharacterSet
  '00080060': 'required', // Modality
  '0008103E': 'conditional', // SeriesDescription
  '0020000E': 'required', // SeriesInstanceUID
  '00200011': 'required', // SeriesNumber
  '00400244': 'conditional', // PerformedProcedureStepStartDate
  '00400245': 'conditional', // PerformedProcedureStepStartTime
  '00400275': 'conditional', // RequestAttributesSequence
};

/** Table 10.6.3-5 attributes that are required; the instance columns give them (see response.ts). */
const INSTANCE_REQUIRED = ['00080016', '00080018', '00200013'];

/** Computed attributes of the study (ModalitiesInStudy, NumberOfStudyRelatedSeries/Instances). */
const STUDY_COMPUTED = ['00080061', '00201206', '00201208'];
const SERIES_COMPUTED = ['00201209'];
const TIMEZONE = '00080201';

export interface ReturnPlan {
  /** Tags read from each level's DICOM JSON, or the whole object; undefined: not read at all. */
  study?: 'all' | string[];
  series?: 'all' | string[];
  instance?: 'all' | string[];
  /** Compute ModalitiesInStudy and NumberOfStudyRelatedSeries/Instances (table 10.6.3-3). */
  studyStats: boolean;
  /** Compute NumberOfSeriesRelatedInstances (table 10.6.3-4). */
  seriesStats: boolean;
  /** Study attributes of table 10.6.3-3 belong in the answer (All Series, All Instances). */
  studyLevel: boolean;
  /** Series attributes of table 10.6.3-4 belong in the answer (All Instances, Study's Instances). */
  seriesLevel: boolean;
  /** Present in every answer, as an empty element when unknown: Type R ones, match keys, includefield ones. */
  required: string[];
}

/** What to read and what to return for `request`. */
export function returnPlan(request: QidoRequest): ReturnPlan {
  const asked = [...request.keys.map((key) => key.path[0]?.tag ?? ''), ...(request.include === 'all' ? [] : request.include)];
  const askedAt = (level: string): string[] => asked.filter((tag) => attributeLevel(tag) === level);
  const all = request.include === 'all';
  const required = new Set(asked);
  const requireAll = (table: Readonly<Record<string, Presence>>): void => {
    for (const [tag, presence] of Object.entries(table)) if (presence === 'required') required.add(tag);
  };
  const studyStatsAsked = asked.some((tag) => STUDY_COMPUTED.includes(tag));

  if (request.level === 'study') {
    requireAll(STUDY_RETURNS);
    return { study: all ? 'all' : stored([...Object.keys(STUDY_RETURNS), ...asked]), studyStats: true, seriesStats: false, studyLevel: true, seriesLevel: false, required: [...required] };
  }
  if (request.level === 'series') {
    const studyLevel = request.scope.studyUid === undefined; // All Series (10.6.3.3.2)
    requireAll(SERIES_RETURNS);
    if (studyLevel) requireAll(STUDY_RETURNS);
    const studyTags = [...(studyLevel ? Object.keys(STUDY_RETURNS) : [TIMEZONE]), ...askedAt('study')];
    return {
      series: all ? 'all' : stored([...Object.keys(SERIES_RETURNS), ...askedAt('series')]),
      study: stored(studyTags),
      studyStats: studyLevel || studyStatsAsked,
      seriesStats: true,
      studyLevel,
      seriesLevel: true,
      required: [...required],
    };
  }
  const studyLevel = request.scope.studyUid === undefined; // All Instances (10.6.3.3.3)
  const seriesLevel = request.scope.seriesUid === undefined; // All Instances or Study's Instances
  for (const tag of INSTANCE_REQUIRED) required.add(tag);
  if (studyLevel) requireAll(STUDY_RETURNS);
  if (seriesLevel) requireAll(SERIES_RETURNS);
  // An instance's metadata holds its whole dataset, so the levels above are read from it too.
  const tags = [TIMEZONE, ...asked, ...(studyLevel ? Object.keys(STUDY_RETURNS) : []), ...(seriesLevel ? Object.keys(SERIES_RETURNS) : [])];
  return {
    instance: all ? 'all' : stored(tags),
    studyStats: studyLevel || studyStatsAsked,
    seriesStats: seriesLevel || asked.some((tag) => SERIES_COMPUTED.includes(tag)),
    studyLevel,
    seriesLevel,
    required: [...required],
  };
}

/** The tags worth reading from stored JSON: distinct, computed ones left out. */
function stored(tags: string[]): string[] {
  const computed = new Set([...STUDY_COMPUTED, ...SERIES_COMPUTED, '00080056', '00081190']);
  return [...new Set(tags)].filter((tag) => tag !== '' && !computed.has(tag));
}
