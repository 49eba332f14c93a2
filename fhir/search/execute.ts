/**
 * Runs a SearchRequest against the store: the page of matching current resources in the requested
 * order, its neighbouring cursors, the total when asked, and the distance for `near`.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../database.ts';
import { criterionSql, distanceKmSql, nearBoxSql, SqlBuilder } from './conditions.ts';
import { cursorSql, decodeCursor, encodeCursor, orderBySql, sortColumns } from './sort.ts';
import type { SearchRequest } from './request.ts';
import { querySearch } from './statement-names.ts';

export interface Match {
  resource: Resource;
  /** For `near`: distance from the search point, km. */
  distanceKm?: number;
}

export interface SearchResult {
  matches: Match[];
  /** Cursor of the page after this one, if there is one. */
  next?: string;
  /** Cursor of the page before this one, when this page is not the first. */
  previous?: string;
  total?: number;
  /** Convenience view of `matches` (conditional interactions use it). */
  resources: Resource[];
  /** True when more resources matched than `count`. */
  more: boolean;
}

/** The WHERE clause of a search over `fhir_resource r`. */
export function whereSql(request: SearchRequest, sql: SqlBuilder): string {
  const where = [
    request.resourceTypes.length === 1 ? `r.resource_type = ${sql.add(request.resourceTypes[0])}` : `r.resource_type = ANY(${sql.add(request.resourceTypes)}::text[])`,
    'NOT r.deleted',
  ];
  const subject = { type: 'r.resource_type', id: 'r.id', lastUpdated: 'r.last_updated' };
  for (const criterion of request.criteria) where.push(criterionSql(criterion, sql, subject));
  if (request.near) {
    const near = request.near;
    where.push(`EXISTS (SELECT 1 FROM fhir_position p WHERE p.resource_type = r.resource_type AND p.id = r.id
      AND ${nearBoxSql('p', near, sql)} AND ${distanceKmSql('p', near, sql)} <= ${sql.add(near.distanceKm)}::float8)`);
  }
  return where.join(' AND ');
}

export async function executeSearch(
  db: Queryable,
  request: SearchRequest,
  options: { lock?: boolean; baseUrl?: string } = {},
): Promise<SearchResult> {
  if (options.lock) return lockedMatches(db, request, options.baseUrl);
  const total = request.total !== 'none' || request.summary === 'count' ? await countMatches(db, request, options.baseUrl) : undefined;
  if (request.summary === 'count' || request.count === 0) return { matches: [], resources: [], more: false, total };

  const sql = new SqlBuilder(options.baseUrl);
  const columns = sortColumns(request.sort, request.near, sql);
  const alias = (i: number): string => `s.k${i}`;
  const cursor = request.cursor ? decodeCursor(request.cursor, columns.length) : undefined;
  const backwards = cursor?.direction === 'before';
  // With `near` and no `_sort`, the first sort key is the distance: read it from there.
  const distanceKey = request.near && request.sort.length === 0 ? 'k0' : 'distance';
  const distance = request.near && distanceKey === 'distance'
    ? `, (SELECT min(${distanceKmSql('p', request.near, sql)}) FROM fhir_position p WHERE p.resource_type = r.resource_type AND p.id = r.id) AS distance`
    : '';
  const inner = `SELECT r.resource_type, r.id, r.content${columns.map((c, i) => `, ${c.sql} AS k${i}`).join('')}${distance}
    FROM fhir_resource r WHERE ${whereSql(request, sql)}`;
  const text = `SELECT * FROM (${inner}) s${cursor ? ` WHERE ${cursorSql(columns, cursor, sql, alias)}` : ''}
    ORDER BY ${orderBySql(columns, alias, backwards)} LIMIT ${request.count + 1}`;
  const rows = await querySearch<Record<string, unknown>>(db, text, sql.values);

  const more = rows.length > request.count;
  const page = rows.slice(0, request.count);
  if (backwards) page.reverse();
  const cursorOf = (row: Record<string, unknown> | undefined, direction: 'after' | 'before'): string | undefined =>
    row && encodeCursor({ direction, type: row.resource_type as string, id: row.id as string, values: columns.map((_, i) => plain(row[`k${i}`])) });
  const matches = page.map((row) => ({
    resource: row.content as Resource,
    distanceKm: request.near && row[distanceKey] !== null ? Number(row[distanceKey]) : undefined,
  }));
  return {
    matches,
    resources: matches.map((m) => m.resource),
    more,
    total,
    // Read backwards, the page we came from lies after this one.
    next: backwards || more ? cursorOf(page[page.length - 1], 'after') : undefined,
    previous: cursor ? (backwards && !more ? undefined : cursorOf(page[0], 'before')) : undefined,
  };
}

/** Conditional interactions lock what they match (their rows in `fhir_resource`), in a fixed order. */
async function lockedMatches(db: Queryable, request: SearchRequest, baseUrl: string | undefined): Promise<SearchResult> {
  const sql = new SqlBuilder(baseUrl);
  const text = `SELECT r.content FROM fhir_resource r WHERE ${whereSql(request, sql)} ORDER BY r.resource_type, r.id LIMIT ${request.count + 1} FOR UPDATE`;
  const rows = await querySearch<{ content: Resource }>(db, text, sql.values);
  const resources = rows.slice(0, request.count).map((row) => row.content);
  return { matches: resources.map((resource) => ({ resource })), resources, more: rows.length > request.count };
}

async function countMatches(db: Queryable, request: SearchRequest, baseUrl: string | undefined): Promise<number> {
  const sql = new SqlBuilder(baseUrl);
  const text = `SELECT count(*) AS n FROM fhir_resource r WHERE ${whereSql(request, sql)}`;
  const rows = await querySearch<{ n: string | number }>(db, text, sql.values);
  return Number(rows[0]?.n ?? 0);
}

/** One group of `countByElements`: the elements' values (undefined when absent) and how many matches have them. */
export interface ElementGroup {
  values: unknown[];
  count: number;
}

/**
 * Counts the matches of a search grouped by the values of some of their top-level elements,
 * without reading the matches back (a ward's beds by status: a few groups instead of every bed).
 */
export async function countByElements(db: Queryable, request: SearchRequest, elements: string[], baseUrl?: string): Promise<ElementGroup[]> {
  if (elements.length === 0) throw new Error('countByElements needs at least one element');
  const sql = new SqlBuilder(baseUrl);
  const columns = elements.map((element, i) => `r.content -> ${sql.add(element)}::text AS e${i}`);
  const text = `SELECT ${columns.join(', ')}, count(*) AS n FROM fhir_resource r WHERE ${whereSql(request, sql)} GROUP BY ${elements.map((_, i) => i + 1).join(', ')}`;
  const rows = await querySearch<Record<string, unknown>>(db, text, sql.values);
  return rows.map((row) => ({ values: elements.map((_, i) => row[`e${i}`] ?? undefined), count: Number(row.n) }));
}

/** A sort value as JSON: timestamps as ISO text, numerics as text, floats as numbers. */
function plain(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'number' ? value : String(value);
}
