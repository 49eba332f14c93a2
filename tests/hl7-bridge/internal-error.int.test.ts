/**
 * A fault of the server while applying (a bug, not the message): the sender gets AE with ERR 207,
 * the message is kept as `error` and can be replayed; and a failure recorded late never overwrites
 * what another worker applied meanwhile.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadR4Definitions, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { DEFAULT_MAPPING_OPTIONS, Hl7Pipeline } from '../../hl7-bridge/index.ts';
import { messageState, recordOutcome } from '../../hl7-bridge/message-log.ts';
import { bedAvailabilityRule, hospitalResources, loadProfiles } from '../../profiles/index.ts';
import { createLogger } from '../../server/logger.ts';
import { testDrivers } from '../support/database.ts';
import { ackOf, adt, bedStatus, testHospital } from '../support/hl7.ts';

for (const driver of testDrivers()) describe(`HL7 v2 internal errors (${driver.name})`, () => {
  let db: Database;
  let repo: Repository;
  let pipeline: Hl7Pipeline;
  let finess: string;
  let faults = 0;
  before(async () => {
    loadR4Definitions();
    db = await driver.open();
    const profiles = new ProfileRegistry(loadProfiles());
    const hooks = [bedAvailabilityRule];
    repo = new Repository(db, profiles, { hooks });
    const hospital = testHospital();
    await repo.transaction(async (tx) => {
      for (const resource of hospitalResources(hospital)) await tx.update(resource);
    });
    finess = hospital.organization.identifier?.[0]?.value as string;
    pipeline = new Hl7Pipeline({
      db, logger: createLogger('silent'), options: DEFAULT_MAPPING_OPTIONS,
      repositoryIn: (tx) => {
        if (faults > 0) {
          faults--;
          throw new Error('a bug in the server');
        }
        return new Repository(db, profiles, { hooks, tx });
      },
    });
  });
  after(() => db.close());

  it('answers AE 207, keeps the message as error, and applies it on replay', async () => {
    faults = 1;
    const message = Buffer.from(adt({ finess, controlId: 'BUG1', event: 'A01', mrn: 'BUG', visit: 'BUGV', ward: '01', bed: '005' }));
    const failed = await pipeline.receive(message, 'mllp');
    const ack = ackOf(failed.ack);
    assert.equal(ack.code, 'AE');
    assert.equal(ack.err?.split('|')[3]?.split('^')[0], '207');
    assert.equal(failed.status, 'error');
    assert.equal(await repo.readIfExists('Location', `bed-${finess}-01-005`), undefined, 'nothing of the message was written (the bed it names is not created)');
    const replayed = await pipeline.replay(failed.id);
    assert.equal(replayed?.status, 'applied');
    assert.equal(ackOf(replayed?.ack).code, 'AA');
    assert.equal(await bedStatus(repo, `bed-${finess}-01-005`), 'O');
  });

  it('does not record a failure over an outcome another worker recorded meanwhile', async () => {
    const applied = await pipeline.receive(Buffer.from(adt({ finess, controlId: 'BUG2', event: 'A08', mrn: 'BUG', visit: 'BUGV', ward: '01', bed: '005' })), 'mllp');
    assert.equal(applied.status, 'applied');
    assert.equal(await recordOutcome(db, applied.id, { status: 'error', ack: null, error: 'late failure' }, { onlyIfWaiting: true }), false);
    const state = await messageState(db, applied.id);
    assert.equal(state?.status, 'applied');
    assert.equal(ackOf(state?.ack ?? undefined).code, 'AA');
  });
});
