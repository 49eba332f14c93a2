/**
 * Reads a Bundle entry's `request` into the parts the processors need.
 * @see https://hl7.org/fhir/R4/bundle-definitions.html#Bundle.entry.request
 */
import type { BundleEntry, Resource } from '@medplum/fhirtypes';
import { badRequest } from '../outcomes.ts';

export interface EntryRequest {
  index: number;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the FHIR base, with a leading slash. */
  path: string;
  query: URLSearchParams;
  /** The resource type named by the URL, if it names one. */
  resourceType?: string;
  id?: string;
  fullUrl?: string;
  resource?: Resource;
  ifMatch?: string;
  ifNoneExist?: string;
  ifNoneMatch?: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function parseEntryRequest(entry: BundleEntry, index: number, baseUrl: string): EntryRequest {
  const request = entry.request;
  if (!request?.method || !METHODS.has(request.method) || typeof request.url !== 'string' || request.url === '') {
    throw badRequest('Each entry needs request.method (GET, HEAD, POST, PUT, PATCH, DELETE) and request.url', `Bundle.entry[${index}].request`);
  }
  let url = request.url;
  if (url.startsWith(baseUrl + '/')) url = url.slice(baseUrl.length + 1);
  else if (/^[a-z]+:/i.test(url)) throw badRequest(`Entry URL ${url} is not on this server`, `Bundle.entry[${index}].request.url`);
  const [pathPart = '', queryPart = ''] = url.replace(/^\//, '').split(/\?(.*)/s, 2);
  const segments = pathPart.split('/').filter((s) => s !== '');
  const [resourceType, id] = segments;
  return {
    index,
    method: request.method as EntryRequest['method'],
    path: `/${pathPart}`,
    query: new URLSearchParams(queryPart),
    resourceType,
    id: segments.length === 2 ? id : undefined,
    fullUrl: entry.fullUrl,
    resource: entry.resource,
    ifMatch: request.ifMatch,
    ifNoneExist: request.ifNoneExist,
    ifNoneMatch: request.ifNoneMatch,
  };
}
