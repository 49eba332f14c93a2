/**
 * Write hooks run in the transaction of the write: what they write commits with it,
 * and a hook that fails rolls the write back. A toy rule keeps a count of Devices per Location.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Basic, Device, Resource } from '@medplum/fhirtypes';
import { loadR4Definitions, parseSearch, ProfileRegistry, Repository, type Database, type WriteHook } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';

loadR4Definitions();

/** Basic/count-<location> holds how many Devices are at the Location. */
const deviceCount: WriteHook = {
  interestedIn: (type) => type === 'Device',
  async afterWrite(repo, change) {
    const locations = new Set(
      [change.before, change.after].map((d) => (d as Device | undefined)?.location?.reference).filter((r): r is string => r !== undefined),
    );
    for (const location of locations) {
      if (location === 'Location/explode') throw new Error('rule failed');
      const { resources } = await repo.search(parseSearch('Device', new URLSearchParams('_count=1000')));
      const count = resources.filter((d) => (d as Device).location?.reference === location).length;
      const id = `count-${location.split('/')[1]}`;
      const counter: Basic = { resourceType: 'Basic', id, code: { text: 'device count' }, subject: { reference: location }, extension: [{ url: 'urn:test:count', valueInteger: count }] };
      await repo.update(counter);
    }
  },
};

for (const driver of testDrivers()) {
  describe(`write hooks on ${driver.name}`, () => {
    let db: Database;
    let repo: Repository;
    before(async () => {
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry(), { hooks: [deviceCount] });
    });
    after(() => db.close());

    const count = async (location: string): Promise<number | undefined> => {
      try {
        return ((await repo.read('Basic', `count-${location}`)) as Basic).extension?.[0]?.valueInteger;
      } catch {
        return undefined;
      }
    };

    it('keeps the derived resource true through create, update and delete', async () => {
      const a = (await repo.create({ resourceType: 'Device', status: 'active', location: { reference: 'Location/or1' } } as Device)).resource;
      await repo.create({ resourceType: 'Device', status: 'active', location: { reference: 'Location/or1' } } as Device);
      assert.equal(await count('or1'), 2);
      await repo.update({ ...a, location: { reference: 'Location/or2' } } as Resource);
      assert.equal(await count('or1'), 1);
      assert.equal(await count('or2'), 1);
      await repo.delete('Device', a.id as string);
      assert.equal(await count('or2'), 0);
    });

    it('runs for creates made in bulk inside a transaction', async () => {
      await repo.transaction(async (tx) => {
        const prepared = [1, 2, 3].map(() => ({ prepared: tx.prepare({ resourceType: 'Device', status: 'active', location: { reference: 'Location/or3' } } as Device), id: crypto.randomUUID() }));
        await tx.insertPrepared(prepared);
      });
      assert.equal(await count('or3'), 3);
    });

    it('rolls the write back when the rule fails', async () => {
      await assert.rejects(repo.create({ resourceType: 'Device', status: 'active', location: { reference: 'Location/explode' } } as Device), /rule failed/);
      const { resources } = await repo.search(parseSearch('Device', new URLSearchParams('_count=1000')));
      assert.ok(!resources.some((d) => (d as Device).location?.reference === 'Location/explode'));
    });
  });
}
