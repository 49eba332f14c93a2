/**
 * The database as the FHIR core sees it: PostgreSQL SQL, nothing else.
 * `server/` provides the drivers (PGlite embedded, `pg` for a PostgreSQL server);
 * the core never imports them.
 */

/** Something that runs one SQL statement: the database itself or an open transaction. */
export interface Queryable {
  /**
   * Runs one statement with `$n` parameters and returns its rows. A `name` asks the driver to keep
   * the statement prepared (for hot statements whose text never changes).
   */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[], name?: string): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  /** `pglite` or `postgres`, for logs and the CapabilityStatement's software details. */
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * Deadlocks and serialization failures are retried a few times, so `work` must not
   * have side effects outside the database.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** PostgreSQL error codes worth retrying a whole transaction for. */
export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);
