/**
 * The searchset Bundle of a search. Its `self` link shows only the criteria that were applied;
 * `next`/`previous` carry keyset cursors (see sort.ts), `first` starts again.
 * @see https://hl7.org/fhir/R4/search.html#return
 */
import type { Bundle, BundleEntry, BundleLink, Extension, Resource } from '@medplum/fhirtypes';
import type { SearchRequest } from './request.ts';
import type { SearchResult } from './execute.ts';
import { shapeResource } from './elements.ts';

/** The standard extension giving a `near` match's distance on `Bundle.entry.search`, in km. */
export function distanceExtension(km: number): Extension {
  return {
    url: 'http://hl7.org/fhir/StructureDefinition/location-distance',
    valueDistance: { value: Math.round(km * 1000) / 1000, unit: 'km', system: 'http://unitsofmeasure.org', code: 'km' },
  };
}

/** The query string that reproduces a search's applied criteria and result options. */
export function appliedQuery(request: SearchRequest, query: URLSearchParams): URLSearchParams {
  const applied = new URLSearchParams();
  for (const [key, value] of query) {
    if (request.ignored.includes(key) || key === '_cursor' || key === '_count') continue;
    applied.append(key, value);
  }
  applied.set('_count', String(request.count));
  return applied;
}

export function searchBundle(url: string, request: SearchRequest, applied: URLSearchParams, result: SearchResult, included: Resource[], baseUrl: string): Bundle {
  const link = (relation: string, cursor?: string): BundleLink => {
    const params = new URLSearchParams(applied);
    if (cursor) params.set('_cursor', cursor);
    return { relation, url: `${url}?${params}` };
  };
  const links = [link('self', request.cursor), link('first')];
  if (result.next) links.push(link('next', result.next));
  if (result.previous) links.push(link('previous', result.previous));
  const entry = (resource: Resource, mode: 'match' | 'include', distanceKm?: number): BundleEntry => ({
    fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`,
    resource: shapeResource(resource, request),
    search: distanceKm === undefined
      ? { mode }
      : { mode, extension: [distanceExtension(distanceKm)] },
  });
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', link: links };
  const total = result.total ?? (!request.cursor && !result.next && request.summary !== 'count' ? result.matches.length : undefined);
  if (total !== undefined) bundle.total = total;
  if (request.summary !== 'count') {
    bundle.entry = [...result.matches.map((m) => entry(m.resource, 'match', m.distanceKm)), ...included.map((r) => entry(r, 'include'))];
  }
  return bundle;
}
