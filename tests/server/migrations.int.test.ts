import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPGlite } from '../../server/database/pglite.ts';
import { bundledMigrations, migrate } from '../../server/migrations.ts';

describe('migrations', () => {
  it('applies the bundled migrations in order, once', async () => {
    const db = await openPGlite(undefined);
    const names = bundledMigrations().map((m) => m.name);
    assert.deepEqual(names, [...names].sort());
    assert.deepEqual(await migrate(db), names);
    assert.deepEqual(await migrate(db), [], 'a second run applies nothing');
    const tables = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    for (const table of ['fhir_resource', 'fhir_history', 'fhir_token', 'fhir_string', 'fhir_reference', 'fhir_date', 'fhir_number', 'fhir_quantity', 'fhir_uri', 'fhir_position']) {
      assert.ok(tables.some((t) => t.table_name === table), table);
    }
    await db.close();
  });

  it('leaves nothing of a failing migration and does not record it', async () => {
    const db = await openPGlite(undefined);
    const migrations = [
      { name: '0001_good', sql: 'CREATE TABLE good (x int);' },
      { name: '0002_bad', sql: 'CREATE TABLE half (x int); SELECT * FROM missing_table;' },
    ];
    await assert.rejects(migrate(db, migrations), /missing_table/);
    const recorded = await db.query<{ name: string }>('SELECT name FROM schema_migration ORDER BY name');
    assert.deepEqual(recorded.map((r) => r.name), ['0001_good']);
    const half = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half'");
    assert.equal(half.length, 0, 'the failed migration was rolled back whole');
    await db.close();
  });
});
