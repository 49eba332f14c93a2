/**
 * AMQP in against a real RabbitMQ, on both drivers: an HL7 v2 message on the HL7 queue is applied
 * through the pipeline and answered on `reply_to` with the correlation id; FHIR resources and
 * transaction Bundles on the FHIR queue are applied; what can never be applied (garbage ER7,
 * invalid JSON or FHIR) is answered where due and ends in the dead-letter queue with a reason;
 * a transient failure (the database gone for one message) is retried in place, not dead-lettered,
 * and nothing behind it overtakes it; and a broker restart mid-stream (a private node) loses nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Channel, type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { bundleProcessor, coreOperations, FhirRouter, parseSearch, type FhirRequest, type FhirResponse } from '../../fhir/index.ts';
import { startAmqpBridge, type AmqpBridge, type Hl7Receiver } from '../../events/amqp/index.ts';
import { createLogger } from '../../server/logger.ts';
import { testDrivers } from '../support/database.ts';
import { startHl7Bridge, type Hl7TestBridge } from '../support/hl7.ts';
import { deleteTopology, drain, eventually, testNames, useBrokers } from '../support/rabbitmq.ts';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const FIXTURES = new URL('../../../shared/fixtures/hl7v2/', import.meta.url);
const BASE_URL = 'http://localhost:8080/fhir';

/** What a database that is down looks like to the bridge: the call throws a connection error. */
function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

/** A client of the bridge: sends to a queue and collects the replies on its own reply queue. */
class TestClient {
  readonly replies: ConsumeMessage[] = [];
  #connection!: ChannelModel;
  #channel!: Channel;
  replyTo!: string;

  static async open(url: string): Promise<TestClient> {
    const client = new TestClient();
    client.#connection = await connect(url);
    client.#channel = await client.#connection.createConfirmChannel();
    client.replyTo = (await client.#channel.assertQueue('', { exclusive: true })).queue;
    await client.#channel.consume(client.replyTo, (m) => m && client.replies.push(m), { noAck: true });
    return client;
  }

  async send(queue: string, content: string | Buffer, properties: { correlationId?: string; messageId?: string; contentType?: string; reply?: boolean } = {}): Promise<void> {
    const { reply = true, ...rest } = properties;
    this.#channel.sendToQueue(queue, Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), { persistent: true, ...(reply ? { replyTo: this.replyTo } : {}), ...rest });
    await (this.#channel as unknown as { waitForConfirms(): Promise<void> }).waitForConfirms();
  }

  async replyFor(correlationId: string): Promise<ConsumeMessage> {
    await eventually(async () => this.replies.some((r) => r.properties.correlationId === correlationId), (found) => found, `the reply to ${correlationId}`);
    return this.replies.find((r) => r.properties.correlationId === correlationId) as ConsumeMessage;
  }

  close(): Promise<void> {
    return this.#connection.close().catch(() => undefined);
  }
}

const brokers = useBrokers();

for (const driver of testDrivers()) {
  describe(`AMQP in (${driver.name})`, () => {
    const name = testNames();
    const hl7Queue = name('hl7v2');
    const fhirQueue = name('fhir');
    const deadLetterExchange = name('dead-letter');
    let hl7: Hl7TestBridge;
    let router: FhirRouter;
    let bridge: AmqpBridge;
    let client: TestClient;
    /** How many of the next calls fail as if the database were down. */
    let failNextHl7 = 0;
    let failNextFhir = 0;
    const dead = new Map<string, GetMessage[]>();
    const deadLettered = async (queue: string, messageId: string): Promise<GetMessage> => {
      await eventually(async () => {
        const list = dead.get(queue) ?? [];
        list.push(...(await drain(brokers.sharedUrl(), `${queue}.dead`)));
        dead.set(queue, list);
        return list.some((m) => m.properties.messageId === messageId);
      }, (found) => found, `${messageId} in ${queue}.dead`);
      return (dead.get(queue) ?? []).find((m) => m.properties.messageId === messageId) as GetMessage;
    };
    const count = async (type: string): Promise<number> => (await hl7.repo.search(parseSearch(type, new URLSearchParams()))).resources.length;

    before(async () => {
      hl7 = await startHl7Bridge(driver);
      router = new FhirRouter({ repo: hl7.repo, operations: coreOperations(), bundles: bundleProcessor, capabilityStatement: () => ({ resourceType: 'CapabilityStatement' }) as never });
      const pipeline: Hl7Receiver = {
        receive: (raw, transport) => (failNextHl7-- > 0 ? Promise.reject(connectionRefused()) : hl7.pipeline.receive(raw, transport)),
      };
      const fhir = {
        handle: (request: FhirRequest): Promise<FhirResponse> => (failNextFhir-- > 0 ? Promise.reject(connectionRefused()) : router.handle(request)),
      };
      bridge = startAmqpBridge({
        url: brokers.sharedUrl(), queues: { hl7v2: hl7Queue, fhir: fhirQueue }, deadLetterExchange, hl7: pipeline, fhir: { router: fhir, baseUrl: BASE_URL }, logger, retryDelayMs: 100,
      });
      await bridge.ready();
      client = await TestClient.open(brokers.sharedUrl());
    });
    after(async () => {
      await client?.close();
      await bridge?.stop();
      await hl7?.close();
      await deleteTopology(brokers.sharedUrl(), { queues: [hl7Queue, `${hl7Queue}.dead`, fhirQueue, `${fhirQueue}.dead`], exchanges: [deadLetterExchange] });
    });

    it('applies an HL7 A01 from the HL7 queue and answers AA on reply_to with the correlation id', async () => {
      const [patients, encounters] = [await count('Patient'), await count('Encounter')];
      await client.send(hl7Queue, readFileSync(new URL('adt_a01_v25_fr_pam_ans_utf8_zsegs.hl7', FIXTURES)), { correlationId: 'a01-1', messageId: 'm-a01' });
      const reply = await client.replyFor('a01-1');
      assert.match(reply.content.toString('latin1'), /\rMSA\|AA\|/);
      assert.equal(reply.properties.contentType, 'x-application/hl7-v2+er7');
      assert.equal(await count('Patient'), patients + 1);
      assert.equal(await count('Encounter'), encounters + 1);
    });

    it('answers garbage ER7 with a NAK and dead-letters it with the reason', async () => {
      await client.send(hl7Queue, 'this is not an HL7 message', { messageId: 'm-garbage' });
      const reply = await client.replyFor('m-garbage'); // no correlation id given: the message id stands for it
      assert.match(reply.content.toString('latin1'), /\rMSA\|AR[|\r]/);
      const copy = await deadLettered(hl7Queue, 'm-garbage');
      assert.equal(copy.content.toString(), 'this is not an HL7 message');
      assert.equal(copy.properties.headers?.['x-passerelle-reason'], 'AR: The message does not start with an MSH segment');
      assert.equal(copy.properties.headers?.['x-passerelle-queue'], hl7Queue);
      assert.equal(copy.properties.deliveryMode, 2);
    });

    it('applies FHIR resources (PUT with an id, POST without) and a transaction Bundle', async () => {
      await client.send(fhirQueue, JSON.stringify({ resourceType: 'Patient', id: 'amqp-put', name: [{ family: 'Queue' }] }), { correlationId: 'put', contentType: 'application/fhir+json' });
      await client.send(fhirQueue, JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Posted' }] }), { correlationId: 'post' });
      const transaction: Bundle = {
        resourceType: 'Bundle', type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:4f1e0c3a-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', name: [{ family: 'InBundle' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: 'urn:uuid:4f1e0c3a-0000-4000-8000-000000000001' } }, request: { method: 'POST', url: 'Observation' } },
        ],
      };
      await client.send(fhirQueue, JSON.stringify(transaction), { correlationId: 'tx', contentType: 'application/json' });
      const put = await client.replyFor('put');
      assert.equal(put.properties.headers?.['x-passerelle-status'], 201);
      assert.equal(((await hl7.repo.read('Patient', 'amqp-put')) as Patient).name?.[0]?.family, 'Queue');
      const posted = JSON.parse((await client.replyFor('post')).content.toString());
      assert.equal(((await hl7.repo.read('Patient', posted.id)) as Patient).name?.[0]?.family, 'Posted');
      const response = JSON.parse((await client.replyFor('tx')).content.toString()) as Bundle;
      assert.equal(response.type, 'transaction-response');
      assert.deepEqual(response.entry?.map((e) => e.response?.status.slice(0, 3)), ['201', '201']);
    });

    it('dead-letters FHIR that can never be applied, with a reason that echoes no value sent', async () => {
      await client.send(fhirQueue, '{"resourceType": "Patient", ', { messageId: 'not-json' });
      await client.send(fhirQueue, JSON.stringify({ resourceType: 'Patient', id: 'bad-gender', gender: 'Hélène-secret' }), { messageId: 'invalid-fhir', correlationId: 'invalid' });
      await client.send(fhirQueue, JSON.stringify({ name: 'no type' }), { messageId: 'no-type', reply: false });
      await client.send(fhirQueue, '<Patient/>', { messageId: 'xml', contentType: 'application/fhir+xml', reply: false });
      assert.equal((await deadLettered(fhirQueue, 'not-json')).properties.headers?.['x-passerelle-reason'], 'the message body is not valid JSON');
      const invalid = await deadLettered(fhirQueue, 'invalid-fhir');
      const reason = String(invalid.properties.headers?.['x-passerelle-reason']);
      assert.match(reason, /^HTTP 400: "…" is not in the required value set/);
      assert.doesNotMatch(reason, /Hélène/, 'the value sent is not echoed');
      assert.equal(JSON.parse((await client.replyFor('invalid')).content.toString()).resourceType, 'OperationOutcome');
      assert.match(String((await deadLettered(fhirQueue, 'no-type')).properties.headers?.['x-passerelle-reason']), /not a FHIR resource/);
      assert.equal((await deadLettered(fhirQueue, 'xml')).properties.headers?.['x-passerelle-reason'], 'content type application/fhir+xml is not accepted (send application/fhir+json or application/json)');
    });

    it('retries a message whose transaction failed (database down) instead of dead-lettering it', async () => {
      failNextFhir = 2;
      await client.send(fhirQueue, JSON.stringify({ resourceType: 'Patient', id: 'after-outage', name: [{ family: 'Later' }] }), { messageId: 'transient', correlationId: 'transient' });
      const reply = await client.replyFor('transient');
      assert.equal(reply.properties.headers?.['x-passerelle-status'], 201);
      assert.equal(failNextFhir < 0, true, 'the first two attempts failed');
      failNextHl7 = 1;
      const a01 = readFileSync(new URL('adt_a01_v25_fr_pam_ans_latin1_DERIVED.hl7', FIXTURES));
      await client.send(hl7Queue, a01, { correlationId: 'hl7-transient' });
      assert.match((await client.replyFor('hl7-transient')).content.toString('latin1'), /\rMSA\|AA\|/);
      const deadNow = [...(await drain(brokers.sharedUrl(), `${fhirQueue}.dead`)), ...(await drain(brokers.sharedUrl(), `${hl7Queue}.dead`))];
      assert.deepEqual(deadNow.map((m) => m.properties.messageId), [], 'nothing dead-lettered');
    });

    it('keeps queue order around a transient failure: a later update of the same resource never overtakes it', async () => {
      failNextFhir = 1; // the first version fails once, while the next messages are already in hand
      const version = (family: string, correlationId: string): Promise<void> =>
        client.send(fhirQueue, JSON.stringify({ resourceType: 'Patient', id: 'ordered', name: [{ family }] }), { correlationId });
      await version('First', 'ordered-1');
      for (let i = 0; i < 10; i++) await client.send(fhirQueue, JSON.stringify({ resourceType: 'Patient', name: [{ family: `Alongside${i}` }] }), { correlationId: `alongside-${i}` });
      await version('Second', 'ordered-2');
      await client.replyFor('ordered-2');
      for (let i = 0; i < 10; i++) assert.equal((await client.replyFor(`alongside-${i}`)).properties.headers?.['x-passerelle-status'], 201);
      const history = await hl7.repo.history({ resourceType: 'Patient', id: 'ordered', count: 10 });
      assert.deepEqual(history.map((entry) => (entry.resource as Patient | undefined)?.name?.[0]?.family).reverse(), ['First', 'Second']);
    });

    it('loses no message when the broker restarts mid-stream', async () => {
      const broker = await brokers.privateBroker();
      const queue = name('restart-fhir');
      const dlx = name('restart-dead-letter');
      // A slow consumer, so that the restart falls while messages are in hand and in the queue.
      const slow = { handle: async (request: FhirRequest) => { await new Promise((r) => setTimeout(r, 40)); return router.handle(request); } };
      const restartBridge = startAmqpBridge({ url: broker.url, queues: { fhir: queue }, deadLetterExchange: dlx, fhir: { router: slow, baseUrl: BASE_URL }, logger, prefetch: 5, heartbeatSeconds: 2, minBackoffMs: 100, maxBackoffMs: 500 });
      const ids = Array.from({ length: 30 }, (_, i) => `restart-${driver.name}-${i}`);
      try {
        await restartBridge.ready();
        const sender = await TestClient.open(broker.url);
        for (const id of ids.slice(0, 20)) await sender.send(queue, JSON.stringify({ resourceType: 'Patient', id, name: [{ family: id }] }), { reply: false });
        await sender.close();
        await eventually(async () => (await hl7.repo.search(parseSearch('Patient', new URLSearchParams({ _id: ids.slice(0, 20).join(',') })))).resources.length, (n) => n >= 3, 'some applied');
        await broker.down();
        await broker.up();
        const after = await TestClient.open(broker.url);
        for (const id of ids.slice(20)) await after.send(queue, JSON.stringify({ resourceType: 'Patient', id, name: [{ family: id }] }), { reply: false });
        await after.close();
        await eventually(async () => (await hl7.repo.search(parseSearch('Patient', new URLSearchParams({ _id: ids.join(','), _count: '100' })))).resources.length, (n) => n === 30, 'all 30 applied after the restart', 20_000);
        assert.deepEqual(await drain(broker.url, `${queue}.dead`), []);
      } finally {
        await restartBridge.stop();
        await deleteTopology(broker.url, { queues: [queue, `${queue}.dead`], exchanges: [dlx] });
      }
    });
  });
}
