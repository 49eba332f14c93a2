/**
 * Keeps the change feed from growing forever: changes every durable consumer has delivered, and
 * older than the retention (for live readers catching up), are deleted. Any instance may run it.
 */
import type { Queryable } from '../fhir/index.ts';

/** Deletes delivered changes older than `retentionSeconds`; returns how many went. */
export async function pruneChanges(q: Queryable, retentionSeconds: number): Promise<number> {
  const rows = await q.query<{ n: string }>(
    `WITH gone AS (
       DELETE FROM fhir_change
       WHERE at < now() - make_interval(secs => $1)
         AND tx < COALESCE((SELECT min(window_start) FROM change_consumer), pg_snapshot_xmin(pg_current_snapshot()))
       RETURNING 1)
     SELECT count(*)::text AS n FROM gone`,
    [retentionSeconds],
  );
  return Number(rows[0]?.n ?? 0);
}
