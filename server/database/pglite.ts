/**
 * Embedded PostgreSQL (PGlite): the default store, persisted in DATA_DIR, or in memory for tests.
 * PGlite is a single connection; it serialises statements and transactions itself.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable } from '../../fhir/index.ts';
import { withRetry } from './retry.ts';

type PGliteLike = Pick<PGlite, 'query' | 'exec'>;

function queryable(db: PGliteLike): Queryable {
  return {
    async query<Row>(sql: string, params?: unknown[]): Promise<Row[]> {
      const result = await db.query<Row>(sql, params);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}

/** Opens the embedded database; `dataDir` undefined means in memory. */
export async function openPGlite(dataDir: string | undefined): Promise<Database> {
  const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await db.waitReady;
  return {
    kind: 'pglite',
    ...queryable(db),
    transaction: (work) => withRetry(() => db.transaction((tx) => work(queryable(tx)))),
    close: () => db.close(),
  };
}
