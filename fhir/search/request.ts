/**
 * A search, parsed once from the query string into typed criteria and result options.
 * @see https://hl7.org/fhir/R4/search.html
 */
import type { SearchParameter } from '@medplum/fhirtypes';
import { getSearchParameter } from '@medplum/core';
import { badRequest } from '../outcomes.ts';
import { isKnownResourceType } from '../definitions.ts';

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

/** Parameters @medplum/core adds for its own server; not R4, so neither indexed nor searchable here. */
export const NOT_R4 = new Set(['_compartment', '_project']);

export type CriterionKind = Exclude<SearchParameter['type'], undefined> | '_id' | '_lastUpdated' | '_has';

/**
 * One criterion: `code[:modifier]=v1,v2` (values are ORed; repeated criteria are ANDed).
 * A chain (`subject:Patient.name=x`) is a reference criterion whose `chain` applies to the
 * referenced resources; `_has:Observation:subject:code=x` is a `_has` criterion.
 */
export interface Criterion {
  code: string;
  modifier?: string;
  values: string[];
  kind: CriterionKind;
  /** The spec's definition; undefined for `_id`, `_lastUpdated` and `_has`. */
  definition?: SearchParameter;
  /** For a chain: the resource types followed and the criterion on them. */
  chain?: { targetTypes: string[]; criterion: Criterion };
  /** For `_has`: the referring type, its reference parameter, and the criterion on the referrers. */
  has?: { resourceType: string; referenceParam: string; criterion: Criterion };
}

export interface SortKey {
  code: string;
  descending: boolean;
  kind: CriterionKind;
}

export interface IncludeSpec {
  /** Type whose reference parameter is followed (`*` for any). */
  sourceType: string;
  /** Reference parameter, or `*` for every reference parameter. */
  param: string;
  targetType?: string;
  iterate: boolean;
}

export interface NearSpec {
  latitude: number;
  longitude: number;
  /** Radius in kilometres. */
  distanceKm: number;
}

export interface SearchRequest {
  /** One type, or several for a system-level search with `_type`. */
  resourceTypes: string[];
  criteria: Criterion[];
  count: number;
  /** Opaque keyset cursor of the page to return (from a `next`/`previous` link). */
  cursor?: string;
  sort: SortKey[];
  total: 'none' | 'estimate' | 'accurate';
  summary?: 'true' | 'false' | 'text' | 'data' | 'count';
  elements?: string[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  near?: NearSpec;
  /** Parameters given but not applied (unknown, or not supported), in `key` form. */
  ignored: string[];
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;
/** `near` without a distance: what "near" means here, in km. */
export const DEFAULT_NEAR_KM = 50;

/** Splits a parameter value on commas that are not escaped (`\,`); escapes are kept for later splits. */
export function splitValues(text: string): string[] {
  return splitKeepingEscapes(text, ',');
}

function splitKeepingEscapes(text: string, separator: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[++i];
    } else if (c === separator) {
      values.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  values.push(current);
  return values;
}

/** Splits on an unescaped separator (e.g. `|` in tokens) and removes escapes from the parts. */
export function splitEscaped(text: string, separator: string): string[] {
  return splitKeepingEscapes(text, separator).map(unescapeValue);
}

/** Splits a composite value `a$b` on its unescaped `$`, keeping escapes for the parts' own parsing. */
export const splitComposite = (text: string): string[] => splitKeepingEscapes(text, '$');

export const unescapeValue = (text: string): string => text.replace(/\\(.)/g, '$1');

/** The definition of a search parameter of a type, if R4 defines it. */
export function searchParameter(resourceType: string, code: string): SearchParameter | undefined {
  return NOT_R4.has(code) ? undefined : getSearchParameter(resourceType, code);
}

class UnknownParameter extends Error {}

/**
 * Parses a criterion key and its value in the context of `resourceType`:
 * `code`, `code:modifier`, `ref:Type.code...` (chains), `_has:Type:ref:code...`.
 */
function parseCriterion(resourceType: string, key: string, value: string): Criterion {
  if (key.startsWith('_has:')) {
    const [, hasType, referenceParam, ...rest] = key.split(':');
    if (!hasType || !referenceParam || rest.length === 0 || !isKnownResourceType(hasType)) throw badRequest(`Invalid _has parameter "${key}"`, key);
    const reference = searchParameter(hasType, referenceParam);
    if (reference?.type !== 'reference') throw badRequest(`${hasType}.${referenceParam} is not a reference search parameter`, key);
    return { code: '_has', kind: '_has', values: [], has: { resourceType: hasType, referenceParam, criterion: parseCriterion(hasType, rest.join(':'), value) } };
  }
  const dot = key.indexOf('.');
  const head = dot < 0 ? key : key.slice(0, dot);
  const [code, modifier] = head.split(':', 2) as [string, string | undefined];
  if (code === '_id' || code === '_lastUpdated') {
    if (dot >= 0) throw badRequest(`${code} cannot be chained`, key);
    return { code, modifier, values: splitValues(value), kind: code };
  }
  const definition = searchParameter(resourceType, code);
  if (!definition || (definition.type === 'special' && code !== 'near')) throw new UnknownParameter(`${code} for ${resourceType}`);
  if (dot >= 0) {
    if (definition.type !== 'reference') throw badRequest(`Only reference parameters can be chained, not ${code}`, key);
    const rest = key.slice(dot + 1);
    const nextCode = (rest.split(/[.:]/, 1)[0] as string);
    const candidates = modifier ? [modifier] : (definition.target ?? []).map(String);
    const targetTypes = candidates.filter((t) => isKnownResourceType(t) && (nextCode.startsWith('_') || searchParameter(t, nextCode) !== undefined));
    if (targetTypes.length === 0) throw badRequest(`No target of ${resourceType}.${code} has a search parameter "${nextCode}"`, key);
    // Parsed against the first target; parameters of the same code share their type across targets.
    const criterion = parseCriterion(targetTypes[0] as string, rest, value);
    return { code, modifier, values: [], kind: 'reference', definition, chain: { targetTypes, criterion } };
  }
  return { code, modifier, values: splitValues(value), kind: definition.type as CriterionKind, definition };
}

/** Parameters that shape the result rather than select resources. */
const RESULT_PARAMETERS = new Set(['_count', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_cursor', '_format', '_pretty', '_type', '_contained', '_containedType']);

export interface ParseOptions {
  /** Ignore unknown parameters (a plain search) instead of refusing them (strict, or conditional). */
  lenient?: boolean;
}

/**
 * Parses a search on one type (or several, for `_type` at the system level). Unknown parameters
 * are errors unless `lenient`: a conditional interaction that silently dropped a criterion would
 * match (and change) more than was asked.
 */
export function parseSearch(resourceTypes: string | string[], query: URLSearchParams, options: ParseOptions = {}): SearchRequest {
  const types = Array.isArray(resourceTypes) ? resourceTypes : [resourceTypes];
  const request: SearchRequest = { resourceTypes: types, criteria: [], count: DEFAULT_COUNT, sort: [], total: 'none', include: [], revinclude: [], ignored: [] };
  const context = types[0] as string;
  for (const [key, raw] of query) {
    if (RESULT_PARAMETERS.has(key.split(':')[0] as string)) {
      parseResultParameter(request, key, raw);
      continue;
    }
    try {
      const criterion = parseCriterion(context, key, raw);
      for (const other of types.slice(1)) {
        if (criterion.kind !== '_id' && criterion.kind !== '_lastUpdated' && !searchParameter(other, criterion.code)) throw new UnknownParameter(`${criterion.code} for ${other}`);
      }
      if (criterion.code === 'near') request.near = parseNear(raw);
      else request.criteria.push(criterion);
    } catch (err) {
      if (!(err instanceof UnknownParameter)) throw err;
      if (!options.lenient) throw badRequest(`Unknown or unsupported search parameter ${err.message}`, key);
      request.ignored.push(key);
    }
  }
  return request;
}

function parseResultParameter(request: SearchRequest, key: string, raw: string): void {
  const [name, modifier] = key.split(':', 2);
  switch (name) {
    case '_count': {
      const count = Number(raw);
      if (!Number.isInteger(count) || count < 0) throw badRequest(`_count must be a non-negative integer, not "${raw}"`, '_count');
      request.count = Math.min(count, MAX_COUNT);
      return;
    }
    case '_cursor':
      request.cursor = raw;
      return;
    case '_sort':
      request.sort = raw.split(',').filter((s) => s !== '').map((s) => parseSortKey(request.resourceTypes, s));
      return;
    case '_total':
      if (raw !== 'none' && raw !== 'estimate' && raw !== 'accurate') throw badRequest('_total is none, estimate or accurate', '_total');
      request.total = raw;
      return;
    case '_summary':
      if (!['true', 'false', 'text', 'data', 'count'].includes(raw)) throw badRequest('_summary is true, false, text, data or count', '_summary');
      request.summary = raw as SearchRequest['summary'];
      return;
    case '_elements':
      request.elements = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
      return;
    case '_include':
    case '_revinclude':
      (name === '_include' ? request.include : request.revinclude).push(parseInclude(raw, modifier === 'iterate' || modifier === 'recurse', name));
      return;
    default:
      return; // _format, _pretty and _type are handled by the caller; _contained is not supported
  }
}

function parseSortKey(types: string[], text: string): SortKey {
  const descending = text.startsWith('-');
  const code = descending ? text.slice(1) : text;
  if (code === '_id' || code === '_lastUpdated') return { code, descending, kind: code };
  const definition = searchParameter(types[0] as string, code);
  if (!definition || definition.type === 'composite' || definition.type === 'special') throw badRequest(`Cannot sort by "${code}"`, '_sort');
  return { code, descending, kind: definition.type as CriterionKind };
}

function parseInclude(raw: string, iterate: boolean, name: string): IncludeSpec {
  if (raw === '*') return { sourceType: '*', param: '*', iterate };
  const [sourceType, param, targetType] = raw.split(':');
  if (!sourceType || !param || !isKnownResourceType(sourceType)) throw badRequest(`${name} is Type:parameter[:targetType], not "${raw}"`, name);
  if (param !== '*' && searchParameter(sourceType, param)?.type !== 'reference') throw badRequest(`${sourceType}.${param} is not a reference parameter`, name);
  if (targetType !== undefined && !isKnownResourceType(targetType)) throw badRequest(`Unknown type ${targetType} in ${name}`, name);
  return { sourceType, param, targetType, iterate };
}

/** `near=latitude|longitude|distance|unit` (km or mi; km when omitted). @see https://hl7.org/fhir/R4/location.html#positional */
function parseNear(raw: string): NearSpec {
  const [lat, lon, distance, unit = 'km'] = splitEscaped(raw, '|');
  const latitude = Number(lat);
  const longitude = Number(lon);
  if (!lat || !lon || !Number.isFinite(latitude) || !Number.isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
    throw badRequest('near is latitude|longitude|distance|unit, e.g. 44.83|-0.57|20|km', 'near');
  }
  let distanceKm = DEFAULT_NEAR_KM;
  if (distance) {
    const d = Number(distance);
    if (!Number.isFinite(d) || d < 0) throw badRequest(`Invalid near distance "${distance}"`, 'near');
    const u = unit.replace(/^\[|\]$/g, '').replace(/_us$/, '');
    if (u !== 'km' && u !== 'mi') throw badRequest(`near distance unit must be km or mi, not "${unit}"`, 'near');
    distanceKm = u === 'mi' ? d * 1.609344 : d;
  }
  return { latitude, longitude, distanceKm };
}

/** Splits `ge2020` into its prefix and value (no prefix means `eq`). */
export function splitPrefix(value: string): [Prefix, string] {
  const prefix = value.slice(0, 2) as Prefix;
  return PREFIXES.includes(prefix) && /^[\d-]/.test(value.slice(2)) ? [prefix, value.slice(2)] : ['eq', value];
}
