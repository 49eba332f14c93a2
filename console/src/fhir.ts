/**
 * Reading Passerelle's FHIR R4 API from the browser (with the session's token, session.ts):
 * searches followed through their `next` links.
 * @see https://hl7.org/fhir/R4/http.html#search
 */
import { apiFetch } from './session.ts';

export interface Resource {
  resourceType: string;
  id?: string;
}

interface Bundle {
  entry?: { resource?: Resource }[];
  link?: { relation: string; url: string }[];
}

export class FhirError extends Error {}

export async function searchAll<T extends Resource>(query: string): Promise<T[]> {
  const found: T[] = [];
  let url: string | undefined = `/fhir/${query}`;
  while (url) {
    const response: Response = await apiFetch(url, { headers: { accept: 'application/fhir+json' } });
    if (!response.ok) throw new FhirError(`${response.status} ${response.statusText}`);
    const bundle = (await response.json()) as Bundle;
    for (const entry of bundle.entry ?? []) if (entry.resource) found.push(entry.resource as T);
    url = bundle.link?.find((link) => link.relation === 'next')?.url;
  }
  return found;
}

/** How many resources a search matches (`_summary=count`). */
export async function countOf(query: string): Promise<number> {
  const response = await apiFetch(`/fhir/${query}${query.includes('?') ? '&' : '?'}_summary=count`, { headers: { accept: 'application/fhir+json' } });
  if (!response.ok) throw new FhirError(`${response.status} ${response.statusText}`);
  return ((await response.json()) as { total?: number }).total ?? 0;
}
