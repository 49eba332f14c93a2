/**
 * The searchset Bundle of a search; its `self` link shows only the criteria that were applied.
 * @see https://hl7.org/fhir/R4/search.html#return
 */
import type { Bundle, BundleLink } from '@medplum/fhirtypes';
import type { FhirRequest } from '../http-types.ts';
import type { SearchRequest } from './request.ts';
import type { SearchResult } from './execute.ts';

export function searchBundle(request: FhirRequest, search: SearchRequest, result: SearchResult): Bundle {
  const applied = new URLSearchParams();
  for (const c of search.criteria) applied.append(c.modifier ? `${c.code}:${c.modifier}` : c.code, c.values.join(','));
  const url = (offset: number): string => {
    const params = new URLSearchParams(applied);
    params.set('_count', String(search.count));
    if (offset > 0) params.set('_offset', String(offset));
    return `${request.baseUrl}/${search.resourceType}?${params}`;
  };
  const link: BundleLink[] = [{ relation: 'self', url: url(search.offset) }];
  if (result.more) link.push({ relation: 'next', url: url(search.offset + search.count) });
  if (search.offset > 0) link.push({ relation: 'previous', url: url(Math.max(0, search.offset - search.count)) });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link,
    entry: result.resources.map((resource) => ({
      fullUrl: `${request.baseUrl}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}
