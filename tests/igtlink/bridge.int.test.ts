// The OpenIGTLink bridge on a real database, over real sockets: a device in a configured room
// becomes OR equipment of that room (once), its STATUS updates it and is recorded with both
// clocks, its poses reach the live stream at full rate and the record down-sampled, and a device
// in no configured room is recorded nowhere.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Device, Observation, Resource } from '@medplum/fhirtypes';
import { loadR4Definitions, parseSearch, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import dcmjs from 'dcmjs';
import { derivedUid, deviceId, encodeMessage, UnstorableImageError, type ImageContent, IgtlBridge, quaternionOf, RoomMap, startIgtlServer, timestampFromMillis, type IgtlContent, type IgtlServer } from '../../igtlink/index.ts';
import { bedAvailabilityRule, hospitalResources, loadProfiles, PROFILE } from '../../profiles/index.ts';
import { testDrivers } from '../support/database.ts';
import { testHospital } from '../support/hl7.ts';

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);

for (const driver of testDrivers()) describe(`OpenIGTLink bridge (${driver.name})`, () => {
  let db: Database;
  let repo: Repository;
  let server: IgtlServer;
  let room: string;
  const live: { event: string; resource: Resource; location: string | undefined; extra?: Record<string, unknown> }[] = [];
  const offsets: number[] = [];
  const unplaced: string[] = [];

  const stored: Buffer[] = [];
  const errors: unknown[] = [];
  const send = async (messages: { content: IgtlContent; deviceName: string; at: number; metadata?: [string, string][] }[]): Promise<void> => {
    const socket = net.connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.end(Buffer.concat(messages.map((m) => encodeMessage({
      version: m.metadata ? 3 : 2, deviceName: m.deviceName, timestamp: timestampFromMillis(m.at), content: m.content, ...(m.metadata ? { metadata: m.metadata } : {}),
    }))));
    await once(socket, 'close');
  };
  const search = async (type: string, query: Record<string, string>): Promise<Resource[]> => (await repo.search(parseSearch(type, new URLSearchParams(query)))).resources;
  const eventually = async (check: () => Promise<boolean> | boolean): Promise<void> => {
    for (let i = 0; i < 300; i++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail('not within 3 s');
  };

  before(async () => {
    loadR4Definitions();
    db = await driver.open();
    repo = new Repository(db, new ProfileRegistry(loadProfiles()), { hooks: [bedAvailabilityRule] });
    const hospital = testHospital();
    await repo.transaction(async (tx) => {
      for (const resource of hospitalResources(hospital)) await tx.update(resource);
    });
    room = hospital.operatingRooms[0]?.id as string;
    const bridge = new IgtlBridge({
      repository: repo,
      rooms: new RoomMap(`name:NAV=${room}`),
      live: { broadcast: (event, resource, location, extra) => void live.push({ event, resource, location, ...(extra ? { extra } : {}) }) },
      // The DICOMweb store is the end-to-end test's (navigation.int.test.ts); here, what reaches it.
      images: { store: async (instances) => void stored.push(...instances), intervalMs: 1000 },
      onClockOffset: (_device, seconds) => void offsets.push(seconds),
      onUnplaced: (device) => void unplaced.push(device),
      onError: (err) => void errors.push(err),
    });
    server = await startIgtlServer({ host: '127.0.0.1', port: 0, sink: bridge });
  });
  after(async () => {
    await server.close();
    await db.close();
    assert.deepEqual(errors.map(String), [], 'no message failed to be recorded');
  });

  it('records a STATUS on the device, created once as equipment of its room, with both clocks', async () => {
    await send([
      { deviceName: 'NAV-Tracker', at: T0, content: { type: 'STATUS', code: 1, subcode: 0n, errorName: '', message: 'ready' } },
      { deviceName: 'NAV-Tracker', at: T0 + 10, content: { type: 'STATUS', code: 13, subcode: 4n, errorName: 'WARMUP', message: 'camera warming up' } },
    ]);
    const id = deviceId(room, 'NAV-Tracker');
    await eventually(async () => (await search('Observation', { device: `Device/${id}`, code: 'device-status' })).length === 2);
    const device = (await repo.read('Device', id)) as Device;
    assert.deepEqual(device.meta?.profile, [PROFILE.operatingRoomDevice]);
    assert.equal(device.location?.reference, `Location/${room}`);
    assert.equal(device.type?.coding?.[0]?.code, 'surgical-navigation-system');
    assert.equal(device.status, 'active');
    assert.equal(device.statusReason?.[0]?.coding?.[0]?.code, 'not-ready', 'the last STATUS');
    const statuses = (await search('Observation', { device: `Device/${id}`, code: 'device-status', _sort: 'date' })) as Observation[];
    assert.equal(statuses[1]?.valueCodeableConcept?.coding?.[0]?.code, '13');
    assert.equal(statuses[1]?.valueCodeableConcept?.text, 'WARMUP: camera warming up');
    assert.equal(statuses[1]?.effectiveInstant, new Date(T0 + 10).toISOString(), 'the device clock');
    assert.ok(Date.parse(statuses[1]?.issued as string) > T0, 'and the receive time');
    assert.ok(offsets.length >= 2 && (offsets[0] as number) < 0, 'the clock offset is reported (this device lives in the past)');
    assert.equal((await search('Device', { location: `Location/${room}`, identifier: `https://passerelle.health/fhir/sid/igtl-device|${room}/NAV-Tracker` })).length, 1, 'one Device');
    assert.ok(live.some((e) => e.event === 'status' && e.location === room));
  });

  it('streams every pose and persists one a second per tool', async () => {
    live.length = 0;
    const rotation = [0, 1, 0, -1, 0, 0, 0, 0, 1] as const; // 90 degrees about z
    const messages = Array.from({ length: 30 }, (_, i) => ({
      deviceName: 'NAV-Tracker',
      at: T0 + 60_000 + i * 100, // 10 Hz for 3 s: 3 persisted per tool
      content: {
        type: 'TDATA',
        elements: [
          { name: 'Stylus', instrumentType: 2, matrix: [...rotation, i, 2 * i, 100] },
          { name: 'Reference', instrumentType: 1, matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0] },
        ],
      } as IgtlContent,
    }));
    await send(messages);
    await eventually(() => live.filter((e) => e.event === 'pose').length === 60);
    await eventually(async () => (await search('Observation', { device: `Device/${deviceId(room, 'NAV-Tracker')}`, code: 'tool-pose', _count: '100' })).length === 6);
    const stylus = (await search('Observation', { code: 'tool-pose', _count: '100', _sort: 'date' }) as Observation[])
      .filter((o) => o.component?.some((c) => c.valueString === 'Stylus'));
    assert.equal(stylus.length, 3);
    assert.deepEqual(stylus.map((o) => o.effectiveInstant), [0, 10, 20].map((i) => new Date(T0 + 60_000 + i * 100).toISOString()));
    const value = (o: Observation | undefined, code: string): number | undefined => o?.component?.find((c) => c.code.coding?.[0]?.code === code)?.valueQuantity?.value;
    assert.equal(value(stylus[1], 'position-x'), 10);
    assert.equal(value(stylus[1], 'position-y'), 20);
    const [qx, qy, qz, qw] = quaternionOf([...rotation, 0, 0, 0]);
    assert.deepEqual([qx, qy].map((q) => Math.abs(q) < 1e-9), [true, true]);
    assert.ok(Math.abs((qz as number) - Math.SQRT1_2) < 1e-6 && Math.abs((qw as number) - Math.SQRT1_2) < 1e-6);
    assert.ok(Math.abs((value(stylus[0], 'orientation-z') as number) - 0.7071) < 1e-4);
    assert.equal(stylus[0]?.meta?.profile?.[0], PROFILE.toolTracking);
    const livePose = live.find((e) => e.event === 'pose');
    assert.equal(livePose?.location, room);
    assert.equal(livePose?.extra?.tool, 'Stylus');
  });

  it("keeps one image a second per device as DICOM of the room's day, ultrasound when the metadata says so", async () => {
    live.length = 0;
    const frame = (at: number, deviceName: string, metadata?: [string, string][]) => ({
      deviceName, at, ...(metadata ? { metadata } : {}),
      content: {
        type: 'IMAGE', components: 1, scalarType: 3, endian: 'big', coordinate: 'RAS', size: [8, 4, 1],
        matrix: [0.2, 0, 0, 0, 0.2, 0, 0, 0, 1, 0, 0, 0], subvolumeOffset: [0, 0, 0], subvolumeSize: [8, 4, 1], pixels: Buffer.alloc(32, at % 251),
      } as IgtlContent,
    });
    const t = T0 + 120_000;
    await send([
      frame(t, 'NAV-Video', [['Modality', 'US']]), frame(t + 66, 'NAV-Video', [['Modality', 'US']]), frame(t + 1000, 'NAV-Video', [['Modality', 'US']]),
      frame(t + 10, 'NAV-Camera'),
      // Two components: no DICOM photometric interpretation; reported, and the others still stored.
      { ...frame(t + 20, 'NAV-Depth'), content: { ...(frame(t, 'NAV-Depth').content as ImageContent), components: 2, pixels: Buffer.alloc(64) } },
    ]);
    await eventually(() => live.filter((e) => e.event === 'image').length === 3 && errors.length === 1);
    assert.ok(errors.shift() instanceof UnstorableImageError);
    assert.equal(live.filter((e) => e.event === 'frame').length, 5, 'every frame is announced');
    const datasets = stored.map((bytes) => dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer).dict);
    const first = (dict: (typeof datasets)[number], tag: string): unknown => (dict[tag]?.Value as unknown[] | undefined)?.[0];
    assert.deepEqual(datasets.map((d) => first(d, '00080016')).sort(), ['1.2.840.10008.5.1.4.1.1.6.1', '1.2.840.10008.5.1.4.1.1.6.1', '1.2.840.10008.5.1.4.1.1.7']);
    assert.equal(new Set(datasets.map((d) => first(d, '0020000D'))).size, 1, "one study: the room's day, no encounter being in progress");
    assert.equal(first(datasets[0] as (typeof datasets)[number], '0020000D'), derivedUid(`igtl/${room}/2026-12-03`));
    assert.equal(new Set(datasets.map((d) => first(d, '0020000E'))).size, 2, 'a series per device');
    const video = datasets.filter((d) => first(d, '00080016') === '1.2.840.10008.5.1.4.1.1.6.1');
    assert.deepEqual(video.map((d) => first(d, '00080023')), ['20261203', '20261203']);
    assert.deepEqual(video.map((d) => first(d, '00080033')), ['090200', '090201'].map((time) => `${time}.000`), 'the device clock');
  });

  it('records nothing of a device in no configured room', async () => {
    await send([{ deviceName: 'OTHER-Robot', at: T0, content: { type: 'STATUS', code: 1, subcode: 0n, errorName: '', message: '' } }]);
    await eventually(() => unplaced.includes('OTHER-Robot'));
    assert.equal((await search('Device', { identifier: `https://passerelle.health/fhir/sid/igtl-device|${room}/OTHER-Robot` })).length, 0);
  });
});
