/**
 * A PostgreSQL server through `pg` with a connection pool (DATABASE_URL). Connections are in
 * pipeline mode: statements issued without awaiting the previous one go out together and are
 * answered in order, one round trip for the lot (on a small machine each round trip costs a
 * context switch to the server process and back, more than most statements themselves).
 */
import pg from 'pg';
import type { Database, Queryable } from '../../fhir/index.ts';
import { withRetry } from './retry.ts';

export interface PostgresOptions {
  connectionString: string;
  /** Pool size; PostgreSQL on a small machine does best with a few connections per core. */
  maxConnections?: number;
  /** Schema to use instead of `public` (tests use one schema per run). */
  schema?: string;
}

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params?: unknown[], name?: string): Promise<Row[]> {
      const result = name ? await client.query({ name, text: sql, values: params }) : await client.query(sql, params);
      return result.rows as Row[];
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 16,
    pipeline: true,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener it kills the process.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');

  async function transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // BEGIN goes out with the transaction's first statement instead of taking a round trip of its
    // own (as pgjdbc does). On a healthy idle connection BEGIN cannot fail; should it, it is awaited
    // before COMMIT, so the transaction fails rather than commit anything.
    const begun = client.query('BEGIN');
    begun.catch(() => undefined);
    try {
      const result = await work(queryable(client));
      await begun;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  return {
    kind: 'postgres',
    ...queryable(pool),
    transaction: (work) => withRetry(() => transaction(work)),
    close: () => pool.end(),
  };
}
