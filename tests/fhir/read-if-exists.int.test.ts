/** `Repository.readIfExists`: the current resource, or undefined for an unknown or deleted one (where `read` throws). */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadR4Definitions, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { pgliteDriver } from '../support/database.ts';

describe('Repository.readIfExists', () => {
  let db: Database;
  after(() => db.close());

  it('answers the current version, or undefined when unknown or deleted', async () => {
    loadR4Definitions();
    db = await pgliteDriver.open();
    const repo = new Repository(db, new ProfileRegistry());
    await repo.update({ resourceType: 'Patient', id: 'p1', gender: 'female' });
    await repo.update({ resourceType: 'Patient', id: 'p1', gender: 'male' });
    assert.equal((await repo.readIfExists('Patient', 'p1'))?.meta?.versionId, '2');
    assert.equal(await repo.readIfExists('Patient', 'nobody'), undefined);
    await repo.delete('Patient', 'p1');
    assert.equal(await repo.readIfExists('Patient', 'p1'), undefined);
    await assert.rejects(repo.read('Patient', 'p1'), /deleted/);
  });
});
