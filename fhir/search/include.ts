/**
 * `_include` and `_revinclude`: resources referenced by the matches, and resources referring to
 * them, found through the reference index; `:iterate` repeats on what was just included.
 * @see https://hl7.org/fhir/R4/search.html#include
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../database.ts';
import type { IncludeSpec } from './request.ts';

/** Bounds on what includes may add to one page, so a query cannot pull the whole store. */
const MAX_ITERATIONS = 4;
const MAX_INCLUDED = 1000;

const key = (r: Resource): string => `${r.resourceType}/${r.id}`;

export async function findIncludes(db: Queryable, matches: Resource[], include: IncludeSpec[], revinclude: IncludeSpec[]): Promise<Resource[]> {
  if (matches.length === 0 || (include.length === 0 && revinclude.length === 0)) return [];
  const seen = new Set(matches.map(key));
  const included: Resource[] = [];
  let frontier = matches;
  for (let round = 0; round < MAX_ITERATIONS && frontier.length > 0 && included.length < MAX_INCLUDED; round++) {
    // The first round applies every spec to the matches; later rounds only the :iterate ones.
    const specs = (list: IncludeSpec[]): IncludeSpec[] => (round === 0 ? list : list.filter((s) => s.iterate));
    const found = [
      ...(await follow(db, frontier, specs(include), 'forward')),
      ...(await follow(db, frontier, specs(revinclude), 'reverse')),
    ];
    frontier = [];
    for (const resource of found) {
      if (seen.has(key(resource)) || included.length >= MAX_INCLUDED) continue;
      seen.add(key(resource));
      included.push(resource);
      frontier.push(resource);
    }
  }
  return included;
}

function sources(resources: Resource[]): [string[], string[]] {
  return [resources.map((r) => r.resourceType), resources.map((r) => r.id as string)];
}

/** The reference rows a spec names (by source type, parameter, target type), as SQL on `ref`. */
function specFilters(spec: IncludeSpec, params: unknown[]): string {
  const filters: string[] = [];
  if (spec.sourceType !== '*') filters.push(`ref.resource_type = $${params.push(spec.sourceType)}`);
  if (spec.param !== '*') filters.push(`ref.param = $${params.push(spec.param)}`);
  if (spec.targetType) filters.push(`ref.target_type = $${params.push(spec.targetType)}`);
  return filters.length ? `WHERE ${filters.join(' AND ')}` : '';
}

/**
 * Resources at the other end of the references the specs name: their targets (`_include`, from the
 * sources `resources`) or their sources (`_revinclude`, pointing at `resources`).
 */
async function follow(db: Queryable, resources: Resource[], specs: IncludeSpec[], direction: 'forward' | 'reverse'): Promise<Resource[]> {
  const found: Resource[] = [];
  const [types, ids] = sources(resources);
  const [known, wanted] = direction === 'forward'
    ? ['ref.resource_type = k.resource_type AND ref.id = k.id', 'w.resource_type = ref.target_type AND w.id = ref.target_id']
    : ['ref.target_type = k.resource_type AND ref.target_id = k.id', 'w.resource_type = ref.resource_type AND w.id = ref.id'];
  for (const spec of specs) {
    const params: unknown[] = [types, ids];
    const rows = await db.query<{ content: Resource }>(
      `SELECT DISTINCT ON (w.resource_type, w.id) w.content FROM fhir_reference ref
       JOIN unnest($1::text[], $2::text[]) AS k(resource_type, id) ON ${known}
       JOIN fhir_resource w ON ${wanted} AND NOT w.deleted
       ${specFilters(spec, params)} LIMIT ${MAX_INCLUDED}`,
      params,
    );
    found.push(...rows.map((r) => r.content));
  }
  return found;
}
