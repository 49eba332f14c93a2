/**
 * Databases for tests: the embedded driver (PGlite in memory) always, and a real PostgreSQL
 * when DATABASE_URL is set. Each PostgreSQL test database is a fresh schema, dropped on close,
 * so suites can run side by side. In CI (CI=true) PostgreSQL must be reachable: a missing
 * service fails the run rather than skipping it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../fhir/index.ts';
import { openPGlite } from '../../server/database/pglite.ts';
import { openPostgres } from '../../server/database/postgres.ts';
import { migrate } from '../../server/migrations.ts';

export interface TestDriver {
  name: 'pglite' | 'postgres';
  open(): Promise<Database>;
}

export const pgliteDriver: TestDriver = {
  name: 'pglite',
  async open() {
    const db = await openPGlite(undefined);
    await migrate(db);
    return db;
  },
};

/** Undefined when PostgreSQL is not configured (and that is allowed, i.e. outside CI). */
export function postgresDriver(): TestDriver | undefined {
  const url = process.env.DATABASE_URL;
  if (!url) {
    if (process.env.CI === 'true') throw new Error('CI=true but DATABASE_URL is not set: the PostgreSQL suite cannot run');
    return undefined;
  }
  return {
    name: 'postgres',
    async open() {
      const schema = `test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const db = await openPostgres({ connectionString: url, schema, maxConnections: 8 });
      await migrate(db);
      return {
        ...db,
        transaction: db.transaction,
        async close() {
          await db.close();
          const cleanup = new pg.Client({ connectionString: url });
          await cleanup.connect();
          await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
          await cleanup.end();
        },
      };
    },
  };
}

/** The drivers to run a shared suite against. */
export function testDrivers(): TestDriver[] {
  const postgres = postgresDriver();
  return postgres ? [pgliteDriver, postgres] : [pgliteDriver];
}
