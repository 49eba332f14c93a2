/**
 * A Subscription's `criteria`, parsed once: `Type?param=value&...`, a search on one type with the
 * search engine's own parameters and semantics (what `GET [base]/Type?...` would match).
 * @see https://hl7.org/fhir/R4/subscription.html (criteria)
 */
import { badRequest, isKnownResourceType, parseSearch } from '../../fhir/index.ts';

export interface Criteria {
  resourceType: string;
  /** The selecting parameters, as given. */
  params: URLSearchParams;
  /** `Type` or `Type?` alone: every resource of the type matches (deletes are never notified, see matcher.ts). */
  typeOnly: boolean;
}

/**
 * Parameters that shape a search result rather than select resources: meaningless for "does this
 * resource match", so refused rather than silently ignored.
 */
const RESULT_PARAMETERS = new Set(['_count', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_cursor', '_format', '_pretty', '_type', '_contained', '_containedType']);

/** Parses and checks criteria; throws a 400 FhirError (expression `Subscription.criteria`) when unusable. */
export function parseCriteria(criteria: string | undefined): Criteria {
  const where = 'Subscription.criteria';
  if (!criteria?.trim()) throw badRequest('A Subscription needs criteria, e.g. Observation?code=http://loinc.org|8867-4', where);
  const text = criteria.trim();
  const question = text.indexOf('?');
  const resourceType = question < 0 ? text : text.slice(0, question);
  if (!isKnownResourceType(resourceType)) throw badRequest(`Subscription criteria must start with a resource type, not "${resourceType}"`, where);
  const params = new URLSearchParams(question < 0 ? '' : text.slice(question + 1));
  for (const key of params.keys()) {
    if (RESULT_PARAMETERS.has(key.split(':')[0] as string)) throw badRequest(`${key} shapes search results and has no meaning in Subscription criteria`, where);
  }
  // Strict parsing: an unknown parameter dropped here would notify about far more than was asked.
  const search = parseSearch(resourceType, params);
  return { resourceType, params, typeOnly: search.criteria.length === 0 && !search.near };
}
