/**
 * A QIDO-RS search, parsed once from the target resource and its query string: match keys
 * with their kind of matching, the attributes to return, fuzzy matching and the page.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6.1
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.3.4
 */
import { badRequest } from '../errors.ts';
import { levelOf } from '../levels.ts';
import { isUid } from '../uids.ts';
import { resolvePath, type AttributeRef } from './dictionary.ts';
import { parseMatcher, type Matcher } from './matchers.ts';

export type QidoLevel = 'study' | 'series' | 'instance';

export interface QidoScope {
  studyUid?: string;
  seriesUid?: string;
}

export interface MatchKey {
  /** The attribute, or a path into sequences (top-level attribute first). */
  path: AttributeRef[];
  /** The information model level the top-level attribute is kept at. */
  level: QidoLevel;
  /** How the (leaf) attribute is matched. */
  matcher: Matcher;
  /**
   * Combined date-time matching (PS3.18 8.3.4.1.1, PS3.4 C.2.2.2.5.4): on a DA key whose paired
   * TM key has a range of the same form, that time's bounds; the date and time are then matched
   * as one datetime (`StudyDate=20240105-20240107&StudyTime=1000-1800` is 5 Jan 10:00 to 7 Jan 18:00).
   */
  time?: { tag: string; from?: string; to?: string };
}

export interface QidoRequest {
  level: QidoLevel;
  scope: QidoScope;
  keys: MatchKey[];
  /** `all`, or the top-level tags asked for with includefield (those of deeper levels dropped, 10.6.3.3). */
  include: 'all' | string[];
  /** `fuzzymatching=true` (PS3.18 8.3.4.2): person names match word by word, see sql-match.ts. */
  fuzzy: boolean;
  limit: number;
  offset: number;
  /**
   * Warning header texts the answer must carry (`299 <service>: <text>`), e.g. for
   * `emptyvaluematching=true`, which is not supported (PS3.18 8.3.4.5).
   */
  warnings: string[];
}

/**
 * The most matches one answer holds, per level; also what `limit` defaults to, so a search
 * without `limit` returns up to this many and says how many remain (PS3.18 8.3.4.4.1).
 * The Conformance Statement must give these (PS3.18 10.6.5).
 */
export const QIDO_MAX_RESULTS: Readonly<Record<QidoLevel, number>> = { study: 1000, series: 1000, instance: 10000 };

/** Attributes computed when answering: they can be asked for (empty value) but not matched. */
const COMPUTED = new Set([
  '00080056', // InstanceAvailability
  '00081190', // RetrieveURL
  '00201206', // NumberOfStudyRelatedSeries
  '00201208', // NumberOfStudyRelatedInstances
  '00201209', // NumberOfSeriesRelatedInstances
]);

/**
 * Never matched, only returned: Specific Character Set (PS3.4 C.2.2.2) and Timezone Offset From
 * UTC, which would shift the request's dates and times (PS3.18 8.3.4.1.1); that shift is not done.
 */
const NOT_MATCHED = new Set(['00080005', '00080201']);

/** Levels of attributes levels.ts does not place (computed ones, which the index does not store). */
const LEVEL_OVERRIDES: Record<string, QidoLevel> = {
  '00080061': 'study', // ModalitiesInStudy
  '00201206': 'study',
  '00201208': 'study',
  '00201209': 'series',
  '00081190': 'instance', // RetrieveURL: every level has its own; see levelAllowed
};

/** DA and TM attributes that make a pair for combined date-time matching. */
const DATE_TIME_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['00080020', '00080030'], // StudyDate, StudyTime
  ['00080021', '00080031'], // SeriesDate, SeriesTime
  ['00080022', '00080032'], // AcquisitionDate, AcquisitionTime
  ['00080023', '00080033'], // ContentDate, ContentTime
  ['00080012', '00080013'], // InstanceCreationDate, InstanceCreationTime
  ['00100030', '00100032'], // PatientBirthDate, PatientBirthTime
  ['00400244', '00400245'], // PerformedProcedureStepStartDate, PerformedProcedureStepStartTime
];

const DEPTH: Record<QidoLevel, number> = { study: 0, series: 1, instance: 2 };
const PLURAL: Record<QidoLevel, string> = { study: 'studies', series: 'series', instance: 'instances' };

/** The level an attribute belongs to for QIDO-RS. */
export function attributeLevel(tag: string): QidoLevel {
  return LEVEL_OVERRIDES[tag] ?? levelOf(tag);
}

/** Whether an attribute of `attribute` level can be matched or returned at `target` level (10.6.1.2.1). */
function levelAllowed(tag: string, target: QidoLevel): boolean {
  return tag === '00081190' || DEPTH[attributeLevel(tag)] <= DEPTH[target];
}

/**
 * Parses a search on `level` with the path's UIDs in `scope` (`/studies/{s}/series` has
 * `studyUid`). Every problem is a 400 DicomwebError naming the parameter.
 */
export function parseQidoRequest(level: QidoLevel, query: URLSearchParams, scope: QidoScope = {}): QidoRequest {
  checkScope(level, scope);
  const request: QidoRequest = { level, scope, keys: [], include: [], fuzzy: false, limit: QIDO_MAX_RESULTS[level], offset: 0, warnings: [] };
  const includes: string[] = [];
  const seen = new Set<string>();
  for (const [name, value] of query) {
    const reserved = name.toLowerCase();
    if (reserved === 'includefield') includes.push(...value.split(','));
    else if (reserved === 'fuzzymatching') request.fuzzy = once(seen, reserved, () => parseBoolean(reserved, value));
    else if (reserved === 'emptyvaluematching') {
      if (once(seen, reserved, () => parseBoolean(reserved, value))) request.warnings.push('The emptyvaluematching parameter is not supported. Empty Value Matching has not been performed.');
    } else if (reserved === 'limit') request.limit = once(seen, reserved, () => Math.min(parseUint(reserved, value), QIDO_MAX_RESULTS[level]));
    else if (reserved === 'offset') request.offset = once(seen, reserved, () => parseUint(reserved, value));
    else if (reserved === 'accept' || reserved === 'charset') continue; // content negotiation (8.3.3), the route's business
    else addKey(request, name, value);
  }
  request.include = parseIncludes(level, includes);
  combineDateTimes(request.keys);
  return request;
}

function checkScope(level: QidoLevel, scope: QidoScope): void {
  if (scope.studyUid !== undefined && !isUid(scope.studyUid)) throw badRequest(`the Study Instance UID in the path is not a UID: "${scope.studyUid.slice(0, 80)}"`);
  if (scope.seriesUid !== undefined && !isUid(scope.seriesUid)) throw badRequest(`the Series Instance UID in the path is not a UID: "${scope.seriesUid.slice(0, 80)}"`);
  if (scope.seriesUid !== undefined && level !== 'instance') throw badRequest('a series in the path only scopes a search for instances');
}

function once<T>(seen: Set<string>, name: string, parse: () => T): T {
  if (seen.has(name)) throw badRequest(`${name} is given more than once`);
  seen.add(name);
  return parse();
}

function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw badRequest(`${name} must be true or false, not "${value.slice(0, 80)}"`);
}

/** PS3.18 8.3.4.4: `uint`, decimal digits only. */
function parseUint(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw badRequest(`${name} must be a non-negative integer, not "${value.slice(0, 80)}"`);
  return Number(value);
}

function addKey(request: QidoRequest, id: string, value: string): void {
  const path = resolvePath(id);
  const top = path[0] as AttributeRef;
  const leaf = path[path.length - 1] as AttributeRef;
  let matcher = parseMatcher(leaf, value);
  if (!levelAllowed(top.tag, request.level)) {
    const hint = top.tag === '00080060' ? ' (on studies, match ModalitiesInStudy)' : '';
    throw badRequest(`${top.name} is a ${attributeLevel(top.tag)} level attribute and cannot be matched when searching for ${PLURAL[request.level]}${hint}`);
  }
  if (matcher.kind !== 'universal' && COMPUTED.has(leaf.tag)) throw badRequest(`${leaf.name} is computed by the server: ask for it (empty value or includefield), it cannot be matched`);
  if (NOT_MATCHED.has(leaf.tag)) matcher = { kind: 'universal' };
  const key = path.map((step) => step.tag).join('.');
  const existing = request.keys.find((other) => other.path.map((step) => step.tag).join('.') === key);
  if (existing) {
    // PS3.18 8.3.4.1: an attribute shall not be repeated; for UIDs a repeat reads as more of the list.
    if (existing.matcher.kind === 'equals' && matcher.kind === 'equals' && leaf.vr === 'UI') {
      existing.matcher = { kind: 'equals', values: [...new Set([...existing.matcher.values, ...matcher.values])] };
      return;
    }
    throw badRequest(`${id} is given more than once (PS3.18 8.3.4.1); give UIDs as one comma-separated list`);
  }
  request.keys.push({ path, level: attributeLevel(top.tag), matcher });
}

/** includefield values: `all`, or attribute ids; a path keeps its top-level attribute (returned whole). */
function parseIncludes(level: QidoLevel, ids: string[]): 'all' | string[] {
  const wanted = ids.map((id) => id.trim()).filter((id) => id !== '');
  // 8.3.4.3 says `all` comes alone; when it does not, it still means all.
  if (wanted.includes('all')) return 'all';
  const tags = new Set<string>();
  for (const id of wanted) {
    const top = resolvePath(id)[0] as AttributeRef;
    if (levelAllowed(top.tag, level)) tags.add(top.tag);
  }
  return [...tags];
}

function combineDateTimes(keys: MatchKey[]): void {
  for (const [dateTag, timeTag] of DATE_TIME_PAIRS) {
    const date = keys.find((key) => key.path.length === 1 && key.path[0]?.tag === dateTag);
    const time = keys.find((key) => key.path.length === 1 && key.path[0]?.tag === timeTag);
    if (!date || !time || date.matcher.kind !== 'range' || time.matcher.kind !== 'range' || time.matcher.single) continue;
    const sameForm = (date.matcher.from === undefined) === (time.matcher.from === undefined) && (date.matcher.to === undefined) === (time.matcher.to === undefined);
    if (!sameForm) continue;
    date.time = { tag: timeTag, from: time.matcher.from, to: time.matcher.to };
    time.matcher = { kind: 'universal' }; // matched with the date; still returned
  }
}
