/**
 * FHIR R4 rest-hook Subscriptions end to end, on both drivers: the subscriptions consumer queues
 * notifications from the change feed, the deliverer POSTs them to a real local HTTP receiver (in
 * feed order, with the channel's headers, with or without the resource), retries with back-off,
 * sets a Subscription that keeps failing to `error`, and loses nothing across a restart.
 * Invalid Subscriptions are refused with 400 and an OperationOutcome.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Observation, Patient, Subscription } from '@medplum/fhirtypes';
import request from 'supertest';
import { FhirError, loadR4Definitions, ProfileRegistry, Repository, type Database, type Queryable } from '../../fhir/index.ts';
import { ConsumerRunner } from '../../events/durable-consumer.ts';
import { RestHookDeliverer, subscriptionRules, subscriptionsConsumer } from '../../events/subscriptions/index.ts';
import { testDrivers } from '../support/database.ts';
import { FHIR_JSON, testApp } from '../support/app.ts';
import { until } from '../support/until.ts';

const LOINC = 'http://loinc.org';
const HEART_RATE = '8867-4';

const observation = (code: string, value: number): Observation => ({
  resourceType: 'Observation', status: 'final', code: { coding: [{ system: LOINC, code }] }, valueQuantity: { value, unit: '/min' },
});

const restHook = (criteria: string, endpoint: string, channel: Partial<Subscription['channel']> = {}): Subscription => ({
  resourceType: 'Subscription', status: 'requested', reason: 'test', criteria, channel: { type: 'rest-hook', endpoint, ...channel },
});

interface Received {
  method: string;
  /** The path requested (below a payload endpoint: `/<endpoint path>/<type>/<id>`). */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A local HTTP receiver: records each request under the endpoint path it was sent to (a request
 * to `<path>/Observation/1` belongs to `<path>`), and answers with the status its script gives.
 */
class Receiver {
  readonly received = new Map<string, Received[]>();
  readonly #scripts = new Map<string, (attempt: number) => number>();
  #server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        const path = [...this.#scripts.keys()].find((p) => url === p || url.startsWith(`${p}/`)) ?? url;
        const list = this.received.get(path) ?? [];
        list.push({ method: req.method ?? '', url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        this.received.set(path, list);
        res.statusCode = this.#scripts.get(path)?.(list.length) ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** `answer(n)` gives the status of the n-th request (from 1) to `path`. */
  script(path: string, answer: (attempt: number) => number): string {
    this.#scripts.set(path, answer);
    return `${this.base}${path}`;
  }

  at(path: string): Received[] {
    return this.received.get(path) ?? [];
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server?.close(() => resolve()));
  }
}


for (const driver of testDrivers()) {
  describe(`rest-hook subscriptions (${driver.name})`, () => {
    let db: Database;
    let repo: Repository;
    let repositoryIn: (q: Queryable) => Repository;
    let runner: ConsumerRunner;
    let deliverer: RestHookDeliverer;
    const receiver = new Receiver();
    const errors: unknown[] = [];

    const startRunner = async (): Promise<void> => {
      runner = new ConsumerRunner(db, subscriptionsConsumer(repositoryIn), { pollMs: 10, onError: (e) => errors.push(e) });
      await runner.start();
    };
    const startDeliverer = (): void => {
      deliverer = new RestHookDeliverer(db, repositoryIn, {
        pollMs: 10, initialBackoffMs: 20, maxBackoffMs: 80, maxAttempts: 3, timeoutMs: 2000, onError: (e) => errors.push(e),
      });
      deliverer.start();
    };
    const pending = async (subscriptionId: string): Promise<number> => {
      const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscription_delivery WHERE subscription_id = $1', [subscriptionId]);
      return row?.n ?? 0;
    };

    before(async () => {
      loadR4Definitions();
      db = await driver.open();
      const profiles = new ProfileRegistry([]);
      const hooks = [subscriptionRules];
      repo = new Repository(db, profiles, { hooks });
      repositoryIn = (q) => new Repository(db, profiles, { hooks, tx: q });
      await receiver.start();
      await startRunner();
      startDeliverer();
    });
    after(async () => {
      await deliverer.stop();
      await runner.stop();
      await receiver.stop();
      await db.close();
      assert.deepEqual(errors, [], 'no unexpected errors');
    });

    it('notifies exactly the matching changes, in order, with the headers: PUT of the resource with a payload, empty POST without', async () => {
      const withPayload = (await repo.create(restHook(`Observation?code=${LOINC}|${HEART_RATE}`, receiver.script(`/${driver.name}/payload`, () => 200), {
        payload: 'application/fhir+json', header: ['Authorization: Bearer test-token', 'X-Ward: 3B'],
      }))).resource;
      await repo.create(restHook(`Observation?code=${LOINC}|${HEART_RATE}`, receiver.script(`/${driver.name}/empty`, () => 200)));

      const first = (await repo.create(observation(HEART_RATE, 70))).resource as Observation;
      await repo.create(observation('8310-5', 37)); // body temperature: no match
      const second = (await repo.create(observation(HEART_RATE, 80))).resource as Observation;
      await repo.update({ ...first, valueQuantity: { value: 75, unit: '/min' } } as Observation);

      await until(() => receiver.at(`/${driver.name}/payload`).length >= 3 && receiver.at(`/${driver.name}/empty`).length >= 3, 'three notifications each');
      await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
      const posted = receiver.at(`/${driver.name}/payload`);
      assert.deepEqual(posted.map((p) => {
        const body = JSON.parse(p.body) as Observation;
        return `${body.id}/${body.meta?.versionId}:${body.valueQuantity?.value}`;
      }), [`${first.id}/1:70`, `${second.id}/1:80`, `${first.id}/2:75`]);
      assert.deepEqual(posted.map((p) => `${p.method} ${p.url}`), [first, second, first].map((o) => `PUT /${driver.name}/payload/Observation/${o.id}`));
      for (const p of posted) {
        assert.equal(p.headers.authorization, 'Bearer test-token');
        assert.equal(p.headers['x-ward'], '3B');
        assert.equal(p.headers['content-type'], 'application/fhir+json');
      }
      const empty = receiver.at(`/${driver.name}/empty`);
      assert.equal(empty.length, 3);
      assert.ok(empty.every((p) => p.body === '' && p.method === 'POST' && p.url === `/${driver.name}/empty`), 'no payload: an empty POST to the endpoint');

      await until(async () => (await repo.read('Subscription', withPayload.id as string) as Subscription).status === 'active', 'requested -> active');
    });

    it('sends each notification once and in order with two deliverers (two instances)', async () => {
      const other = new RestHookDeliverer(db, repositoryIn, { pollMs: 5, onError: (e) => errors.push(e) });
      other.start();
      try {
        await repo.create(restHook(`Observation?code=${LOINC}|8462-4`, receiver.script(`/${driver.name}/two`, () => 200), { payload: 'application/fhir+json' }));
        const written: string[] = [];
        for (let i = 0; i < 12; i++) written.push((await repo.create(observation('8462-4', 60 + i))).resource.id as string);
        await until(() => receiver.at(`/${driver.name}/two`).length >= 12, 'twelve notifications');
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(receiver.at(`/${driver.name}/two`).map((p) => (JSON.parse(p.body) as Observation).id), written);
      } finally {
        await other.stop();
      }
    });

    it('does not notify deletes (R4: the criteria apply to the new value, and a deleted resource has none)', async () => {
      await repo.create(restHook('Patient', receiver.script(`/${driver.name}/patients`, () => 200), { payload: 'application/fhir+json' }));
      const patient = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Durand' }] } as Patient)).resource;
      await repo.delete('Patient', patient.id as string);
      const next = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Morel' }] } as Patient)).resource;
      await until(() => receiver.at(`/${driver.name}/patients`).length >= 2, 'the two creates');
      await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
      assert.deepEqual(receiver.at(`/${driver.name}/patients`).map((p) => p.url), [patient, next].map((p) => `/${driver.name}/patients/Patient/${p.id}`));
    });

    it('retries with back-off until the endpoint answers 2xx', async () => {
      const subscription = (await repo.create(restHook(`Observation?code=${LOINC}|9279-1`, receiver.script(`/${driver.name}/flaky`, (n) => (n <= 2 ? 500 : 200))))).resource;
      await repo.create(observation('9279-1', 16));
      await until(() => receiver.at(`/${driver.name}/flaky`).length >= 3, 'delivery after two failures');
      await until(async () => (await pending(subscription.id as string)) === 0, 'the row removed');
      const current = await repo.read('Subscription', subscription.id as string) as Subscription;
      assert.notEqual(current.status, 'error');
      assert.equal(receiver.at(`/${driver.name}/flaky`).length, 3);
    });

    it('sets a Subscription whose endpoint keeps failing to error, with the reason, and drops its queue', async () => {
      const subscription = (await repo.create(restHook(`Observation?code=${LOINC}|2708-6`, receiver.script(`/${driver.name}/down`, () => 503)))).resource;
      await repo.create(observation('2708-6', 97));
      await repo.create(observation('2708-6', 96));
      await until(async () => (await repo.read('Subscription', subscription.id as string) as Subscription).status === 'error', 'status error');
      const current = await repo.read('Subscription', subscription.id as string) as Subscription;
      assert.match(current.error ?? '', /failed 3 times.*HTTP 503/);
      assert.equal(receiver.at(`/${driver.name}/down`).length, 3, 'the first notification tried three times, the second never');
      await until(async () => (await pending(subscription.id as string)) === 0, 'the queue dropped');
    });

    it('loses nothing across a restart', async () => {
      const subscription = (await repo.create(restHook(`Observation?code=${LOINC}|8480-6`, receiver.script(`/${driver.name}/restart`, () => 200)))).resource;
      await until(async () => (await repo.read('Subscription', subscription.id as string) as Subscription).status === 'active', 'the consumer to see it');
      await deliverer.stop();
      await runner.stop();
      await repo.create(observation('8480-6', 120));
      await repo.create(observation('8480-6', 125));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(receiver.at(`/${driver.name}/restart`).length, 0, 'nothing sent while stopped');
      await startRunner();
      startDeliverer();
      await until(() => receiver.at(`/${driver.name}/restart`).length >= 2, 'delivery after the restart');
      assert.deepEqual(receiver.at(`/${driver.name}/restart`).map((p) => p.body), ['', '']);
    });

    it('refuses Subscriptions it cannot honour with 400', async () => {
      const refused = async (subscription: Subscription, text: RegExp): Promise<void> => {
        await assert.rejects(repo.create(subscription), (err: unknown) => {
          assert.ok(err instanceof FhirError);
          assert.equal(err.status, 400);
          assert.match(err.message, text);
          return true;
        });
      };
      const endpoint = `${receiver.base}/never`;
      await refused(restHook('Observation?nonsense=1', endpoint), /nonsense/);
      await refused(restHook('Nothing?code=1', endpoint), /resource type/);
      await refused(restHook('Observation?code=x&_count=5', endpoint), /_count/);
      await refused({ ...restHook('Observation', endpoint), channel: { type: 'email', endpoint: 'mailto:ward@example.org' } }, /not supported/);
      await refused(restHook('Observation', '/relative/hook'), /absolute http/);
      await refused(restHook('Observation', 'ftp://example.org/hook'), /absolute http/);
      await refused(restHook('Observation', endpoint, { header: ['no colon here'] }), /Name: value/);
      await refused(restHook('Observation', endpoint, { payload: 'application/fhir+xml' }), /payload/);

      const app = testApp(db, { hooks: [subscriptionRules] });
      const res = await request(app).post('/fhir/Subscription').set('Content-Type', FHIR_JSON)
        .send({ ...restHook('Observation', endpoint), channel: { type: 'sms', endpoint: 'tel:+33123456789' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.match(JSON.stringify(res.body), /not supported/);
    });
  });
}
