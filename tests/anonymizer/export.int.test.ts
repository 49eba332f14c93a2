// FHIR Bulk Data export end to end over HTTP, on the real app with its DICOMweb and openEHR
// stores: kick-off refusals, a de-identified Group export whose patients stay linkable across
// FHIR, images and openEHR (and get the same pseudonyms when run again), an identified export
// with _type/_typeFilter/_since, and cancellation.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import dcmjs, { type DcmjsDataset } from 'dcmjs';
import type { ImagingStudy, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { loadR4Definitions, ProfileRegistry } from '../../fhir/index.ts';
import { patientIdentity, Pseudonymizer } from '../../anonymizer/index.ts';
import { createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { createExport, type ExportWiring } from '../../server/export.ts';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics.ts';
import type { Database } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';
import { multipartBody } from '../support/dicomweb.ts';

const SECRET = 'bulk-export-test-secret-0123456789-abcdef';
const pseudonymizer = new Pseudonymizer(SECRET);
const NIR = 'urn:oid:1.2.250.1.213.1.4.8';
const PACS = 'urn:oid:1.2.250.1.71.4.2.7';
const MR = ['MR_ImplVRLE_study1026_MR01.dcm', 'MR_ImplVRLE_study1026_MR02.dcm'];
const FHIR = { 'content-type': 'application/fhir+json' };
const ASYNC = { prefer: 'respond-async', accept: 'application/fhir+json' };

const readDicom = (bytes: Buffer): DcmjsDataset => dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer).dict;

for (const driver of testDrivers()) describe(`FHIR Bulk Data export (${driver.name})`, () => {
  let db: Database;
  let dataDir: string;
  let server: Server;
  let bulk: ExportWiring;
  let base: string;
  const ids: Record<string, string> = {};

  const post = async (path: string, body: unknown, headers: Record<string, string> = FHIR): Promise<Response> =>
    fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const create = async (resource: Resource): Promise<string> => {
    const res = await post(`/fhir/${resource.resourceType}`, resource);
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as Resource).id as string;
  };
  const kickOff = (path: string, headers: Record<string, string> = ASYNC): Promise<Response> => fetch(`${base}/fhir/${path}`, { headers });
  /** Polls the status URL until the export ends; returns the manifest. */
  const completed = async (res: Response): Promise<{ manifest: Record<string, any>; status: string }> => {
    assert.equal(res.status, 202, await res.clone().text());
    const status = res.headers.get('content-location') as string;
    for (let i = 0; i < 300; i++) {
      const poll = await fetch(status);
      if (poll.status === 202) {
        assert.ok(poll.headers.get('x-progress'));
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      assert.equal(poll.status, 200, await poll.clone().text());
      return { manifest: (await poll.json()) as Record<string, any>, status };
    }
    throw new Error('the export did not complete');
  };
  const ndjson = async (manifest: Record<string, any>, type: string): Promise<Resource[]> => {
    const entry = (manifest.output as { type: string; url: string }[]).find((o) => o.type === type);
    if (!entry) return [];
    const res = await fetch(entry.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+ndjson/);
    return (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Resource);
  };

  before(async () => {
    loadR4Definitions();
    db = await driver.open();
    dataDir = mkdtempSync(join(tmpdir(), 'passerelle-export-'));
    const config = loadConfig({ DATA_DIR: dataDir, ANON_SECRET: SECRET });
    const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
    bulk = createExport({ db, config, logger, profiles: new ProfileRegistry([]), authConfigured: false });
    const app = createApp({
      db, logger, metrics: createMetrics(), profiles: [], maxBodyBytes: 1024 * 1024,
      dicomweb: { dicomDir: join(dataDir, 'dicom'), maxRequestBytes: 64 << 20 }, openehr: { systemId: 'test' }, exportRouter: bulk.router,
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    bulk.runner.start();

    ids.dupont = await create({ resourceType: 'Patient', identifier: [{ system: NIR, value: '1840512345678' }], name: [{ family: 'Dupont', given: ['Jeanne'] }], birthDate: '1961-03-12', telecom: [{ system: 'phone', value: '0556123456' }], address: [{ line: ['12 rue Sainte-Catherine'], city: 'Bordeaux', postalCode: '33000' }] } as Patient);
    ids.imaged = await create({ resourceType: 'Patient', identifier: [{ system: PACS, value: '583295' }], name: [{ family: 'Martin' }], birthDate: '1970-01-01' } as Patient);
    ids.outside = await create({ resourceType: 'Patient', identifier: [{ system: NIR, value: '2990133123456' }], name: [{ family: 'Lefebvre' }] } as Patient);
    for (const [who, status] of [['dupont', 'final'], ['imaged', 'final'], ['outside', 'preliminary']] as const) {
      await create({ resourceType: 'Observation', status, code: { text: 'heart rate' }, subject: { reference: `Patient/${ids[who]}` }, effectiveDateTime: '2026-03-04T10:00:00Z', valueQuantity: { value: 72, unit: '/min' } } as Observation);
    }
    ids.group = await create({ resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${ids.dupont}` } }, { entity: { reference: `Patient/${ids.imaged}` } }] });
    // The MR study: PatientID 583295 without issuer, linked by the DICOMweb sync to the imaged Patient.
    const stow = multipartBody(MR.map((name) => ({ body: readFileSync(`/work/shared/fixtures/dicom/${name}`) })));
    assert.equal((await fetch(`${base}/dicomweb/studies`, { method: 'POST', headers: { 'content-type': stow.contentType }, body: stow.body })).status, 200);
    // Dupont's EHR, its subject her NIR (namespace = the identifier's system), with one composition.
    const status = { _type: 'EHR_STATUS', archetype_node_id: 'openEHR-EHR-EHR_STATUS.generic.v1', name: { value: 'EHR Status' }, subject: { _type: 'PARTY_SELF', external_ref: { _type: 'PARTY_REF', id: { _type: 'GENERIC_ID', value: '1840512345678', scheme: 'NIR' }, namespace: NIR, type: 'PERSON' } }, is_queryable: true, is_modifiable: true };
    const ehr = await post('/openehr/v1/ehr', status, { 'content-type': 'application/json' });
    assert.equal(ehr.status, 201);
    const composition = JSON.parse(readFileSync('/work/shared/fixtures/openehr/composition_ehrb_adbm_op_consult_record.json', 'utf8'));
    assert.equal((await post(`/openehr/v1/ehr/${new URL(ehr.headers.get('location') as string).pathname.split('/').pop()}/composition`, composition, { 'content-type': 'application/json' })).status, 201);
  });
  after(async () => {
    await bulk.runner.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a kick-off it cannot honour, in OperationOutcomes', async () => {
    const cases: [string, Record<string, string>, number][] = [
      ['Patient/$export', { accept: 'application/fhir+json' }, 400],
      ['$export?_type=Unicorn', ASYNC, 400],
      ['$export?_outputFormat=text/csv', ASYNC, 400],
      ['$export?_since=yesterday', ASYNC, 400],
      ['$export?_typeFilter=Observation%3Fno-such-parameter%3D1', ASYNC, 400],
      ['$export?_type=Patient&_typeFilter=Observation%3Fstatus%3Dfinal', ASYNC, 400],
      ['$export?_elements=id', { ...ASYNC, prefer: 'respond-async, handling=strict' }, 400],
      ['Group/no-such-group/$export', ASYNC, 404],
    ];
    for (const [path, headers, status] of cases) {
      const res = await kickOff(path, headers);
      assert.equal(res.status, status, `${path}: ${await res.clone().text()}`);
      assert.equal(((await res.json()) as Resource).resourceType, 'OperationOutcome');
    }
    assert.equal((await fetch(`${base}/fhir/$export`, { method: 'POST', headers: ASYNC })).status, 405);
  });

  it('exports a Group de-identified: no identity survives, and FHIR, images and openEHR meet on one pseudonym', async () => {
    const { manifest } = await completed(await kickOff(`Group/${ids.group}/$export?deidentify=true`));
    assert.equal(manifest.extension['https://passerelle.health/fhir/bulk/deidentified'].deidentified, true);
    assert.equal(manifest.requiresAccessToken, false);
    const patients = (await ndjson(manifest, 'Patient')) as Patient[];
    const observations = (await ndjson(manifest, 'Observation')) as Observation[];
    const studies = (await ndjson(manifest, 'ImagingStudy')) as ImagingStudy[];
    assert.equal(patients.length, 2, 'the two members, not the third patient');
    assert.equal(observations.length, 2);
    assert.equal(studies.length, 1);
    const text = JSON.stringify([patients, observations, studies]);
    for (const secret of ['Dupont', 'Martin', 'Lefebvre', '1840512345678', '583295', '0556123456', 'Sainte-Catherine', 'Bordeaux', '1961-03-12', ids.dupont, ids.imaged]) {
      assert.ok(!text.includes(secret as string), 'an identifying value survives');
    }
    const dupont = pseudonymizer.pseudonym(patientIdentity(NIR, '1840512345678'));
    const imaged = pseudonymizer.pseudonym(patientIdentity(PACS, '583295'));
    assert.deepEqual(patients.map((p) => p.id).sort(), [dupont, imaged].sort());
    assert.deepEqual(observations.map((o) => o.subject?.reference).sort(), [`Patient/${dupont}`, `Patient/${imaged}`].sort());
    assert.equal(studies[0]?.subject?.reference, `Patient/${imaged}`);

    const extras = manifest.extension['https://passerelle.health/fhir/bulk/extra-output'] as { type: string; url: string; studyInstanceUID?: string }[];
    const images = extras.filter((extra) => extra.type === 'DICOM');
    assert.equal(images.length, MR.length);
    const studyUid = studies[0]?.identifier?.find((i) => i.system === 'urn:dicom:uid')?.value?.replace('urn:oid:', '');
    for (const image of images) {
      const res = await fetch(image.url);
      assert.equal(res.headers.get('content-type'), 'application/dicom');
      const dict = readDicom(Buffer.from(await res.arrayBuffer()));
      assert.deepEqual(dict['00100020']?.Value, [imaged], 'the image names the patient by the same pseudonym as FHIR');
      assert.deepEqual(dict['0020000D']?.Value, [studyUid], 'and the study by the UID the ImagingStudy gives');
      assert.equal(image.studyInstanceUID, studyUid);
    }
    const compositions = extras.filter((extra) => extra.type === 'openEHR COMPOSITION');
    assert.equal(compositions.length, 1);
    const lines = (await (await fetch(compositions[0]?.url as string)).text()).trim().split('\n');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes('Max Mustermann') && !lines[0]?.includes('XYZ Clinic'));
    assert.ok(lines[0]?.includes(`"value":"${dupont}"`), 'the composition\'s subject is the pseudonym of the FHIR Patient');

    const again = await completed(await kickOff(`Group/${ids.group}/$export?deidentify=true`));
    assert.deepEqual(await ndjson(again.manifest, 'Patient'), patients, 'the same export twice gives the same pseudonyms');
    assert.deepEqual(await ndjson(again.manifest, 'Observation'), observations);
  });

  it('exports identified data with _type, _typeFilter and _since, and says it is identified', async () => {
    const { manifest } = await completed(await kickOff('Patient/$export?_type=Patient,Observation&_typeFilter=Observation%3Fstatus%3Dfinal'));
    assert.equal(manifest.extension['https://passerelle.health/fhir/bulk/deidentified'].deidentified, false);
    assert.equal(manifest.extension['https://passerelle.health/fhir/bulk/extra-output'], undefined);
    assert.deepEqual(manifest.output.map((o: { type: string }) => o.type), ['Patient', 'Observation']);
    assert.equal((await ndjson(manifest, 'Patient')).length, 3);
    const observations = (await ndjson(manifest, 'Observation')) as Observation[];
    assert.deepEqual(observations.map((o) => o.status), ['final', 'final']);
    assert.ok(JSON.stringify(await ndjson(manifest, 'Patient')).includes('Dupont'));
    const later = await completed(await kickOff(`$export?_since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`));
    assert.deepEqual(later.manifest.output, []);
  });

  it('cancels a job with DELETE: 202, then the job and its files are gone', async () => {
    const res = await kickOff('$export?deidentify=true');
    assert.equal(res.status, 202);
    const status = res.headers.get('content-location') as string;
    const cancelled = await fetch(status, { method: 'DELETE' });
    assert.equal(cancelled.status, 202);
    assert.equal((await fetch(status)).status, 404);
    const { manifest, status: done } = await completed(await kickOff('$export?_type=Patient'));
    const file = (manifest.output as { url: string }[])[0]?.url as string;
    assert.equal((await fetch(file)).status, 200);
    assert.equal((await fetch(done, { method: 'DELETE' })).status, 202, 'a completed job is deleted too');
    assert.equal((await fetch(file)).status, 404);
  });
});
