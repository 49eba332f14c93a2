/**
 * The rows a transaction holds locked are answered from memory (`Repository.readForUpdate`, then
 * reads and updates of what it wrote), as copies, and they really are locked.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import { loadR4Definitions, ProfileRegistry, Repository, type Database, type Queryable } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';

/** A transaction's statements, counted by their first words. */
function counting(tx: Queryable): { tx: Queryable; statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    tx: {
      query: (sql, params, name) => {
        statements.push(sql.trim().split(/\s+/).slice(0, 2).join(' '));
        return tx.query(sql, params, name);
      },
      exec: (sql) => tx.exec(sql),
    },
  };
}

for (const driver of testDrivers()) {
  describe(`locked rows of a transaction (${driver.name})`, () => {
    let db: Database;
    let profiles: ProfileRegistry;
    before(async () => {
      loadR4Definitions();
      profiles = new ProfileRegistry();
      db = await driver.open();
      await new Repository(db, profiles).update({ resourceType: 'Patient', id: 'p1', gender: 'female' });
    });
    after(() => db.close());

    it('reads a row once, locked, and updates it twice with only the writes after', async () => {
      await db.transaction(async (raw) => {
        const { tx, statements } = counting(raw);
        const repo = new Repository(db, profiles, { tx });
        const patient = await repo.readForUpdate<Patient>('Patient', 'p1');
        assert.equal(patient?.gender, 'female');
        assert.equal(statements.length, 1);
        await repo.update({ ...(patient as Patient), gender: 'male' });
        const again = await repo.readIfExists<Patient>('Patient', 'p1');
        assert.equal(again?.meta?.versionId, '2');
        await repo.update({ ...(again as Patient), gender: 'other' });
        assert.deepEqual(statements.slice(1).map((s) => s.split(' ')[0]), ['WITH', 'WITH'], 'the two writes, no read between');
        assert.equal((await repo.read('Patient', 'p1') as Patient).gender, 'other');
        assert.equal(statements.length, 3);
      });
      assert.equal((await new Repository(db, profiles).read('Patient', 'p1')).meta?.versionId, '3');
    });

    it('gives copies: changing what was read changes neither the next read nor the update check', async () => {
      await db.transaction(async (tx) => {
        const repo = new Repository(db, profiles, { tx });
        const patient = await repo.readForUpdate<Patient>('Patient', 'p1') as Patient;
        patient.gender = 'unknown';
        assert.equal((await repo.readIfExists<Patient>('Patient', 'p1'))?.gender, 'other');
        const { changed } = await repo.update(patient);
        assert.equal(changed, true, 'the changed copy is written, not taken for the stored version');
        const written = await repo.readIfExists<Patient>('Patient', 'p1') as Patient;
        written.gender = 'female';
        assert.equal((await repo.readIfExists<Patient>('Patient', 'p1'))?.gender, 'unknown');
      });
    });

    it('knows a row it deleted is gone, and what a rolled back transaction held is forgotten', async () => {
      await assert.rejects(db.transaction(async (tx) => {
        const repo = new Repository(db, profiles, { tx });
        await repo.delete('Patient', 'p1');
        assert.equal(await repo.readForUpdate('Patient', 'p1'), undefined);
        assert.equal(await repo.readIfExists('Patient', 'p1'), undefined);
        await assert.rejects(repo.read('Patient', 'p1'), /deleted/);
        throw new Error('roll back');
      }), /roll back/);
      assert.equal((await new Repository(db, profiles).read('Patient', 'p1') as Patient).gender, 'unknown');
    });

    if (driver.name === 'postgres') {
      it('holds the lock: another transaction updating the row waits for the commit', async () => {
        const order: string[] = [];
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => { locked = resolve; });
        const first = db.transaction(async (tx) => {
          const repo = new Repository(db, profiles, { tx });
          const patient = await repo.readForUpdate<Patient>('Patient', 'p1') as Patient;
          locked();
          await new Promise((resolve) => setTimeout(resolve, 200));
          await repo.update({ ...patient, gender: 'male' });
          order.push('first committed');
        });
        await isLocked;
        const second = new Repository(db, profiles).patch('Patient', 'p1', [{ op: 'replace', path: '/gender', value: 'female' }]).then(() => order.push('second'));
        await Promise.all([first, second]);
        assert.deepEqual(order, ['first committed', 'second']);
        assert.equal((await new Repository(db, profiles).read('Patient', 'p1') as Patient).gender, 'female');
      });
    }

    it('is refused outside a transaction', async () => {
      await assert.rejects(new Repository(db, profiles).readForUpdate('Patient', 'p1'), /transaction/);
    });
  });
}
