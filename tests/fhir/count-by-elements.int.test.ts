/** `Repository.countByElements`: a search's matches counted by the values of some of their elements. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Location } from '@medplum/fhirtypes';
import { loadR4Definitions, parseSearch, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';

const STATUS = 'http://terminology.hl7.org/CodeSystem/v2-0116';

for (const driver of testDrivers()) {
  describe(`Repository.countByElements (${driver.name})`, () => {
    let db: Database;
    let repo: Repository;
    before(async () => {
      loadR4Definitions();
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry());
      const bed = (id: string, code: string | undefined, partOf = 'Location/ward-a'): Location => ({
        resourceType: 'Location', id, status: 'active', partOf: { reference: partOf }, ...(code ? { operationalStatus: { system: STATUS, code } } : {}),
      });
      for (const location of [
        { resourceType: 'Location', id: 'ward-a', name: 'A' } as Location,
        bed('a1', 'O'), bed('a2', 'O'), bed('a3', 'U'), bed('a4', undefined), bed('b1', 'O', 'Location/ward-b'), bed('a5', 'U'),
      ]) await repo.update(location);
      await repo.delete('Location', 'a5');
    });
    after(() => db.close());

    it('groups the current matches by their values, absent ones undefined, deleted ones not counted', async () => {
      const groups = await repo.countByElements(parseSearch('Location', new URLSearchParams({ partof: 'Location/ward-a' })), ['operationalStatus', 'status']);
      const summary = groups.map((g) => [(g.values[0] as { code?: string } | undefined)?.code ?? '(none)', g.values[1], g.count]).sort();
      assert.deepEqual(summary, [['(none)', 'active', 1], ['O', 'active', 2], ['U', 'active', 1]]);
      assert.equal(groups.find((g) => g.values[0] === undefined)?.values.length, 2);
    });

    it('answers no groups when nothing matches', async () => {
      assert.deepEqual(await repo.countByElements(parseSearch('Location', new URLSearchParams({ partof: 'Location/nowhere' })), ['status']), []);
    });
  });
}
