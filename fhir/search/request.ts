/**
 * A search, parsed once from the query string into typed criteria.
 * @see https://hl7.org/fhir/R4/search.html
 */
import type { SearchParameter } from '@medplum/fhirtypes';
import { getSearchParameter } from '@medplum/core';
import { badRequest } from '../outcomes.ts';

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

/** One criterion: `code[:modifier]=v1,v2` (values are ORed; repeated criteria are ANDed). */
export interface Criterion {
  code: string;
  modifier?: string;
  values: string[];
  /** The spec's definition; undefined for `_id` and `_lastUpdated`, which are columns. */
  definition?: SearchParameter;
  /** `_id`, `_lastUpdated`, or the parameter's type. */
  kind: SearchParameter['type'] | '_id' | '_lastUpdated';
}

export interface SearchRequest {
  resourceType: string;
  criteria: Criterion[];
  count: number;
  offset: number;
  /** Result parameters given but ignored (e.g. `_sort` for a conditional interaction). */
  ignored: string[];
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** Splits a parameter value on commas that are not escaped (`\,`), then unescapes `\,` `\$` `\|` `\\`. */
export function splitValues(text: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[++i];
    } else if (c === ',') {
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
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) current += text[++i];
    else if (c === separator) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

export const unescapeValue = (text: string): string => text.replace(/\\(.)/g, '$1');

/** Parameters that shape the result rather than select resources. */
const RESULT_PARAMETERS = new Set(['_count', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_contained', '_containedType', '_format', '_pretty']);

/**
 * Parses a query into a SearchRequest. Unknown parameters are errors: a conditional interaction
 * that silently dropped a criterion would match (and change) more than was asked.
 */
export function parseSearch(resourceType: string, query: URLSearchParams, options: { lenient?: boolean } = {}): SearchRequest {
  const request: SearchRequest = { resourceType, criteria: [], count: DEFAULT_COUNT, offset: 0, ignored: [] };
  for (const [key, raw] of query) {
    if (key === '_count') {
      const count = Number(raw);
      if (!Number.isInteger(count) || count < 0) throw badRequest(`_count must be a non-negative integer, not "${raw}"`, '_count');
      request.count = Math.min(count, MAX_COUNT);
      continue;
    }
    if (key === '_offset') {
      const offset = Number(raw);
      if (!Number.isInteger(offset) || offset < 0) throw badRequest(`_offset must be a non-negative integer, not "${raw}"`, '_offset');
      request.offset = offset;
      continue;
    }
    if (RESULT_PARAMETERS.has(key)) {
      request.ignored.push(key);
      continue;
    }
    const [code, modifier] = key.split(':', 2) as [string, string | undefined];
    const values = splitValues(raw);
    if (code === '_id' || code === '_lastUpdated') {
      request.criteria.push({ code, modifier, values, kind: code });
      continue;
    }
    const definition = getSearchParameter(resourceType, code);
    if (!definition || definition.type === 'composite' || definition.type === 'special') {
      if (options.lenient) {
        request.ignored.push(key);
        continue;
      }
      throw badRequest(`Unknown or unsupported search parameter "${code}" for ${resourceType}`, code);
    }
    request.criteria.push({ code, modifier, values, definition, kind: definition.type as Criterion['kind'] });
  }
  return request;
}

/** Splits `ge2020` into its prefix and value (no prefix means `eq`). */
export function splitPrefix(value: string): [Prefix, string] {
  const prefix = value.slice(0, 2) as Prefix;
  return PREFIXES.includes(prefix) && /^[\d-]/.test(value.slice(2)) ? [prefix, value.slice(2)] : ['eq', value];
}
