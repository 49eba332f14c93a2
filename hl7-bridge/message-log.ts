/**
 * The HL7 v2 message log (table `hl7_message`, migration 0005): every message is stored raw when
 * it arrives, before anything else; its status (received, applied, rejected, error), error text,
 * acknowledgement and effects are recorded as it is processed. A message sent again (same sender,
 * MSH-10 and content) is found here and answered with its first acknowledgement; a resend of one
 * that failed (AE) is applied again.
 */
import type { Queryable } from '../fhir/index.ts';
import type { Effects } from './mapping/index.ts';

export type MessageStatus = 'received' | 'applied' | 'rejected' | 'error';

export interface ReceivedMessage {
  transport: string;
  sender: string;
  controlId: string;
  messageType: string;
  contentHash: string;
  patientKey?: string;
  visitKey?: string;
  raw: Buffer;
}

export interface LoggedMessage {
  id: string;
  receivedAt: string;
  transport: string;
  sender: string;
  controlId: string;
  messageType: string;
  status: MessageStatus;
  error: string | null;
  attempts: number;
  duplicates: number;
  processedAt: string | null;
}

interface Row {
  id: string; received_at: Date | string; transport: string; sender: string; control_id: string; message_type: string;
  status: MessageStatus; error: string | null; attempts: number; duplicates: number; processed_at: Date | string | null;
}

const COLUMNS = 'id, received_at, transport, sender, control_id, message_type, status, error, attempts, duplicates, processed_at';

const toLogged = (row: Row): LoggedMessage => ({
  id: String(row.id),
  receivedAt: new Date(row.received_at).toISOString(),
  transport: row.transport,
  sender: row.sender,
  controlId: row.control_id,
  messageType: row.message_type,
  status: row.status,
  error: row.error,
  attempts: Number(row.attempts),
  duplicates: Number(row.duplicates),
  processedAt: row.processed_at ? new Date(row.processed_at).toISOString() : null,
});

/**
 * Stores a received message, or finds the one it repeats: one statement, committed on its own
 * (outside a transaction) or with the caller's. It first takes the patient's lock, so that ids,
 * drawn after it, follow arrival order per patient (their order of application, see `nextPending`).
 */
export async function recordReceived(q: Queryable, m: ReceivedMessage): Promise<{ id: string; duplicate: boolean; status: MessageStatus; ack: Buffer | null }> {
  const params = [m.transport, m.sender, m.controlId, m.messageType, m.contentHash, m.patientKey ?? null, m.visitKey ?? null, m.raw];
  const rows = await q.query<{ id: string; status: MessageStatus; ack: Buffer | Uint8Array | null; inserted: boolean }>(
    `INSERT INTO hl7_message (transport, sender, control_id, message_type, content_hash, patient_key, visit_key, raw, status)
     SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bytea, 'received'
     ${m.patientKey === undefined ? '' : `FROM (SELECT pg_advisory_xact_lock(hashtextextended('hl7:' || $6, 1))) AS patient_lock`}
     ON CONFLICT (sender, control_id, content_hash) WHERE control_id <> ''
     DO UPDATE SET duplicates = hl7_message.duplicates + 1,
       status = CASE WHEN hl7_message.status = 'error' THEN 'received' ELSE hl7_message.status END
     RETURNING id, status, ack, (xmax = 0) AS inserted`,
    params,
    m.patientKey === undefined ? 'hl7_record_received' : 'hl7_record_received_locked',
  );
  const row = rows[0] as { id: string; status: MessageStatus; ack: Buffer | Uint8Array | null; inserted: boolean };
  return { id: String(row.id), duplicate: !row.inserted, status: row.status, ack: row.ack ? Buffer.from(row.ack) : null };
}

/**
 * The oldest message of a patient still waiting to be applied, up to `uptoId`, locked until the
 * transaction ends. That row lock is what applies a patient's messages one at a time and in
 * order: a worker finding the oldest one locked by another waits for it to commit, then (the row
 * re-read as committed, no longer `received`) moves on to the next.
 */
export async function nextPending(q: Queryable, patientKey: string | undefined, uptoId: string): Promise<{ id: string; raw: Buffer } | undefined> {
  const rows = patientKey === undefined
    ? await q.query<{ id: string; raw: Uint8Array }>(`SELECT id, raw FROM hl7_message WHERE id = $1 AND status = 'received' FOR UPDATE`, [uptoId])
    : await q.query<{ id: string; raw: Uint8Array }>(
      `SELECT id, raw FROM hl7_message WHERE patient_key = $1 AND status = 'received' AND id <= $2 ORDER BY id LIMIT 1 FOR UPDATE`,
      [patientKey, uptoId], 'hl7_next_pending',
    );
  const row = rows[0];
  return row && { id: String(row.id), raw: Buffer.from(row.raw) };
}

/**
 * Records the outcome of processing a message; true when recorded. `onlyIfWaiting` is for a
 * failure recorded outside the transaction that failed: in the meantime another worker of the
 * patient may have applied the message, and that outcome stands.
 */
export async function recordOutcome(
  q: Queryable, id: string, outcome: { status: MessageStatus; ack: Buffer | null; error?: string; effects?: Effects }, options: { onlyIfWaiting?: boolean } = {},
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE hl7_message SET status = $2, ack = $3, error = $4, effects = $5, attempts = attempts + 1, processed_at = now()
     WHERE id = $1 AND (NOT $6::boolean OR status = 'received') RETURNING id`,
    // An error text may quote the message, whose bytes may hold a NUL that PostgreSQL text cannot.
    [id, outcome.status, outcome.ack, outcome.error?.replaceAll('\u0000', '\uFFFD') ?? null, outcome.effects ? JSON.stringify(outcome.effects) : null, options.onlyIfWaiting ?? false],
    'hl7_record_outcome',
  );
  return rows.length > 0;
}

/** The state of a message (to answer a duplicate whose first copy another connection processed). */
export async function messageState(q: Queryable, id: string): Promise<{ status: MessageStatus; ack: Buffer | null } | undefined> {
  const rows = await q.query<{ status: MessageStatus; ack: Uint8Array | null }>('SELECT status, ack FROM hl7_message WHERE id = $1', [id]);
  const row = rows[0];
  return row && { status: row.status, ack: row.ack ? Buffer.from(row.ack) : null };
}

/** The latest applied message of one of `events` (MSH-9.1^MSH-9.2) about a visit, with its effects. */
export async function findApplied(q: Queryable, visitKey: string, events: string[], beforeId: string): Promise<{ id: string; event: string; effects: Effects } | undefined> {
  const rows = await q.query<{ id: string; message_type: string; effects: Effects | string | null }>(
    `SELECT id, message_type, effects FROM hl7_message
     WHERE visit_key = $1 AND status = 'applied' AND message_type = ANY($2::text[]) AND id < $3 ORDER BY id DESC LIMIT 1`,
    [visitKey, events, beforeId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const effects = typeof row.effects === 'string' ? (JSON.parse(row.effects) as Effects) : (row.effects ?? { beds: [] });
  return { id: String(row.id), event: row.message_type, effects };
}

/** A message's raw bytes and state, for a replay. */
export async function loadMessage(q: Queryable, id: string): Promise<(LoggedMessage & { raw: Buffer; patientKey: string | null }) | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const rows = await q.query<Row & { raw: Uint8Array; patient_key: string | null }>(`SELECT ${COLUMNS}, raw, patient_key FROM hl7_message WHERE id = $1`, [id]);
  const row = rows[0];
  return row && { ...toLogged(row), raw: Buffer.from(row.raw), patientKey: row.patient_key };
}

/** Puts a message back to `received` so that it is applied again (a replay). */
export async function resetForReplay(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE hl7_message SET status = 'received' WHERE id = $1`, [id]);
}

/** Messages newest first, optionally of one status, paged by id. */
export async function listMessages(q: Queryable, filter: { status?: MessageStatus; before?: string; count: number }): Promise<LoggedMessage[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.status) { params.push(filter.status); where.push(`status = $${params.length}`); }
  if (filter.before) { params.push(filter.before); where.push(`id < $${params.length}`); }
  const rows = await q.query<Row>(
    `SELECT ${COLUMNS} FROM hl7_message ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${Math.max(1, Math.floor(filter.count))}`,
    params,
  );
  return rows.map(toLogged);
}
