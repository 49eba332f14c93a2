/**
 * Batch: each entry is an independent request through the router, with its own transaction;
 * one entry's failure is reported in its response and does not affect the others.
 * @see https://hl7.org/fhir/R4/http.html#brules
 */
import type { Bundle, BundleEntry, BundleEntryResponse } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../http-types.ts';
import type { FhirRouter } from '../router.ts';
import { toFhirError } from '../outcomes.ts';
import { parseEntryRequest, type EntryRequest } from './entry-request.ts';
import { patchFromBinary } from './patch-body.ts';

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed', 422: 'Unprocessable Entity', 500: 'Internal Server Error',
};

export const statusText = (status: number): string => `${status} ${REASONS[status] ?? ''}`.trim();

/** The FhirRequest an entry stands for, carrying the outer request's Prefer header. */
export function entryAsRequest(entry: EntryRequest, outer: FhirRequest): FhirRequest {
  const headers: Record<string, string | undefined> = {
    'if-match': entry.ifMatch,
    'if-none-exist': entry.ifNoneExist,
    'if-none-match': entry.ifNoneMatch,
    prefer: outer.header('prefer'),
  };
  return {
    method: entry.method,
    path: entry.path,
    query: entry.query,
    header: (name) => headers[name],
    body: entry.method === 'PATCH' ? patchFromBinary(entry.resource, entry.index) : entry.resource,
    baseUrl: outer.baseUrl,
    ...(outer.access ? { access: outer.access } : {}),
  };
}

/** A Bundle entry response from a router response. */
export function responseEntry(response: FhirResponse): BundleEntry {
  const result: BundleEntryResponse = { status: statusText(response.status) };
  const headers = response.headers ?? {};
  if (headers.Location) result.location = headers.Location;
  if (headers.ETag) result.etag = headers.ETag;
  if (headers['Last-Modified']) result.lastModified = new Date(headers['Last-Modified']).toISOString();
  if (response.body?.resourceType === 'OperationOutcome' && response.status >= 400) {
    result.outcome = response.body;
    return { response: result };
  }
  return response.body ? { resource: response.body, response: result } : { response: result };
}

export async function processBatch(bundle: Bundle, outer: FhirRequest, router: FhirRouter): Promise<FhirResponse> {
  const entries: BundleEntry[] = [];
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    let response: FhirResponse;
    try {
      response = await router.handle(entryAsRequest(parseEntryRequest(entry, index, outer.baseUrl), outer));
    } catch (err) {
      const error = toFhirError(err);
      response = { status: error.status, body: error.outcome };
    }
    entries.push(responseEntry(response));
  }
  return { status: 200, body: { resourceType: 'Bundle', type: 'batch-response', entry: entries } };
}
