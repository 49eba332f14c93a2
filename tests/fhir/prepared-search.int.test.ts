/** A search run again and again (prepared from its second use) answers each run's own values. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadR4Definitions, parseSearch, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';

for (const driver of testDrivers()) {
  describe(`a recurring search (${driver.name})`, () => {
    let db: Database;
    let repo: Repository;
    before(async () => {
      loadR4Definitions();
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry());
      for (const family of ['Martin', 'Durand', 'Lefèvre', 'Moreau']) await repo.update({ resourceType: 'Patient', id: family.toLowerCase().replace('è', 'e'), name: [{ family }] });
    });
    after(() => db.close());

    it('finds each run its own match, and counts with it', async () => {
      for (const family of ['Martin', 'Durand', 'Lefèvre', 'Moreau', 'Martin', 'Nobody']) {
        const found = await repo.search(parseSearch('Patient', new URLSearchParams({ family, _total: 'accurate' })));
        assert.deepEqual(found.resources.map((p) => (p as { name?: { family?: string }[] }).name?.[0]?.family), family === 'Nobody' ? [] : [family]);
        assert.equal(found.total, family === 'Nobody' ? 0 : 1);
      }
    });
  });
}
