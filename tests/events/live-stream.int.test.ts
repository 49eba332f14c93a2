/**
 * The `/events` live stream over a real WebSocket, on both drivers: changes arrive as they
 * commit, filtered by type and by Location subtree (a room's devices, what refers to them, a
 * device moved out), and by what the caller's access policy lets it see; bad filters are refused
 * before the upgrade.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import type { Device, Location, Observation, Resource } from '@medplum/fhirtypes';
import { loadR4Definitions, ProfileRegistry, Repository, type AccessPolicy, type Database } from '../../fhir/index.ts';
import { attachWebSockets, LiveFeed, LiveStream, LocationIndex, parseStreamFilter, type WebSocketEndpoints } from '../../events/index.ts';
import { testDrivers } from '../support/database.ts';
import { until } from '../support/until.ts';

interface StreamMessage {
  event: string;
  interaction?: string;
  resourceType?: string;
  id?: string;
  versionId?: string;
  resource?: Resource;
  reference?: string;
}

/** A connected client that keeps every message it got. */
async function connect(url: string): Promise<{ socket: WebSocket; messages: StreamMessage[] }> {
  const socket = new WebSocket(url);
  const messages: StreamMessage[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as StreamMessage));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  await until(() => messages.some((m) => m.event === 'open'), 'the open message');
  return { socket, messages };
}

/** The status of a refused upgrade. */
function refusal(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', () => undefined);
  });
}


const changes = (messages: StreamMessage[]): string[] =>
  messages.filter((m) => m.event === 'change').map((m) => `${m.interaction} ${m.resourceType}/${m.id}`);

describe('live stream filters', () => {
  it('reads types and a Location, and refuses what it does not know', () => {
    loadR4Definitions();
    const filter = parseStreamFilter(new URLSearchParams('type=Device,Observation&type=Encounter&location=Location/or-1'));
    assert.deepEqual([...filter.types], ['Device', 'Observation', 'Encounter']);
    assert.equal(filter.location, 'or-1');
    assert.equal(parseStreamFilter(new URLSearchParams('location=ward-2')).location, 'ward-2');
    assert.throws(() => parseStreamFilter(new URLSearchParams('type=Bed')), /unknown resource type "Bed"/);
    assert.throws(() => parseStreamFilter(new URLSearchParams('location=Device/1')), /Location\/<id>/);
    assert.throws(() => parseStreamFilter(new URLSearchParams('ward=1')), /unknown parameter "ward"/);
  });
});

for (const driver of testDrivers()) {
  describe(`live stream /events (${driver.name})`, () => {
    let db: Database;
    let repo: Repository;
    let feed: LiveFeed;
    let stream: LiveStream;
    let server: Server;
    let sockets: WebSocketEndpoints;
    let base: string;
    /** The policy the next connection gets (undefined: none, as in loopback mode). */
    let nextAccess: AccessPolicy | undefined;

    const location = async (id: string, partOf?: string): Promise<void> => {
      await repo.update({ resourceType: 'Location', id, status: 'active', ...(partOf ? { partOf: { reference: `Location/${partOf}` } } : {}) } as Location);
    };
    const device = (id: string, at: string): Device => ({ resourceType: 'Device', id, status: 'active', location: { reference: `Location/${at}` } });

    before(async () => {
      loadR4Definitions();
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry([]));
      // hospital > ward-a > or-1, hospital > ward-b; written before the stream starts, so the index loads them.
      await location('hospital');
      await location('ward-a', 'hospital');
      await location('or-1', 'ward-a');
      await location('ward-b', 'hospital');
      feed = new LiveFeed(db, { pollMs: 10 });
      const index = new LocationIndex();
      stream = new LiveStream(feed, index);
      await feed.start();
      await index.load(db);
      server = createServer((_req, res) => res.writeHead(426).end());
      sockets = attachWebSockets(server, [stream.endpoint()], { authenticate: async () => ({ ok: true, access: nextAccess }) });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    });
    after(async () => {
      sockets.close();
      stream.close();
      await feed.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    });

    it('sends each change as it commits, with the resource, and deletes as a reference', async () => {
      const client = await connect(base);
      await repo.update(device('pump-1', 'or-1'));
      await repo.update({ ...device('pump-1', 'or-1'), status: 'inactive' });
      await repo.delete('Device', 'pump-1');
      await until(() => changes(client.messages).length >= 3, 'three changes');
      assert.deepEqual(changes(client.messages), ['create Device/pump-1', 'update Device/pump-1', 'delete Device/pump-1']);
      const [, update, deletion] = client.messages.filter((m) => m.event === 'change');
      assert.equal((update?.resource as Device).status, 'inactive');
      assert.equal(update?.versionId, '2');
      assert.equal(deletion?.reference, 'Device/pump-1');
      assert.equal(deletion?.resource, undefined);
      client.socket.close();
    });

    it('filters by type', async () => {
      const client = await connect(`${base}?type=Observation`);
      await repo.update(device('monitor-1', 'or-1'));
      await repo.create({ resourceType: 'Observation', status: 'final', code: { text: 'heart rate' } } as Observation);
      await until(() => changes(client.messages).length >= 1, 'the Observation');
      await repo.create({ resourceType: 'Observation', status: 'final', code: { text: 'marker' } } as Observation);
      await until(() => changes(client.messages).length >= 2, 'the marker');
      assert.ok(changes(client.messages).every((c) => c.startsWith('create Observation/')), changes(client.messages).join());
      client.socket.close();
    });

    it('filters by Location subtree: devices in a room of the ward, what refers to them, a device that leaves', async () => {
      const ward = await connect(`${base}?location=Location/ward-a`);
      await repo.update(device('drill-1', 'or-1')); // in or-1, inside ward-a
      await repo.update(device('bed-pump', 'ward-b')); // elsewhere
      await repo.create({ resourceType: 'Observation', id: 'x', status: 'final', code: { text: 'pose' }, device: { reference: 'Device/drill-1' } } as Observation);
      await repo.create({ resourceType: 'Observation', status: 'final', code: { text: 'beds' }, subject: { reference: 'Location/ward-b' } } as Observation);
      await repo.update(device('drill-1', 'ward-b')); // moved out: the ward sees it leave
      await repo.update({ ...device('drill-1', 'ward-b'), status: 'inactive' }); // now elsewhere: not sent
      await location('or-2', 'ward-a'); // a new room in the ward
      await repo.update(device('drill-1', 'or-2')); // back into the ward, in the new room
      await until(() => changes(ward.messages).some((c) => c === 'create Location/or-2') && changes(ward.messages).filter((c) => c.includes('drill-1')).length >= 3, 'the moves');
      const seen = changes(ward.messages);
      assert.deepEqual(seen.filter((c) => c.includes('drill-1')), ['create Device/drill-1', 'update Device/drill-1', 'update Device/drill-1']);
      assert.equal(seen.filter((c) => c.startsWith('create Observation/')).length, 1, seen.join());
      assert.ok(!seen.some((c) => c.includes('bed-pump')), seen.join());
      ward.socket.close();
    });

    it('sends only what the access policy lets the caller see', async () => {
      nextAccess = {
        allows: () => true,
        mayReturn: (resource) => resource.resourceType !== 'Patient',
        restriction: () => undefined,
        mayWrite: () => true,
      };
      const client = await connect(base);
      nextAccess = undefined;
      await repo.create({ resourceType: 'Patient', name: [{ family: 'Martin' }] });
      await repo.update(device('light-1', 'or-1'));
      await until(() => changes(client.messages).includes('create Device/light-1'), 'the device');
      assert.ok(!changes(client.messages).some((c) => c.includes('Patient')));
      client.socket.close();
    });

    it('refuses bad filters and unknown paths before the upgrade', async () => {
      assert.equal(await refusal(`${base}?type=Nope`), 400);
      assert.equal(await refusal(base.replace('/events', '/elsewhere')), 404);
    });
  });
}
