/**
 * The transport-neutral request and response of the FHIR core. Express (and any later
 * adapter) turns its input into a FhirRequest and writes the FhirResponse back.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { AccessPolicy } from './access.ts';

export interface FhirRequest {
  method: string;
  /** Path below the FHIR base, e.g. `/Patient/123/_history/2` (no query string). */
  path: string;
  query: URLSearchParams;
  /** Header lookup by lower-case name. */
  header(name: string): string | undefined;
  /** The parsed JSON body, if any. */
  body?: unknown;
  /** Absolute base URL of the FHIR endpoint, e.g. `http://localhost:8080/fhir`. */
  baseUrl: string;
  /** What the caller may do and see; absent: not checked (loopback-only mode, internal calls). */
  access?: AccessPolicy;
}

export interface FhirResponse {
  status: number;
  body?: Resource;
  headers?: Record<string, string>;
}

/** What `Prefer: return=` asks for. @see https://hl7.org/fhir/R4/http.html#ops */
export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export function preferReturn(request: FhirRequest): PreferReturn {
  const prefer = request.header('prefer') ?? '';
  const m = /return=(minimal|representation|OperationOutcome)/.exec(prefer);
  return (m?.[1] as PreferReturn | undefined) ?? 'representation';
}

/** ETag and Last-Modified of a stored resource. */
export function versionHeaders(resource: Resource): Record<string, string> {
  const headers: Record<string, string> = {};
  if (resource.meta?.versionId) headers.ETag = `W/"${resource.meta.versionId}"`;
  if (resource.meta?.lastUpdated) headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  return headers;
}
