/**
 * The R4 websocket channel on `/fhir/ws`, on both drivers: a client binds Subscriptions by id,
 * gets `bound <id>`, then `ping <id>` for each matching change (and the resource after it when
 * the Subscription asks for a payload and the caller may see it); ids it cannot bind get
 * `error <id> <reason>`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Observation, Resource, Subscription } from '@medplum/fhirtypes';
import { WebSocket } from 'ws';
import { loadR4Definitions, ProfileRegistry, Repository, type AccessPolicy, type Database } from '../../fhir/index.ts';
import { LiveFeed } from '../../events/live-feed.ts';
import { attachWebSockets, type WebSocketEndpoints } from '../../events/websocket-server.ts';
import { subscriptionRules, subscriptionWebSocket, type SubscriptionWebSocket } from '../../events/subscriptions/index.ts';
import { testDrivers } from '../support/database.ts';

const LOINC = 'http://loinc.org';

const observation = (code: string, value: number, category?: string): Observation => ({
  resourceType: 'Observation', status: 'final', code: { coding: [{ system: LOINC, code }] }, valueQuantity: { value, unit: '/min' },
  ...(category ? { category: [{ coding: [{ code: category }] }] } : {}),
});

const websocketSubscription = (criteria: string, payload?: string): Subscription => ({
  resourceType: 'Subscription', status: 'requested', reason: 'test', criteria, channel: { type: 'websocket', ...(payload ? { payload } : {}) },
});

/** A caller who may read everything except Observations in the `restricted` category and Subscriptions tagged `private`. */
const partialAccess: AccessPolicy = {
  allows: () => true,
  mayReturn: (resource: Resource) => {
    if (resource.resourceType === 'Observation') return !(resource as Observation).category?.some((c) => c.coding?.some((x) => x.code === 'restricted'));
    return !resource.meta?.tag?.some((t) => t.code === 'private');
  },
  restriction: () => undefined,
  mayWrite: () => true,
};

/** A ws client that keeps every text message it receives. */
class Client {
  readonly messages: string[] = [];
  readonly socket: WebSocket;
  constructor(url: string, headers: Record<string, string> = {}) {
    this.socket = new WebSocket(url, { headers });
    this.socket.on('message', (data) => this.messages.push(String(data)));
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
  }
  async waitFor(predicate: (m: string) => boolean, what: string, ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  close(): void {
    this.socket.close();
  }
}

for (const driver of testDrivers()) {
  describe(`websocket subscriptions (${driver.name})`, () => {
    let db: Database;
    let repo: Repository;
    let feed: LiveFeed;
    let endpoint: SubscriptionWebSocket;
    let sockets: WebSocketEndpoints;
    let server: Server;
    let url = '';
    const errors: unknown[] = [];

    before(async () => {
      loadR4Definitions();
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry([]), { hooks: [subscriptionRules] });
      feed = new LiveFeed(db, { pollMs: 10, onError: (e) => errors.push(e) });
      await feed.start();
      endpoint = subscriptionWebSocket(feed, repo, { onError: (e) => errors.push(e) });
      server = createServer((_req, res) => res.writeHead(404).end());
      // `X-Test-Access: partial` stands for a caller with a restricted access policy.
      sockets = attachWebSockets(server, [endpoint], {
        authenticate: (req) => Promise.resolve({ ok: true, access: req.headers['x-test-access'] === 'partial' ? partialAccess : undefined }),
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/fhir/ws`;
    });
    after(async () => {
      sockets.close();
      endpoint.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await feed.stop();
      await db.close();
      assert.deepEqual(errors, [], 'no unexpected errors');
    });

    it('answers bind with bound, then pings for matching changes only', async () => {
      const subscription = (await repo.create(websocketSubscription(`Observation?code=${LOINC}|8867-4`))).resource;
      const client = new Client(url);
      await client.opened();
      client.socket.send(`bind ${subscription.id}`);
      await client.waitFor((m) => m === `bound ${subscription.id}`, 'bound');
      await repo.create(observation('8310-5', 37)); // no match
      await repo.create(observation('8867-4', 72));
      await client.waitFor((m) => m === `ping ${subscription.id}`, 'ping');
      await repo.create(observation('8867-4', 74));
      await client.waitFor((m) => m === `ping ${subscription.id}` && client.messages.filter((x) => x.startsWith('ping')).length === 2, 'second ping');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(client.messages, [`bound ${subscription.id}`, `ping ${subscription.id}`, `ping ${subscription.id}`]);
      client.close();
    });

    it('sends the resource after the ping when the Subscription asks for a payload', async () => {
      const subscription = (await repo.create(websocketSubscription(`Observation?code=${LOINC}|9279-1`, 'application/fhir+json'))).resource;
      const client = new Client(url);
      await client.opened();
      client.socket.send(`bind ${subscription.id}`);
      await client.waitFor((m) => m.startsWith('bound'), 'bound');
      const written = (await repo.create(observation('9279-1', 18))).resource;
      await client.waitFor((m) => m.startsWith('{'), 'the resource');
      const ping = client.messages.indexOf(`ping ${subscription.id}`);
      assert.ok(ping > 0, 'a ping first');
      const resource = JSON.parse(client.messages[ping + 1] as string) as Observation;
      assert.equal(resource.resourceType, 'Observation');
      assert.equal(resource.id, written.id);
      assert.equal(resource.valueQuantity?.value, 18);
      client.close();
    });

    it('sends only what the caller may see, and binds only what it may read', async () => {
      const subscription = (await repo.create(websocketSubscription(`Observation?code=${LOINC}|2708-6`, 'application/fhir+json'))).resource;
      const hidden = (await repo.create({ ...websocketSubscription('Observation'), meta: { tag: [{ code: 'private' }] } })).resource;
      const client = new Client(url, { 'X-Test-Access': 'partial' });
      await client.opened();
      client.socket.send(`bind ${hidden.id}`);
      client.socket.send(`bind ${subscription.id}`);
      await client.waitFor((m) => m === `error ${hidden.id} not found`, 'refusal of the private one');
      await client.waitFor((m) => m === `bound ${subscription.id}`, 'bound');
      await repo.create(observation('2708-6', 91, 'restricted'));
      await client.waitFor((m) => m === `ping ${subscription.id}`, 'ping for the restricted one');
      await repo.create(observation('2708-6', 97));
      const shown = JSON.parse(await client.waitFor((m) => m.startsWith('{'), 'the visible resource')) as Observation;
      assert.equal(shown.valueQuantity?.value, 97, 'the restricted Observation was not sent');
      assert.equal(client.messages.filter((m) => m.startsWith('{')).length, 1);
      client.close();
    });

    it('answers error for unknown ids, non-websocket Subscriptions and other messages', async () => {
      const restHook = (await repo.create({
        resourceType: 'Subscription', status: 'requested', reason: 'test', criteria: 'Observation', channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/hook' },
      } as Subscription)).resource;
      const off = (await repo.create({ ...websocketSubscription('Observation'), status: 'off' })).resource;
      const client = new Client(url);
      await client.opened();
      client.socket.send('bind no-such-subscription');
      await client.waitFor((m) => m === 'error no-such-subscription not found', 'unknown id');
      client.socket.send(`bind ${restHook.id}`);
      await client.waitFor((m) => m === `error ${restHook.id} not a websocket subscription`, 'rest-hook id');
      client.socket.send(`bind ${off.id}`);
      await client.waitFor((m) => m === `error ${off.id} subscription is off`, 'off');
      client.socket.send('hello');
      await client.waitFor((m) => m.startsWith('error expected'), 'unknown message');
      client.close();
    });
  });
}
