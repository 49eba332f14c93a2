/**
 * The change feed as the server wires it, with authentication on: WebSocket upgrades are
 * authenticated like any request (401 with the challenges without credentials or with a bad
 * token; a bearer token in the Authorization header or, for browsers, `access_token`), and the
 * stream sends only what the caller's role may read. Each connection is audited.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { AuditEvent } from '@medplum/fhirtypes';
import { loadR4Definitions, parseSearch, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { bedAvailabilityRule, hospitalOperations, loadProfiles } from '../../profiles/index.ts';
import { createApp, VERSION } from '../../server/app.ts';
import { createAuth, type AuthWiring } from '../../server/auth.ts';
import { loadConfig } from '../../server/config.ts';
import { subscriptionRules } from '../../events/subscriptions/index.ts';
import { startEvents, type RunningEvents } from '../../server/events.ts';
import { createFhirRouter } from '../../server/fhir-router.ts';
import { createHl7Pipeline } from '../../server/hl7.ts';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics.ts';
import { pgliteDriver } from '../support/database.ts';

const SECRET = 'a-test-signing-secret-of-32-chars!';

describe('change feed wiring with authentication', () => {
  let dir: string;
  let db: Database;
  let auth: AuthWiring;
  let events: RunningEvents;
  let server: Server;
  let base: string;
  let repo: Repository;

  const tokenFor = async (roles: string[]): Promise<string> =>
    (await auth.tokens.issue({ id: 'uid=test', name: 'test', method: 'ldap', groups: [], roles })).access_token;

  /** The HTTP status of a refused upgrade, with its WWW-Authenticate header. */
  const refusal = (url: string, headers: Record<string, string> = {}): Promise<{ status: number; challenge: string | undefined }> =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] }));
      socket.once('open', () => reject(new Error('the upgrade was accepted')));
      socket.once('error', () => undefined);
    });

  const open = async (url: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket; seen: string[] }> => {
    const socket = new WebSocket(url, { headers });
    const seen: string[] = [];
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { event: string; resourceType?: string };
      seen.push(message.event === 'change' ? String(message.resourceType) : message.event);
    });
    await once(socket, 'open');
    while (!seen.includes('open')) await new Promise((r) => setTimeout(r, 10));
    return { socket, seen };
  };

  before(async () => {
    loadR4Definitions();
    dir = mkdtempSync(join(tmpdir(), 'passerelle-events-'));
    const config = loadConfig({ JWT_SECRET: SECRET, EVENTS_POLL_MS: '10', DATA_DIR: dir });
    db = await pgliteDriver.open();
    const profiles = loadProfiles();
    const logger = createLogger('silent');
    const hooks = [bedAvailabilityRule, subscriptionRules];
    repo = new Repository(db, new ProfileRegistry(profiles), { hooks });
    auth = createAuth(db, config.auth as NonNullable<typeof config.auth>, { profiles });
    const router = createFhirRouter({ db, logger, profiles: new ProfileRegistry(profiles), hooks, operations: hospitalOperations, softwareVersion: VERSION });
    const hl7 = createHl7Pipeline(db, { profiles, hooks, logger, config });
    const app = createApp({ db, logger, metrics: createMetrics(), profiles, router, maxBodyBytes: 1024 * 1024, auth });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    events = await startEvents({ db, config, logger, profiles: new ProfileRegistry(profiles), hooks, router, hl7, auth });
    events.attach(server);
    const address = server.address();
    base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await events.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await auth.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an upgrade without credentials or with a bad token, with the challenges', async () => {
    const anonymous = await refusal(`${base}/events`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.challenge ?? '', /Bearer realm="Passerelle"/);
    assert.equal((await refusal(`${base}/events`, { authorization: 'Bearer not-a-token' })).status, 401);
    assert.equal((await refusal(`${base}/events?access_token=not-a-token`)).status, 401);
  });

  it('accepts a bearer token in the header or the query, and sends only what the role may read', async () => {
    const clinician = await open(`${base}/events`, { authorization: `Bearer ${await tokenFor(['clinician'])}` });
    const dispatch = await open(`${base}/events?access_token=${await tokenFor(['samu-dispatch'])}`);
    await repo.create({ resourceType: 'Patient', name: [{ family: 'Durand' }] });
    await repo.create({ resourceType: 'Location', status: 'active', name: 'Bloc 4' });
    const deadline = Date.now() + 10_000;
    while ((!clinician.seen.includes('Location') || !dispatch.seen.includes('Location')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(clinician.seen, ['open', 'Patient', 'Location']);
    assert.deepEqual(dispatch.seen, ['open', 'Location'], 'dispatch sees no patient data');
    clinician.socket.close();
    dispatch.socket.close();
  });

  it('audits each connection, allowed or refused, with the token redacted', async () => {
    const token = await tokenFor(['clinician']);
    const client = await open(`${base}/events?type=Location&access_token=${token}`);
    client.socket.close();
    const deadline = Date.now() + 5000;
    let audits: AuditEvent[] = [];
    const stream = (a: AuditEvent): boolean => a.subtype?.some((c) => c.code === 'events-stream') === true;
    while (Date.now() < deadline) {
      audits = (await repo.search(parseSearch('AuditEvent', new URLSearchParams({ _count: '1000' })))).resources as AuditEvent[];
      if (audits.filter(stream).some((a) => JSON.stringify(a).includes('type=Location'))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const streams = audits.filter(stream);
    assert.ok(streams.some((a) => a.outcome === '0'), 'an allowed connection');
    assert.ok(streams.some((a) => a.outcome === '4'), 'a refused connection');
    const text = JSON.stringify(streams);
    assert.ok(!text.includes(token), 'the token is not in the audit trail');
    assert.ok(text.includes('access_token=[redacted]'));
  });

  it('serves websocket Subscriptions on /fhir/ws: created over FHIR (checked on write), bound, pinged', async () => {
    const admin = `Bearer ${await tokenFor(['admin'])}`;
    const http = base.replace('ws:', 'http:');
    const post = (body: unknown): Promise<Response> =>
      fetch(`${http}/fhir/Subscription`, { method: 'POST', headers: { authorization: admin, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    const subscription = { resourceType: 'Subscription', status: 'requested', reason: 'bloc', criteria: 'Device?status=inactive', channel: { type: 'websocket' } };
    assert.equal((await post({ ...subscription, criteria: 'Device?no-such-parameter=1' })).status, 400, 'criteria checked on write');
    const created = await post(subscription);
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: string }).id;
    const socket = new WebSocket(`${base}/fhir/ws`, { headers: { authorization: admin } });
    const received: string[] = [];
    socket.on('message', (data) => received.push(String(data)));
    await once(socket, 'open');
    socket.send(`bind ${id}`);
    const until = async (what: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!received.includes(what) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(received.includes(what), `${what} in ${received.join(' | ')}`);
    };
    await until(`bound ${id}`);
    await repo.create({ resourceType: 'Device', status: 'active' });
    await repo.create({ resourceType: 'Device', status: 'inactive' });
    await until(`ping ${id}`);
    assert.equal(received.filter((m) => m === `ping ${id}`).length, 1, 'only the matching Device');
    socket.close();
  });

  it('answers a plain GET of a WebSocket endpoint with 426', async () => {
    const res = await fetch(`${base.replace('ws:', 'http:')}/events`);
    assert.equal(res.status, 426);
    assert.equal(res.headers.get('upgrade'), 'websocket');
  });
});
