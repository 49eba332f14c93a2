/**
 * The kick-off request of a FHIR Bulk Data export, checked before a job exists: the level
 * (system, all patients, a Group), `_outputFormat`, `_since`, `_type` and `_typeFilter`.
 * Parameters this server does not support are ignored, or refused with `Prefer: handling=strict`,
 * as the specification asks.
 * @see https://hl7.org/fhir/uv/bulkdata/STU2/export.html#query-parameters
 */
import { badRequest, isKnownResourceType, parseSearch } from '../../fhir/index.ts';

export type ExportLevel = 'system' | 'patient' | 'group';

/** What an export job is asked to produce (stored with the job as JSON). */
export interface ExportParameters {
  level: ExportLevel;
  groupId?: string;
  /** Resource types to export; undefined: every type the level covers. */
  types?: string[];
  /** Only resources changed after this instant (ISO 8601). */
  since?: string;
  /** Per type, search queries a resource must match one of (`_typeFilter`). */
  typeFilters: Record<string, string[]>;
  /** De-identified output (the caller's role allows nothing else, or it asked for it with `deidentify=true`). */
  deidentified: boolean;
}

const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);
const SUPPORTED = new Set(['_outputFormat', '_since', '_type', '_typeFilter', 'deidentify']);
/** FHIR instant or dateTime with a time and zone (a `_since` without a zone would be ambiguous). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks the kick-off request.
 * @param query the request's query parameters
 * @param prefer the Prefer header (must ask for `respond-async`)
 * @param mustDeidentify the caller's role allows de-identified exports only
 * @throws FhirError (400) naming what is wrong
 */
export function parseExportRequest(level: ExportLevel, groupId: string | undefined, query: URLSearchParams, prefer: string | undefined, mustDeidentify: boolean): ExportParameters {
  const preferences = (prefer ?? '').split(/[,;]/).map((p) => p.trim().toLowerCase());
  if (!preferences.includes('respond-async')) throw badRequest('A bulk export runs asynchronously: send "Prefer: respond-async"');
  const strict = preferences.includes('handling=strict');
  for (const name of new Set(query.keys())) {
    if (!SUPPORTED.has(name) && strict) throw badRequest(`The parameter ${name} is not supported (Prefer: handling=strict)`, name);
  }
  const format = query.get('_outputFormat');
  if (format !== null && !NDJSON_FORMATS.has(format)) throw badRequest(`_outputFormat ${format} is not supported: NDJSON (application/fhir+ndjson) only`, '_outputFormat');
  const params: ExportParameters = { level, typeFilters: {}, deidentified: mustDeidentify || query.get('deidentify') === 'true' };
  if (groupId !== undefined) params.groupId = groupId;
  const since = query.get('_since');
  if (since !== null) {
    if (!INSTANT.test(since) || Number.isNaN(Date.parse(since))) throw badRequest('_since must be an instant with a time zone, e.g. 2026-01-01T00:00:00Z', '_since');
    params.since = new Date(since).toISOString();
  }
  const types = query.getAll('_type').flatMap((value) => value.split(',')).map((t) => t.trim()).filter((t) => t !== '');
  for (const type of types) if (!isKnownResourceType(type)) throw badRequest(`_type ${type} is not a FHIR R4 resource type`, '_type');
  if (types.length > 0) params.types = [...new Set(types)];
  for (const filter of query.getAll('_typeFilter').flatMap((value) => value.split(','))) {
    const [type = '', search = ''] = filter.trim().split(/\?(.*)/s);
    if (!isKnownResourceType(type)) throw badRequest(`_typeFilter "${type}?..." does not start with a FHIR resource type`, '_typeFilter');
    if (params.types && !params.types.includes(type)) throw badRequest(`_typeFilter on ${type}, which _type does not ask for`, '_typeFilter');
    // Parsed now so a wrong search parameter fails the kick-off, not the job.
    const unknown = parseSearch(type, new URLSearchParams(search)).ignored;
    if (unknown.length > 0) throw badRequest(`_typeFilter on ${type}: unknown search parameter ${unknown.join(', ')}`, '_typeFilter');
    (params.typeFilters[type] ??= []).push(search);
  }
  return params;
}
