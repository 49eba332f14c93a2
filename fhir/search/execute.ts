/**
 * Runs a SearchRequest against the store: matching current, non-deleted resources,
 * newest first.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../database.ts';
import { criterionSql, SqlParams } from './conditions.ts';
import type { SearchRequest } from './request.ts';

export interface SearchResult {
  resources: Resource[];
  /** True when more resources matched than `count`. */
  more: boolean;
}

export async function executeSearch(db: Queryable, request: SearchRequest, options: { lock?: boolean } = {}): Promise<SearchResult> {
  const params = new SqlParams();
  const where = [`r.resource_type = ${params.add(request.resourceType)}`, 'NOT r.deleted'];
  for (const criterion of request.criteria) where.push(criterionSql(criterion, params));
  const sql = `SELECT r.content FROM fhir_resource r WHERE ${where.join(' AND ')}
    ORDER BY r.last_updated DESC, r.id LIMIT ${request.count + 1} OFFSET ${request.offset}${options.lock ? ' FOR UPDATE' : ''}`;
  const rows = await db.query<{ content: Resource }>(sql, params.values);
  return { resources: rows.slice(0, request.count).map((row) => row.content), more: rows.length > request.count };
}
