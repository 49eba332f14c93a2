/**
 * History interactions' Bundle (type `history`), newest first, paged by a cursor on the
 * server-wide history sequence so that pages stay correct while new versions are written.
 * @see https://hl7.org/fhir/R4/http.html#history
 */
import type { Bundle, BundleEntry, BundleLink } from '@medplum/fhirtypes';
import type { FhirRequest } from './http-types.ts';
import type { HistoryEntry } from './repository.ts';
import { badRequest } from './outcomes.ts';
import { dateRange } from './search/ranges.ts';
import { DEFAULT_COUNT, MAX_COUNT } from './search/request.ts';

export interface HistoryPageQuery {
  count: number;
  since?: string;
  before?: string;
}

export function parseHistoryQuery(query: URLSearchParams): HistoryPageQuery {
  const result: HistoryPageQuery = { count: DEFAULT_COUNT };
  const count = query.get('_count');
  if (count !== null) {
    if (!/^\d+$/.test(count)) throw badRequest(`_count must be a non-negative integer, not "${count}"`, '_count');
    result.count = Math.min(Number(count), MAX_COUNT);
  }
  const since = query.get('_since');
  if (since !== null) {
    const range = dateRange(since);
    if (!range || !since.includes('T')) throw badRequest(`_since must be an instant (e.g. 2026-01-31T12:00:00Z), not "${since}"`, '_since');
    result.since = range.low;
  }
  const cursor = query.get('_cursor');
  if (cursor !== null) {
    if (!/^\d{1,18}$/.test(cursor)) throw badRequest('Invalid _cursor', '_cursor');
    result.before = cursor;
  }
  return result;
}

/** `entries` holds up to count + 1 rows; the extra one only tells that a next page exists. */
export function historyBundle(request: FhirRequest, query: HistoryPageQuery, entries: HistoryEntry[]): Bundle {
  const page = entries.slice(0, query.count);
  const url = (extra: Record<string, string>): string => {
    const params = new URLSearchParams({ _count: String(query.count) });
    if (query.since) params.set('_since', query.since);
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    return `${request.baseUrl}${request.path}?${params}`;
  };
  const link: BundleLink[] = [
    { relation: 'self', url: url(query.before ? { _cursor: query.before } : {}) },
    { relation: 'first', url: url({}) },
  ];
  const last = page[page.length - 1];
  if (entries.length > query.count && last) link.push({ relation: 'next', url: url({ _cursor: last.seq }) });
  return {
    resourceType: 'Bundle',
    type: 'history',
    link,
    entry: page.map((entry) => historyEntry(request.baseUrl, entry)),
  };
}

function historyEntry(baseUrl: string, entry: HistoryEntry): BundleEntry {
  const ref = `${entry.resourceType}/${entry.id}`;
  const status = entry.method === 'DELETE' ? '204 No Content' : entry.versionId === '1' ? '201 Created' : '200 OK';
  return {
    fullUrl: `${baseUrl}/${ref}`,
    resource: entry.resource,
    request: { method: entry.method, url: entry.method === 'POST' ? entry.resourceType : ref },
    response: { status, etag: `W/"${entry.versionId}"`, lastModified: entry.lastUpdated },
  };
}
