/**
 * Reading the change feed in commit-safe windows. A reader's position is a window of transaction
 * ids: every change whose transaction id is below `start` has been read; the window ends at the
 * oldest transaction still running when the window was opened (`pg_snapshot_xmin`), so all its
 * transactions have ended and none can add a change to it later. Inside a window, changes come in
 * `seq` order; two versions of one resource are written under its row lock, one transaction after
 * the other, so they come in version order.
 * @see https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-PG-SNAPSHOT
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../fhir/index.ts';
import type { Change, Interaction } from './change.ts';

export interface FeedPosition {
  /** Transaction id (xid8, as text): everything below it has been read. */
  start: string;
  /** The end of the window being read, when it did not fit one batch. */
  end: string | undefined;
  /** The last change read inside that window ('0' when none). */
  lastSeq: string;
}

/** The oldest transaction still running: every transaction below it has committed or aborted. */
export async function feedHorizon(q: Queryable): Promise<string> {
  const rows = await q.query<{ horizon: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon', [], 'passerelle_feed_horizon');
  return (rows[0] as { horizon: string }).horizon;
}

/** A position at the feed's present: nothing before it will be read. */
export async function currentPosition(q: Queryable): Promise<FeedPosition> {
  return { start: await feedHorizon(q), end: undefined, lastSeq: '0' };
}

interface ChangeRow {
  /** Null on the horizon-only row of an empty window. */
  seq: string | null;
  resource_type: string;
  id: string;
  version_id: string;
  interaction: Interaction;
  at: Date | string;
  content: Resource | null;
}

// One round trip per read: the window's end (the horizon, unless a window is already open) and the
// changes in it. A delete's change carries the version it deleted, so consumers know what the
// resource was. The horizon row comes back even when the window holds no change.
const READ_SQL = `WITH h AS (SELECT COALESCE($2::xid8, pg_snapshot_xmin(pg_current_snapshot())) AS window_end)
  SELECT h.window_end::text AS window_end, c.seq, c.resource_type, c.id, c.version_id, c.interaction, c.at, c.content
  FROM h LEFT JOIN LATERAL (
    SELECT c.seq, c.resource_type, c.id, c.version_id, c.interaction, c.at, hist.content
    FROM fhir_change c
    LEFT JOIN fhir_history hist ON hist.resource_type = c.resource_type AND hist.id = c.id
      AND hist.version_id = CASE WHEN c.interaction = 'delete' THEN c.version_id - 1 ELSE c.version_id END
    WHERE c.tx >= $1::xid8 AND c.tx < h.window_end AND c.seq > $3
    ORDER BY c.seq LIMIT $4) c ON true
  ORDER BY c.seq`;

/** The next changes after `position` (at most `limit`) and the position after them. */
export async function readChanges(q: Queryable, position: FeedPosition, limit: number): Promise<{ changes: Change[]; next: FeedPosition }> {
  const rows = await q.query<ChangeRow & { window_end: string }>(READ_SQL, [position.start, position.end ?? null, position.lastSeq, limit], 'passerelle_feed_read');
  const end = (rows[0] as { window_end: string }).window_end;
  if (BigInt(end) <= BigInt(position.start)) return { changes: [], next: position };
  const changes = rows.filter((row) => row.seq !== null).map(toChange);
  const next: FeedPosition = changes.length < limit
    ? { start: end, end: undefined, lastSeq: '0' }
    : { start: position.start, end, lastSeq: (changes[changes.length - 1] as Change).seq };
  return { changes, next };
}

function toChange(row: ChangeRow): Change {
  return {
    seq: String(row.seq),
    resourceType: row.resource_type,
    id: row.id,
    versionId: String(row.version_id),
    interaction: row.interaction,
    at: new Date(row.at).toISOString(),
    resource: row.content ?? undefined,
  };
}
