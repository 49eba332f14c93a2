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
      ...(await forward(db, frontier, specs(include))),
      ...(await reverse(db, frontier, specs(revinclude))),
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

/** Targets of the sources' references named by the specs. */
async function forward(db: Queryable, from: Resource[], specs: IncludeSpec[]): Promise<Resource[]> {
  const found: Resource[] = [];
  const [types, ids] = sources(from);
  for (const spec of specs) {
    const params: unknown[] = [types, ids];
    const filters: string[] = [];
    if (spec.sourceType !== '*') filters.push(`ref.resource_type = $${params.push(spec.sourceType)}`);
    if (spec.param !== '*') filters.push(`ref.param = $${params.push(spec.param)}`);
    if (spec.targetType) filters.push(`ref.target_type = $${params.push(spec.targetType)}`);
    const rows = await db.query<{ content: Resource }>(
      `SELECT DISTINCT ON (t.resource_type, t.id) t.content FROM fhir_reference ref
       JOIN unnest($1::text[], $2::text[]) AS src(resource_type, id) ON ref.resource_type = src.resource_type AND ref.id = src.id
       JOIN fhir_resource t ON t.resource_type = ref.target_type AND t.id = ref.target_id AND NOT t.deleted
       ${filters.length ? `WHERE ${filters.join(' AND ')}` : ''} LIMIT ${MAX_INCLUDED}`,
      params,
    );
    found.push(...rows.map((r) => r.content));
  }
  return found;
}

/** Resources whose references named by the specs point at the targets. */
async function reverse(db: Queryable, to: Resource[], specs: IncludeSpec[]): Promise<Resource[]> {
  const found: Resource[] = [];
  const [types, ids] = sources(to);
  for (const spec of specs) {
    const params: unknown[] = [types, ids];
    const filters: string[] = [];
    if (spec.sourceType !== '*') filters.push(`ref.resource_type = $${params.push(spec.sourceType)}`);
    if (spec.param !== '*') filters.push(`ref.param = $${params.push(spec.param)}`);
    if (spec.targetType) filters.push(`ref.target_type = $${params.push(spec.targetType)}`);
    const rows = await db.query<{ content: Resource }>(
      `SELECT DISTINCT ON (s.resource_type, s.id) s.content FROM fhir_reference ref
       JOIN unnest($1::text[], $2::text[]) AS tgt(resource_type, id) ON ref.target_type = tgt.resource_type AND ref.target_id = tgt.id
       JOIN fhir_resource s ON s.resource_type = ref.resource_type AND s.id = ref.id AND NOT s.deleted
       ${filters.length ? `WHERE ${filters.join(' AND ')}` : ''} LIMIT ${MAX_INCLUDED}`,
      params,
    );
    found.push(...rows.map((r) => r.content));
  }
  return found;
}
