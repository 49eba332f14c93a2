/**
 * Rebuilds the search index of every current resource from its stored content (after a search
 * parameter, a profile or the extraction itself changed). Versions and history are untouched.
 * Works in batches, each one statement, so it can run while the server serves.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Database } from './database.ts';
import { extractIndexRows } from './search/extract.ts';
import { ALL_INDEX_TABLES, writeStatement, type VersionWrite } from './write-statement.ts';

export interface ReindexOptions {
  batchSize?: number;
  /** Only these types (default: all). */
  resourceTypes?: string[];
  onProgress?: (done: number) => void;
}

/** Returns how many resources were reindexed. */
export async function reindexAll(db: Database, options: ReindexOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  let done = 0;
  let after: [string, string] = ['', ''];
  for (;;) {
    const params: unknown[] = [after[0], after[1]];
    const typeFilter = options.resourceTypes ? `AND resource_type = ANY($${params.push(options.resourceTypes)}::text[])` : '';
    const rows = await db.query<{ resource_type: string; id: string; version_id: string; content: Resource }>(
      `SELECT resource_type, id, version_id, content FROM fhir_resource
       WHERE NOT deleted AND (resource_type COLLATE "C", id COLLATE "C") > ($1, $2) ${typeFilter}
       ORDER BY resource_type COLLATE "C", id COLLATE "C" LIMIT ${batchSize}`,
      params,
    );
    if (rows.length === 0) return done;
    const writes: VersionWrite[] = rows.map((row) => ({
      resourceType: row.resource_type,
      id: row.id,
      versionId: Number(row.version_id),
      lastUpdated: '1970-01-01T00:00:00Z', // unused in index mode
      method: 'PUT',
      interaction: 'update', // unused in index mode: a reindex is not a change
      content: undefined,
      index: extractIndexRows(row.content),
      previousIndexMask: ALL_INDEX_TABLES,
    }));
    const { sql, params: values, name } = writeStatement(writes, 'index');
    await db.query(sql, values, name);
    done += rows.length;
    options.onProgress?.(done);
    const last = rows[rows.length - 1] as { resource_type: string; id: string };
    after = [last.resource_type, last.id];
  }
}
