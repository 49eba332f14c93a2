import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Database } from '../../fhir/index.ts';
import type { Config } from '../config.ts';
import { openPGlite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

/** The database the configuration asks for: PostgreSQL at DATABASE_URL, else PGlite in DATA_DIR. */
export async function openDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) return openPostgres({ connectionString: config.databaseUrl, maxConnections: config.databasePoolSize });
  const dir = join(config.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  return openPGlite(dir);
}

export { openPGlite, openPostgres };
