/**
 * The same pipeline over HTTP (`POST /hl7/v2`), the message log for operators
 * (`GET /admin/hl7/messages`, `$replay`), and the bridge's options: unknown locations refused,
 * freed beds set to housekeeping.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { once } from 'node:events';
import supertest from 'supertest';
import { createApp } from '../../server/app.ts';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics.ts';
import { pgliteDriver } from '../support/database.ts';
import { ackOf, adt, bedStatus, startHl7Bridge, type Hl7TestBridge } from '../support/hl7.ts';

describe('HL7 v2 over HTTP and the message log', () => {
  let bridge: Hl7TestBridge;
  let server: Server;
  let http: supertest.Agent;
  const ER7 = 'x-application/hl7-v2+er7';
  before(async () => {
    bridge = await startHl7Bridge(pgliteDriver, { unknownLocations: 'reject', releasedBedStatus: 'H' });
    const app = createApp({
      db: bridge.db, logger: createLogger('silent'), metrics: createMetrics(), profiles: [], maxBodyBytes: 1024 * 1024,
      hl7: { pipeline: bridge.pipeline, maxMessageBytes: 64 * 1024 },
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    http = supertest.agent(server);
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await bridge.close();
  });

  it('answers POST /hl7/v2 with the ACK', async () => {
    const res = await http.post('/hl7/v2').set('Content-Type', ER7).send(adt({ finess: bridge.finess, controlId: 'H1', event: 'A01', mrn: 'H001', visit: 'HV1', ward: '01', bed: '001' }));
    assert.equal(res.status, 200);
    assert.match(res.get('content-type') ?? '', /^x-application\/hl7-v2\+er7/);
    assert.deepEqual([ackOf(res.text).code, ackOf(res.text).controlId], ['AA', 'H1']);
    assert.equal(await bedStatus(bridge.repo, `bed-${bridge.finess}-01-001`), 'O');
  });

  it('frees a bed to housekeeping when configured so (A03)', async () => {
    const res = await http.post('/hl7/v2').set('Content-Type', ER7).send(adt({ finess: bridge.finess, controlId: 'H2', event: 'A03', mrn: 'H001', visit: 'HV1', ward: '01', bed: '001' }));
    assert.equal(ackOf(res.text).code, 'AA');
    assert.equal(await bedStatus(bridge.repo, `bed-${bridge.finess}-01-001`), 'H');
  });

  it('refuses other media types and bodies over the limit', async () => {
    assert.equal((await http.post('/hl7/v2').set('Content-Type', 'application/json').send('{}')).status, 415);
    const big = 'MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X|P|2.5\r' + 'NTE|1||'.padEnd(70 * 1024, 'x') + '\r';
    assert.equal((await http.post('/hl7/v2').set('Content-Type', ER7).send(big)).status, 413);
  });

  it('refuses unknown beds with AE when configured so, lists the error, and replays it once fixed', async () => {
    const message = adt({ finess: bridge.finess, controlId: 'H3', event: 'A01', mrn: 'H002', visit: 'HV2', ward: '01', bed: '777' });
    const res = await http.post('/hl7/v2').set('Content-Type', ER7).send(message);
    const ack = ackOf(res.text);
    assert.equal(ack.code, 'AE');
    assert.match(ack.err ?? '', /^ERR\|\|PV1\^1\^3\^1\^3\|204\^Unknown key identifier\^HL70357\|E\|\|\|\|Bed \d+\/01\/777 is not known/);
    const id = res.get('X-Hl7-Message-Id');

    const listed = await http.get('/admin/hl7/messages?status=error');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.messages.map((m: any) => [m.id, m.controlId, m.messageType, m.status]), [[id, 'H3', 'ADT^A01', 'error']]);
    assert.equal(JSON.stringify(listed.body).includes('H002'), false, 'the list carries no patient data');
    assert.equal((await http.get(`/admin/hl7/messages/${id}/raw`)).text, message);
    assert.equal((await http.get('/admin/hl7/messages?status=nonsense')).status, 400);

    // The bed is set up, then the message is replayed.
    const ward = await bridge.repo.read('Location', `ward-${bridge.finess}-01`);
    await bridge.repo.update({
      resourceType: 'Location', id: `bed-${bridge.finess}-01-777`, status: 'active', name: 'Lit 777', mode: 'instance',
      physicalType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'bd' }] },
      operationalStatus: { system: 'http://terminology.hl7.org/CodeSystem/v2-0116', code: 'U' }, partOf: { reference: `Location/${ward.id}` },
    });
    const replay = await http.post(`/admin/hl7/messages/${id}/$replay`);
    assert.equal(replay.status, 200);
    assert.equal(replay.body.status, 'applied');
    assert.equal(ackOf(replay.body.ack).code, 'AA');
    assert.equal(await bedStatus(bridge.repo, `bed-${bridge.finess}-01-777`), 'O');
    assert.equal((await http.get(`/admin/hl7/messages/${id}`)).body.status, 'applied');
    const versions = (await bridge.repo.history({ resourceType: 'Location', id: `bed-${bridge.finess}-01-777`, count: 10 })).length;
    assert.equal((await http.post(`/admin/hl7/messages/${id}/$replay`)).body.status, 'applied', 'an applied message replayed again');
    assert.equal((await bridge.repo.history({ resourceType: 'Location', id: `bed-${bridge.finess}-01-777`, count: 10 })).length, versions, 'is not applied twice');
    assert.equal((await http.post('/admin/hl7/messages/999999/$replay')).status, 404);
  });

  it('refuses a message whose facility (PV1-3.4) is not a hospital known by its FINESS', async () => {
    const res = await http.post('/hl7/v2').set('Content-Type', ER7).send(adt({ finess: '330000009', controlId: 'H4', event: 'A01', mrn: 'H003', visit: 'HV3', ward: '01', bed: '001' }));
    assert.equal(ackOf(res.text).code, 'AE');
    assert.match(ackOf(res.text).err ?? '', /\|PV1\^1\^3\^1\^4\|204\^/);
  });
});
