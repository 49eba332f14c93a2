/**
 * The export jobs table (bulk_export_job): created at kick-off, claimed by the runner, its
 * progress, manifest or error recorded, cancelled by DELETE, dropped once expired.
 * @see https://hl7.org/fhir/uv/bulkdata/STU2/export.html#bulk-data-status-request
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../fhir/index.ts';
import type { ExportParameters } from './request.ts';
import type { StoredManifest } from './run-export.ts';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface ExportJob {
  id: string;
  /** The run holding the job (set when claimed): its files go in a directory of that name. */
  runToken: string | undefined;
  status: JobStatus;
  requestUrl: string;
  owner: string | undefined;
  parameters: ExportParameters;
  transactionTime: string;
  progress: string | undefined;
  manifest: StoredManifest | undefined;
  error: string | undefined;
  finishedAt: string | undefined;
}

interface JobRow {
  id: string;
  run_token: string | null;
  status: JobStatus;
  request_url: string;
  owner: string | null;
  parameters: ExportParameters | string;
  transaction_time: Date | string;
  progress: string | null;
  manifest: StoredManifest | string | null;
  error: string | null;
  finished_at: Date | string | null;
}

const COLUMNS = 'id, run_token, status, request_url, owner, parameters, transaction_time, progress, manifest, error, finished_at';
const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);
const iso = (value: Date | string): string => new Date(value).toISOString();

function jobOf(row: JobRow): ExportJob {
  return {
    id: row.id,
    runToken: row.run_token ?? undefined,
    status: row.status,
    requestUrl: row.request_url,
    owner: row.owner ?? undefined,
    parameters: json(row.parameters),
    transactionTime: iso(row.transaction_time),
    progress: row.progress ?? undefined,
    manifest: row.manifest === null ? undefined : json(row.manifest),
    error: row.error ?? undefined,
    finishedAt: row.finished_at === null ? undefined : iso(row.finished_at),
  };
}

export async function createJob(db: Queryable, requestUrl: string, owner: string | undefined, parameters: ExportParameters): Promise<ExportJob> {
  const rows = await db.query<JobRow>(
    `INSERT INTO bulk_export_job (id, status, request_url, owner, parameters, transaction_time) VALUES ($1, 'queued', $2, $3, $4, now()) RETURNING ${COLUMNS}`,
    [randomUUID(), requestUrl, owner ?? null, JSON.stringify(parameters)],
  );
  return jobOf(rows[0] as JobRow);
}

export async function jobById(db: Queryable, id: string): Promise<ExportJob | undefined> {
  const rows = await db.query<JobRow>(`SELECT ${COLUMNS} FROM bulk_export_job WHERE id = $1`, [id]);
  return rows[0] ? jobOf(rows[0]) : undefined;
}

/** Claims the oldest queued job for a new run (SKIP LOCKED: several instances may share the queue). */
export async function claimNextJob(db: Queryable): Promise<ExportJob | undefined> {
  const rows = await db.query<JobRow>(
    `UPDATE bulk_export_job SET status = 'running', progress = 'started', run_token = $1, heartbeat_at = now()
      WHERE id = (SELECT id FROM bulk_export_job WHERE status = 'queued' ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${COLUMNS}`,
    [randomUUID()],
  );
  return rows[0] ? jobOf(rows[0]) : undefined;
}

/** Records progress; false when the run no longer holds the job (cancelled, or requeued as stale): it stops. */
export async function reportProgress(db: Queryable, job: ExportJob, progress: string): Promise<boolean> {
  const rows = await db.query(`UPDATE bulk_export_job SET progress = $3, heartbeat_at = now() WHERE id = $1 AND run_token = $2 AND status = 'running' RETURNING id`, [job.id, job.runToken, progress]);
  return rows.length > 0;
}

/** Ends the run's job with its manifest or its error; false when the run no longer held it. */
export async function finishJob(db: Queryable, job: ExportJob, outcome: { manifest: StoredManifest } | { error: string }): Promise<boolean> {
  const [status, column, value] = 'manifest' in outcome ? ['completed', 'manifest', JSON.stringify(outcome.manifest)] : ['failed', 'error', outcome.error];
  const rows = await db.query(
    `UPDATE bulk_export_job SET status = $3, ${column} = $4, progress = NULL, finished_at = now() WHERE id = $1 AND run_token = $2 AND status = 'running' RETURNING id`,
    [job.id, job.runToken, status, value],
  );
  return rows.length > 0;
}

/** Cancels a job (a running one stops at its next page) or, once ended, withdraws its files; false when already cancelled. */
export async function cancelJob(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query(`UPDATE bulk_export_job SET status = 'cancelled', progress = NULL, finished_at = now() WHERE id = $1 AND status <> 'cancelled' RETURNING id`, [id]);
  return rows.length > 0;
}

/**
 * Jobs whose run gave no sign of life for `staleSeconds` (its server stopped) are queued again and
 * start from the beginning in a new run; the old run, should it wake, no longer holds them.
 */
export async function requeueStale(db: Queryable, staleSeconds: number): Promise<number> {
  const rows = await db.query(
    `UPDATE bulk_export_job SET status = 'queued', progress = NULL, run_token = NULL WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1) RETURNING id`,
    [staleSeconds],
  );
  return rows.length;
}

/** Ended jobs older than the retention, whose files are to be deleted; their rows are dropped. */
export async function dropExpiredJobs(db: Queryable, retentionHours: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `DELETE FROM bulk_export_job WHERE status IN ('completed', 'failed', 'cancelled') AND finished_at < now() - make_interval(hours => $1) RETURNING id`,
    [retentionHours],
  );
  return rows.map((row) => row.id);
}

/** Gives a job back to the queue when its server stops mid-run (the next run starts it afresh). */
export async function releaseJob(db: Queryable, job: ExportJob): Promise<void> {
  await db.query(`UPDATE bulk_export_job SET status = 'queued', progress = NULL, run_token = NULL WHERE id = $1 AND run_token = $2 AND status = 'running'`, [job.id, job.runToken]);
}
