/** Reindex rebuilds lost or outdated index rows from stored resources, without new versions. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadR4Definitions, parseSearch, ProfileRegistry, reindexAll, Repository, type Database } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';

loadR4Definitions();

for (const driver of testDrivers()) {
  describe(`reindex on ${driver.name}`, () => {
    let db: Database;
    let repo: Repository;
    before(async () => {
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry());
    });
    after(() => db.close());

    it('restores search after the index was lost, and writes no version', async () => {
      for (let i = 0; i < 7; i++) await repo.create({ resourceType: 'Patient', gender: 'female', name: [{ family: `Reindex${i}` }] });
      await repo.create({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: 3 } });
      const deleted = (await repo.create({ resourceType: 'Patient', gender: 'female' })).resource;
      await repo.delete('Patient', deleted.id as string);
      const count = async (query: string, type = 'Patient'): Promise<number> => (await repo.search(parseSearch(type, new URLSearchParams(`${query}&_count=100`)))).resources.length;
      assert.equal(await count('name=reindex'), 7);
      await db.exec('DELETE FROM fhir_string; DELETE FROM fhir_token; DELETE FROM fhir_quantity');
      assert.equal(await count('name=reindex'), 0);
      const history = await db.query<{ n: string }>('SELECT count(*) AS n FROM fhir_history');
      const progress: number[] = [];
      const done = await reindexAll(db, { batchSize: 3, onProgress: (n) => progress.push(n) });
      assert.equal(done, 8, 'every current resource, not the deleted one');
      assert.deepEqual(progress, [3, 6, 8]);
      assert.equal(await count('name=reindex'), 7);
      assert.equal(await count('gender=female'), 7);
      assert.equal(await count('value-quantity=3', 'Observation'), 1);
      assert.deepEqual(await db.query('SELECT count(*) AS n FROM fhir_history'), history);
    });
  });
}
