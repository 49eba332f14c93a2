/**
 * The change feed itself, on both drivers: every committed write leaves one change in the same
 * transaction (a rolled-back one leaves none), readers see changes in commit-safe windows (a
 * transaction that drew its place early but commits late is not skipped), durable consumers
 * resume where they stopped and hand over between instances, and delivered changes are pruned.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import { loadR4Definitions, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { currentPosition, readChanges, type FeedPosition } from '../../events/feed-position.ts';
import { ConsumerRunner, type DurableConsumer } from '../../events/durable-consumer.ts';
import { LiveFeed } from '../../events/live-feed.ts';
import { pruneChanges } from '../../events/prune.ts';
import type { Change } from '../../events/change.ts';
import { testDrivers } from '../support/database.ts';
import { until } from '../support/until.ts';

const patient = (family: string): Patient => ({ resourceType: 'Patient', name: [{ family }] });

async function readAll(db: Database, position: FeedPosition, limit = 100): Promise<{ changes: Change[]; position: FeedPosition }> {
  const all: Change[] = [];
  for (;;) {
    const { changes, next } = await readChanges(db, position, limit);
    all.push(...changes);
    if (changes.length < limit) return { changes: all, position: next };
    position = next;
  }
}


for (const driver of testDrivers()) {
  describe(`change feed (${driver.name})`, () => {
    let db: Database;
    let repo: Repository;
    before(async () => {
      loadR4Definitions();
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry([]));
    });
    after(() => db.close());

    it('records create, update and delete with their versions, and the content of each', async () => {
      const start = await currentPosition(db);
      const created = (await repo.create(patient('Martin'))).resource;
      await repo.update({ ...created, name: [{ family: 'Martín' }] } as Patient);
      await repo.update({ ...created, name: [{ family: 'Martín' }] } as Patient); // no change, no event
      await repo.delete('Patient', created.id as string);
      await repo.update({ resourceType: 'Patient', id: created.id, name: [{ family: 'Back' }] } as Patient);
      const { changes } = await readAll(db, start);
      const mine = changes.filter((c) => c.id === created.id);
      assert.deepEqual(mine.map((c) => [c.interaction, c.versionId]), [['create', '1'], ['update', '2'], ['delete', '3'], ['create', '4']]);
      assert.equal((mine[1]?.resource as Patient).name?.[0]?.family, 'Martín');
      assert.equal((mine[2]?.resource as Patient).name?.[0]?.family, 'Martín', 'a delete carries what was deleted');
      assert.ok(mine.every((c, i) => i === 0 || BigInt(c.seq) > BigInt(mine[i - 1]?.seq as string)));
    });

    it('writes no change for a rolled-back transaction', async () => {
      const start = await currentPosition(db);
      await assert.rejects(repo.transaction(async (tx) => {
        await tx.create(patient('Rollback'));
        throw new Error('abort');
      }));
      const kept = (await repo.create(patient('Kept'))).resource;
      const { changes } = await readAll(db, start);
      assert.deepEqual(changes.map((c) => (c.resource as Patient).name?.[0]?.family), ['Kept']);
      assert.equal(changes[0]?.id, kept.id);
    });

    // PGlite has one connection: its transactions cannot overlap, so only PostgreSQL has this case.
    if (driver.name === 'postgres') it('does not skip a change whose transaction commits after a later one', async () => {
      const start = await currentPosition(db);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let early!: () => void;
      const wroteEarly = new Promise<void>((r) => (early = r));
      const slow = repo.transaction(async (tx) => {
        await tx.create(patient('Early'));
        early();
        await held;
      });
      await wroteEarly;
      await repo.create(patient('Late'));
      const before = await readAll(db, start);
      assert.deepEqual(before.changes.map((c) => (c.resource as Patient).name?.[0]?.family), [], 'nothing is read past a running transaction');
      release();
      await slow;
      const after = await readAll(db, before.position);
      assert.deepEqual(after.changes.map((c) => (c.resource as Patient).name?.[0]?.family).sort(), ['Early', 'Late']);
    });

    it('reads a large window in batches without losing or repeating a change', async () => {
      const start = await currentPosition(db);
      await repo.transaction(async (tx) => {
        for (let i = 0; i < 25; i++) await tx.create(patient(`Batch${i}`));
      });
      const { changes } = await readAll(db, start, 7);
      assert.deepEqual(changes.map((c) => (c.resource as Patient).name?.[0]?.family), Array.from({ length: 25 }, (_, i) => `Batch${i}`));
    });

    it('delivers to a durable consumer in order, resumes after a stop, and hands over to another instance', async () => {
      const seen: string[] = [];
      let failOnce = true;
      const consumer = (name: string): DurableConsumer => ({
        name: 'test-consumer',
        async deliver(changes) {
          if (failOnce && changes.some((c) => (c.resource as Patient | undefined)?.name?.[0]?.family === 'Fails')) {
            failOnce = false;
            throw new Error('consumer down');
          }
          for (const c of changes) seen.push(`${name}:${(c.resource as Patient).name?.[0]?.family}`);
        },
      });
      const errors: unknown[] = [];
      const first = new ConsumerRunner(db, consumer('first'), { pollMs: 10, leaseSeconds: 1, onError: (e) => errors.push(e) });
      await first.start();
      await repo.create(patient('One'));
      await repo.create(patient('Fails'));
      await until(() => seen.length === 2, 'first deliveries');
      assert.deepEqual(seen, ['first:One', 'first:Fails'], 'a failed delivery is retried, not skipped');
      assert.equal(errors.length, 1);
      const second = new ConsumerRunner(db, consumer('second'), { pollMs: 10, leaseSeconds: 1 });
      await second.start();
      await repo.create(patient('Two'));
      await until(() => seen.length === 3, 'delivery of Two');
      assert.equal(seen[2], 'first:Two', 'the lease holder delivers, the other waits');
      await first.stop();
      await repo.create(patient('Three'));
      await until(() => seen.length === 4, 'hand-over');
      assert.equal(seen[3], 'second:Three');
      await second.stop();
    });

    it('delivers outside any transaction when the consumer asks to, recording the position after', async () => {
      const seen: string[] = [];
      let positionWhileDelivering: string | undefined;
      const runner = new ConsumerRunner(db, {
        name: 'outside-consumer',
        outsideTransaction: true,
        async deliver(changes, q) {
          // `q` is the database itself: were a transaction open, this query would wait on PGlite's one connection.
          const [row] = await q.query<{ last_seq: string; window_start: string }>('SELECT window_start::text, last_seq::text FROM change_consumer WHERE name = $1', ['outside-consumer']);
          positionWhileDelivering ??= row?.window_start;
          for (const c of changes) seen.push((c.resource as Patient).name?.[0]?.family ?? '');
        },
      }, { pollMs: 10 });
      await runner.start();
      const [before] = await db.query<{ window_start: string }>('SELECT window_start::text FROM change_consumer WHERE name = $1', ['outside-consumer']);
      await repo.create(patient('Outside'));
      await until(() => seen.includes('Outside'), 'the delivery');
      await runner.stop();
      assert.equal(positionWhileDelivering, before?.window_start, 'the position moves only after the delivery');
      const [after] = await db.query<{ window_start: string }>('SELECT window_start::text FROM change_consumer WHERE name = $1', ['outside-consumer']);
      assert.ok(BigInt(after?.window_start ?? '0') > BigInt(before?.window_start ?? '0'), 'and then it moved');
    });

    it('pushes committed changes to live listeners', async () => {
      const live = new LiveFeed(db, { pollMs: 10 });
      await live.start();
      const got: string[] = [];
      const unsubscribe = live.subscribe((changes) => got.push(...changes.map((c) => `${c.interaction}:${c.id}`)));
      const { resource } = await repo.create(patient('Live'));
      await until(() => got.includes(`create:${resource.id}`), 'live change');
      unsubscribe();
      await live.stop();
    });

    it('prunes changes every consumer has delivered, once older than the retention', async () => {
      await repo.create(patient('Old'));
      assert.equal(await pruneChanges(db, 3600), 0, 'young changes stay');
      await db.query("UPDATE fhir_change SET at = at - interval '2 hours'");
      const [{ n: total } = { n: '0' }] = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM fhir_change');
      const pruned = await pruneChanges(db, 3600);
      assert.ok(pruned > 0 && pruned <= Number(total));
      const [{ n: left } = { n: '0' }] = await db.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM fhir_change WHERE tx < (SELECT min(window_start) FROM change_consumer)");
      assert.equal(left, '0');
    });
  });
}
