/**
 * AMQP out against a real RabbitMQ, on both drivers: every change is published to the topic
 * exchange with its routing key, body, headers and in feed order, as a persistent message; while
 * the broker is down the changes wait in the outbox and, once it is back, all of them are
 * published without anyone stepping in: none lost, and the only repeats are of a batch that was
 * published but not confirmed. The shared broker serves the first case (names unique to this run);
 * a private node, taken down and up mid-stream, serves the second.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ChannelModel, type GetMessage } from 'amqplib';
import type { Patient } from '@medplum/fhirtypes';
import { loadR4Definitions, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { ConsumerRunner } from '../../events/durable-consumer.ts';
import { startAmqpBridge, type AmqpBridge } from '../../events/amqp/index.ts';
import { createLogger } from '../../server/logger.ts';
import { testDrivers } from '../support/database.ts';
import { deleteTopology, drain, eventually, testNames, useBrokers } from '../support/rabbitmq.ts';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const patient = (family: string): Patient => ({ resourceType: 'Patient', name: [{ family }] });
const bodyOf = (message: GetMessage): any => JSON.parse(message.content.toString('utf8'));

/** Declares the exchange and a queue bound to every `fhir.#` event, as a subscriber would. */
async function subscribe(url: string, exchange: string, queue: string, durable: boolean): Promise<void> {
  const connection: ChannelModel = await connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.assertQueue(queue, { durable });
  await channel.bindQueue(queue, exchange, 'fhir.#');
  await connection.close();
}

const brokers = useBrokers();

for (const driver of testDrivers()) {
  describe(`AMQP out (${driver.name})`, () => {
    const name = testNames();
    let db: Database;
    let repo: Repository;
    before(async () => {
      loadR4Definitions();
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry([]));
    });
    after(async () => {
      await db.close();
      await deleteTopology(brokers.sharedUrl(), { queues: [name('out')], exchanges: [name('events')] });
    });

    it('publishes create, update and delete with routing keys, bodies, headers, persistence and in order', async () => {
      const exchange = name('events');
      const queue = name('out');
      await subscribe(brokers.sharedUrl(), exchange, queue, false);
      const bridge = startAmqpBridge({ url: brokers.sharedUrl(), exchange, logger });
      const runner = new ConsumerRunner(db, bridge.publisher, { pollMs: 20 });
      await runner.start();
      try {
        const created = (await repo.create(patient('Martin'))).resource;
        const id = created.id as string;
        await repo.update({ ...created, name: [{ family: 'Martín' }] } as Patient);
        await repo.delete('Patient', id);
        const observation = (await repo.create({ resourceType: 'Observation', status: 'final', code: { text: 'pulse' } })).resource;
        const messages: GetMessage[] = [];
        await eventually(async () => messages.push(...(await drain(brokers.sharedUrl(), queue))), () => messages.length >= 4, '4 published events');
        assert.deepEqual(messages.map((m) => m.fields.routingKey), ['fhir.Patient.create', 'fhir.Patient.update', 'fhir.Patient.delete', 'fhir.Observation.create']);
        assert.deepEqual(messages.map((m) => m.properties.messageId), [`Patient/${id}/_history/1`, `Patient/${id}/_history/2`, `Patient/${id}/_history/3`, `Observation/${observation.id}/_history/1`]);
        assert.deepEqual(messages.map((m) => m.properties.type), ['create', 'update', 'delete', 'create']);
        assert.equal(bodyOf(messages[0] as GetMessage).name[0].family, 'Martin');
        assert.equal(bodyOf(messages[1] as GetMessage).name[0].family, 'Martín');
        assert.equal(bodyOf(messages[1] as GetMessage).meta.versionId, '2');
        assert.deepEqual(bodyOf(messages[2] as GetMessage), { reference: `Patient/${id}` }, 'a delete carries a reference, not the deleted content');
        for (const m of messages) {
          assert.equal(m.properties.deliveryMode, 2, 'persistent');
          assert.equal(m.properties.contentType, 'application/fhir+json');
          assert.ok(Math.abs(Number(m.properties.timestamp) - Date.now() / 1000) < 120, 'timestamp in seconds');
        }
        const headers = messages.map((m) => m.properties.headers ?? {});
        assert.deepEqual(headers.map((h) => [h.resourceType, h.id, h.versionId]), [['Patient', id, '1'], ['Patient', id, '2'], ['Patient', id, '3'], ['Observation', observation.id, '1']]);
        const seqs = headers.map((h) => BigInt(String(h['x-passerelle-seq'])));
        assert.ok(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as bigint)), 'x-passerelle-seq increases in feed order');
      } finally {
        await runner.stop();
        await bridge.stop();
      }
    });

    it('publishes what was written while Passerelle was stopped, once it runs again, and nothing twice', async () => {
      const exchange = name('events');
      const queue = name('passerelle-restart');
      await subscribe(brokers.sharedUrl(), exchange, queue, false);
      const consumerName = `amqp-out-${driver.name}-passerelle-restart`;
      const run = async (): Promise<{ stop(): Promise<void> }> => {
        const bridge = startAmqpBridge({ url: brokers.sharedUrl(), exchange, logger });
        const runner = new ConsumerRunner(db, { ...bridge.publisher, name: consumerName }, { pollMs: 20 });
        await runner.start();
        return { stop: async () => { await runner.stop(); await bridge.stop(); } };
      };
      const received: GetMessage[] = [];
      const first = await run();
      const before = (await repo.create(patient('BeforeStop'))).resource.id as string;
      await eventually(async () => received.push(...(await drain(brokers.sharedUrl(), queue))), () => received.length >= 1, 'the first event');
      await first.stop();
      const during = [];
      for (let i = 0; i < 5; i++) during.push((await repo.create(patient(`WhileStopped${i}`))).resource.id as string);
      const second = await run();
      try {
        await eventually(async () => received.push(...(await drain(brokers.sharedUrl(), queue))), () => received.length >= 6, 'the events written while stopped');
        await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more comes
        received.push(...(await drain(brokers.sharedUrl(), queue)));
        assert.deepEqual(received.map((m) => m.properties.messageId), [before, ...during].map((id) => `Patient/${id}/_history/1`));
      } finally {
        await second.stop();
        await deleteTopology(brokers.sharedUrl(), { queues: [queue], exchanges: [] });
      }
    });

    it('keeps changes in the outbox while the broker is down and publishes them all when it is back', async () => {
      const broker = await brokers.privateBroker();
      const exchange = name('restart-events');
      const queue = name('restart-out');
      await subscribe(broker.url, exchange, queue, true);
      const errors: unknown[] = [];
      const bridge: AmqpBridge = startAmqpBridge({ url: broker.url, exchange, logger, heartbeatSeconds: 2, minBackoffMs: 100, maxBackoffMs: 500 });
      // Its own consumer name: this runner and the first test's never share a cursor.
      const runner = new ConsumerRunner(db, { ...bridge.publisher, name: `amqp-out-${driver.name}-restart` }, { pollMs: 20, batchSize: 5, onError: (err) => errors.push(err) });
      await runner.start();
      const received: GetMessage[] = [];
      const families = Array.from({ length: 30 }, (_, i) => `Stream${i}`);
      const ids: string[] = [];
      try {
        await bridge.ready();
        for (const [i, family] of families.entries()) {
          if (i === 10) {
            // Wait until the first ten are confirmed, so that we know which ones may be repeated.
            await eventually(async () => received.push(...(await drain(broker.url, queue))), () => received.length >= 10, 'the first 10 events');
            await broker.down();
          }
          ids.push((await repo.create(patient(family))).resource.id as string);
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
        await eventually(async () => errors.length, (n) => n > 0, 'a failed delivery while the broker is down');
        await broker.up();
        const expected = ids.map((id) => `Patient/${id}/_history/1`);
        await eventually(async () => received.push(...(await drain(broker.url, queue))), () => new Set(received.map((m) => m.properties.messageId)).size >= 30, 'all 30 events after the restart', 20_000);
        const messageIds = received.map((m) => m.properties.messageId as string);
        assert.deepEqual([...new Set(messageIds)], expected, 'every change, in feed order of first appearance');
        const repeated = messageIds.filter((id, i) => messageIds.indexOf(id) !== i);
        assert.ok(repeated.every((id) => expected.indexOf(id) >= 10), 'confirmed changes are never published again');
        assert.ok(repeated.length <= 5, `only one unconfirmed batch may come twice (repeated: ${repeated.length})`);
      } finally {
        await runner.stop();
        await bridge.stop();
        await deleteTopology(broker.url, { queues: [queue], exchanges: [exchange] });
      }
    });
  });
}
