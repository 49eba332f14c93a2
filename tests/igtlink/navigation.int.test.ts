// A navigation system built on OpenIGTLink's reference library (igtl-navigation.cxx) against the
// real `passerelle serve` on the seeded demo region: it appears as equipment of its operating
// room, its STATUS and its tool's pose are recorded with its clock, its STRING and poses reach
// the /events stream, and its IMAGE is a DICOM instance of the patient's procedure in that
// room, found by QIDO, fetched by WADO with its pixels intact, and reflected in the ImagingStudy.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Bundle, Device, Encounter, ImagingStudy, Observation, Patient } from '@medplum/fhirtypes';
import dcmjs from 'dcmjs';
import WebSocket from 'ws';
import { derivedUid } from '../../igtlink/index.ts';
import { demoRegion } from '../../profiles/index.ts';
import { runNavigationSystem } from '../support/igtl-navigation.ts';
import { seedDemo, startServe, stopServe, type ServeProcess } from '../support/serve-process.ts';

const SECONDS = 1_796_288_400; // 2026-12-03T09:00:00Z, the device clock of every message
const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-igtl-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a navigation system on the reference OpenIGTLink library, into passerelle serve', () => {
  const room = demoRegion({ hospitals: 1 }).hospitals[0]?.operatingRooms[0]?.id as string;
  let server: ServeProcess;
  let patient: Patient;
  let encounter: Encounter;
  const events: { event: string; text?: string; tool?: string; rows?: number; sopInstanceUid?: string; location?: string; device?: string; deviceName?: string }[] = [];
  let socket: WebSocket;

  const fhir = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${server.base}/fhir/${path}`, { ...init, headers: { 'content-type': 'application/fhir+json', ...init?.headers } });
    assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const search = async <T>(path: string): Promise<T[]> => ((await fhir<Bundle>(path)).entry ?? []).map((entry) => entry.resource as T);
  /** Poses and images are recorded off the live path: a moment after the messages were answered. */
  const searchUntilFound = async <T>(path: string): Promise<T[]> => {
    for (let i = 0; i < 100; i++) {
      const found = await search<T>(path);
      if (found.length > 0) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return assert.fail(`nothing found by ${path} within 2 s`);
  };

  before(async () => {
    seedDemo(dataDir);
    server = await startServe({ DATA_DIR: dataDir, IGTL_ROOM_MAP: `name:NAV=${room}`, IGTL_IMAGE_INTERVAL_MS: '0' });
    patient = await fhir<Patient>('Patient', { method: 'POST', body: JSON.stringify({
      resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: '2840512345678' }], name: [{ family: 'Lefèvre', given: ['Zoé'] }], gender: 'female', birthDate: '1984-05-12',
    }) });
    encounter = await fhir<Encounter>('Encounter', { method: 'POST', body: JSON.stringify({
      resourceType: 'Encounter', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: { reference: `Patient/${patient.id}` }, location: [{ location: { reference: `Location/${room}` }, status: 'active' }],
    }) });
    socket = new WebSocket(`${server.base.replace('http', 'ws')}/events?location=Location/${room}`);
    socket.on('message', (data) => void events.push(JSON.parse(String(data)) as (typeof events)[number]));
    while (!events.some((e) => e.event === 'open')) await new Promise((resolve) => setTimeout(resolve, 10));

    // The library's client hears Passerelle's STATUS answer to GET_STATUS: OK.
    assert.equal(await runNavigationSystem('127.0.0.1', server.igtlPort, SECONDS), 'STATUS 1');
  });
  after(async () => {
    socket?.close();
    if (server) assert.equal(await stopServe(server), 0);
  });

  it('makes each device equipment of the room, the tracker active and online', async () => {
    const devices = await search<Device>(`Device?location=Location/${room}`);
    // The demo's own equipment of the room is there too.
    const names = devices.map((d) => d.deviceName?.[0]?.name).filter((name) => name?.startsWith('NAV-')).sort();
    assert.deepEqual(names, ['NAV-Console', 'NAV-Stylus', 'NAV-Tracker', 'NAV-Video']);
    const tracker = devices.find((d) => d.deviceName?.[0]?.name === 'NAV-Tracker') as Device;
    assert.equal(tracker.status, 'active');
    assert.equal(tracker.statusReason?.[0]?.coding?.[0]?.code, 'online');
    const [status] = await search<Observation>(`Observation?device=Device/${tracker.id}`);
    assert.equal(status?.valueCodeableConcept?.coding?.[0]?.code, '1');
    assert.equal(status?.valueCodeableConcept?.text, 'Tracking');
    assert.equal(status?.effectiveInstant, new Date(SECONDS * 1000).toISOString());
  });

  it("records the stylus's pose with the device's clock: position in mm, a quarter turn about z", async () => {
    const [stylus] = await search<Device>(`Device?location=Location/${room}&device-name=NAV-Stylus`);
    const [pose] = await searchUntilFound<Observation>(`Observation?device=Device/${stylus?.id}`);
    const value = (code: string): number | string | undefined => {
      const component = pose?.component?.find((c) => c.code.coding?.[0]?.code === code);
      return component?.valueQuantity?.value ?? component?.valueString;
    };
    assert.deepEqual(['position-x', 'position-y', 'position-z'].map(value), [10.5, 20, 30]);
    assert.deepEqual(['orientation-x', 'orientation-y', 'orientation-z', 'orientation-w'].map(value), [0, 0, 0.7071, 0.7071]);
    assert.equal(value('tool'), 'NAV-Stylus');
    assert.equal(pose?.effectiveInstant, new Date(SECONDS * 1000).toISOString());
  });

  it('streams the pose, the text and the image live, located in the room', async () => {
    for (let i = 0; i < 200 && !events.some((e) => e.event === 'image'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(events.some((e) => e.event === 'pose' && e.tool === 'NAV-Stylus' && e.location === room));
    assert.ok(events.some((e) => e.event === 'text' && e.text === 'Registration accepted'));
    assert.ok(events.some((e) => e.event === 'frame' && e.rows === 48));
    assert.ok(events.some((e) => e.event === 'image' && e.sopInstanceUid && typeof e.deviceName === 'string' && e.device?.startsWith('Device/')), 'with the device by reference and by name');
  });

  it("stores the image in the patient's procedure study: QIDO finds it, WADO returns its pixels, the ImagingStudy has it", async () => {
    await searchUntilFound(`ImagingStudy?patient=Patient/${patient.id}`);
    const studies = (await (await fetch(`${server.base}/dicomweb/studies?PatientID=2840512345678`, { headers: { accept: 'application/dicom+json' } })).json()) as Record<string, { Value?: unknown[] }>[];
    assert.equal(studies.length, 1);
    const studyUid = studies[0]?.['0020000D']?.Value?.[0] as string;
    const instances = (await (await fetch(`${server.base}/dicomweb/studies/${studyUid}/instances`, { headers: { accept: 'application/dicom+json' } })).json()) as Record<string, { Value?: unknown[] }>[];
    assert.equal(instances.length, 1);
    const seriesUid = instances[0]?.['0020000E']?.Value?.[0] as string;
    const sopUid = instances[0]?.['00080018']?.Value?.[0] as string;
    assert.equal(instances[0]?.['00080016']?.Value?.[0], '1.2.840.10008.5.1.4.1.1.7', 'Secondary Capture');

    const response = await fetch(`${server.base}/dicomweb/studies/${studyUid}/series/${seriesUid}/instances/${sopUid}`, { headers: { accept: 'multipart/related; type="application/dicom"' } });
    assert.equal(response.status, 200);
    const body = Buffer.from(await response.arrayBuffer());
    // The one part of the multipart answer: from the preamble to the closing delimiter.
    const start = body.indexOf('DICM') - 128;
    const end = body.lastIndexOf('\r\n--');
    const { dict } = dcmjs.data.DicomMessage.readFile(body.buffer.slice(body.byteOffset + start, body.byteOffset + end) as ArrayBuffer);
    const first = (tag: string): unknown => (dict[tag]?.Value as unknown[] | undefined)?.[0];
    assert.equal(first('00280010'), 48);
    assert.equal(first('00280011'), 64);
    assert.equal(first('00100010') && (first('00100010') as { Alphabetic?: string }).Alphabetic, 'Lefèvre^Zoé');
    assert.deepEqual(dict['00280030']?.Value, [0.5, 0.5]);
    const pixels = new Uint8Array(first('7FE00010') as ArrayBuffer);
    assert.equal(pixels.length, 64 * 48);
    for (const [x, y] of [[0, 0], [63, 0], [10, 47], [63, 47]] as const) assert.equal(pixels[y * 64 + x], ((x + y) * 2) & 0xff);

    const study = await fhir<ImagingStudy>(`ImagingStudy/${studyUid}`);
    assert.equal(study.subject.reference, `Patient/${patient.id}`);
    assert.equal(study.series?.[0]?.instance?.[0]?.uid, sopUid);
    assert.equal(studyUid, derivedUid(`igtl/Encounter/${encounter.id}`), "the study is the encounter's");
    assert.equal(study.description, `Operating room ${room}`);
  });

  it('keeps patient data out of the logs', () => {
    assert.ok(!server.logs.some((line) => line.includes('2840512345678') || line.includes('Lefèvre') || line.includes('Registration accepted')));
  });
});
