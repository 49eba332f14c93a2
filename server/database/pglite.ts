/**
 * Embedded PostgreSQL (PGlite): the default store, persisted in DATA_DIR, or in memory for tests.
 * PGlite is a single connection; it serialises statements and transactions itself.
 * It has no autovacuum either, so nothing would ever gather planner statistics: without them a
 * search like `near` + `_has` takes a hundred times longer. The driver runs ANALYZE itself.
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

export interface PGliteOptions {
  /** How often to refresh planner statistics (ANALYZE), ms; 0 disables. The first run is 5 s after opening. */
  analyzeEveryMs?: number;
}

/** Opens the embedded database; `dataDir` undefined means in memory. */
export async function openPGlite(dataDir: string | undefined, options: PGliteOptions = {}): Promise<Database> {
  const db = dataDir === undefined ? new PGlite() : new PGlite(dataDir);
  await db.waitReady;
  const every = options.analyzeEveryMs ?? 5 * 60_000;
  const analyze = (): void => void db.exec('ANALYZE').catch(() => undefined);
  const timers = every > 0 ? [setTimeout(analyze, 5000), setInterval(analyze, every)] : [];
  for (const timer of timers) timer.unref();
  return {
    kind: 'pglite',
    ...queryable(db),
    transaction: (work) => withRetry(() => db.transaction((tx) => work(queryable(tx)))),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await db.close();
    },
  };
}
