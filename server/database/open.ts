import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Database } from '../../fhir/index.ts';
import type { Config } from '../config.ts';
import { openPGlite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import { migrate } from '../migrations.ts';

/** The database the configuration asks for: PostgreSQL at DATABASE_URL, else PGlite in DATA_DIR. */
export async function openDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) return openPostgres({ connectionString: config.databaseUrl, maxConnections: config.databasePoolSize });
  const dir = join(config.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  return openPGlite(dir);
}

/**
 * Opens the configured database, applies the pending migrations, runs `work` and closes the
 * database whatever happens: the frame of every one-shot command (migrate, seed, reindex, hl7).
 */
export async function withMigratedDatabase<T>(config: Config, work: (db: Database, applied: string[]) => Promise<T>): Promise<T> {
  const db = await openDatabase(config);
  try {
    return await work(db, await migrate(db));
  } finally {
    await db.close();
  }
}

export { openPGlite, openPostgres };
