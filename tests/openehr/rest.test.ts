/**
 * The openEHR REST API (EHR and COMPOSITION) over HTTP with the fixture files from EHRbase's SDK:
 * round trips, uid assignment, the ITS's Prefer/Location/ETag rules, and each refusal.
 * Then the store functions the export will use.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import supertest from 'supertest';
import type { Database } from '../../fhir/index.ts';
import { ehrOfSubject, listCompositionsOfSubjects, openehrRouter } from '../../openehr/index.ts';
import { testDrivers } from '../support/database.ts';

const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/openehr');
const fixture = (name: string): any => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
const COMPOSITIONS = ['composition_ehrb_adbm_op_consult_record', 'composition_interval_partial_date', 'composition_participation_no_content'];
const SYSTEM_ID = 'passerelle.test';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const REPRESENTATION = 'return=representation';
// The fixture's subject; and one named the FHIR way (namespace = the Patient identifier's system).
const FIXTURE_SUBJECT = { namespace: 'patients', id: 'abc12345-none-exis-ting-fa8308e1242f' };
const FHIR_SUBJECT = { namespace: 'urn:oid:1.2.250.1.213.1.4.8', id: '1850175123456' };

function statusFor(subject: { namespace: string; id: string }): any {
  const status = fixture('ehr_status_other_details_simple');
  status.subject.external_ref.namespace = subject.namespace;
  status.subject.external_ref.id.value = subject.id;
  return status;
}

function appOn(db: Database, onUnexpectedError: (err: unknown) => void = (err) => assert.fail(String(err))): express.Express {
  const app = express();
  app.use('/openehr/v1', openehrRouter({ db, systemId: SYSTEM_ID, onUnexpectedError }));
  return app;
}

for (const driver of testDrivers()) describe(`openEHR REST API (${driver.name})`, () => {
  let db: Database;
  let http: ReturnType<typeof supertest>;
  let ehrId: string;
  before(async () => {
    db = await driver.open();
    http = supertest(appOn(db));
  });
  after(async () => {
    await db.close();
  });

  it('creates an EHR from an EHR_STATUS and answers the representation when asked', async () => {
    const res = await http.post('/openehr/v1/ehr').set('Prefer', REPRESENTATION).send(fixture('ehr_status_other_details_simple'));
    assert.equal(res.status, 201, res.text);
    ehrId = res.body.ehr_id.value;
    assert.match(ehrId, new RegExp(`^${UUID}$`));
    assert.match(res.get('location') ?? '', new RegExp(`^http://127\\.0\\.0\\.1:\\d+/openehr/v1/ehr/${ehrId}$`));
    assert.equal(res.get('etag'), `"${ehrId}"`);
    assert.deepEqual(res.body.system_id, { value: SYSTEM_ID });
    assert.equal(res.body.ehr_status.type, 'EHR_STATUS');
    assert.match(res.body.ehr_status.id.value, new RegExp(`^${UUID}::${SYSTEM_ID}::1$`));
    assert.ok(!Number.isNaN(Date.parse(res.body.time_created.value)));
  });

  it('reads the EHR back by id and by subject, and its EHR_STATUS as sent with a uid', async () => {
    const byId = await http.get(`/openehr/v1/ehr/${ehrId}`);
    assert.equal(byId.status, 200);
    assert.equal(byId.get('etag'), `"${ehrId}"`);
    const bySubject = await http.get('/openehr/v1/ehr').query({ subject_id: FIXTURE_SUBJECT.id, subject_namespace: FIXTURE_SUBJECT.namespace });
    assert.equal(bySubject.status, 200);
    assert.deepEqual(bySubject.body, byId.body);
    const status = await http.get(`/openehr/v1/ehr/${ehrId}/ehr_status`);
    assert.equal(status.status, 200);
    const { uid, ...rest } = status.body;
    assert.deepEqual(rest, fixture('ehr_status_other_details_simple'));
    assert.deepEqual(uid, { _type: 'OBJECT_VERSION_ID', value: byId.body.ehr_status.id.value });
  });

  it('refuses a second EHR for the same subject with 409', async () => {
    const res = await http.post('/openehr/v1/ehr').send(fixture('ehr_status_other_details_simple'));
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'conflict');
    assert.equal(typeof res.body.message, 'string');
  });

  it('creates anonymous EHRs without a body: 201, empty body (return=minimal), default EHR_STATUS', async () => {
    const first = await http.post('/openehr/v1/ehr');
    const second = await http.post('/openehr/v1/ehr');
    assert.deepEqual([first.status, second.status], [201, 201], 'no subject, no conflict');
    assert.equal(first.text, '');
    const id = (first.get('location') ?? '').split('/').pop();
    const status = await http.get(`/openehr/v1/ehr/${id}/ehr_status`);
    assert.deepEqual([status.body.subject, status.body.is_queryable, status.body.is_modifiable], [{ _type: 'PARTY_SELF' }, true, true]);
  });

  it('commits each fixture COMPOSITION with a new uid and reads it back by versioned object uid and version uid', async () => {
    for (const name of COMPOSITIONS) {
      const sent = fixture(name);
      const res = await http.post(`/openehr/v1/ehr/${ehrId}/composition`).set('Prefer', REPRESENTATION).send(sent);
      assert.equal(res.status, 201, `${name}: ${res.text}`);
      const uid: string = res.body.uid.value;
      assert.match(uid, new RegExp(`^${UUID}::${SYSTEM_ID}::1$`), name);
      assert.notEqual(uid.split('::')[0], sent.uid?.value, 'a uid in the body is replaced');
      assert.equal(res.get('etag'), `"${uid}"`);
      assert.match(res.get('location') ?? '', new RegExp(`/openehr/v1/ehr/${ehrId}/composition/${uid}$`));
      const expected = { ...sent, uid: { _type: 'OBJECT_VERSION_ID', value: uid } };
      assert.deepEqual(res.body, expected, name);
      for (const id of [uid, uid.split('::')[0]]) {
        const got = await http.get(`/openehr/v1/ehr/${ehrId}/composition/${id}`);
        assert.equal(got.status, 200, `${name} by ${id}`);
        assert.equal(got.get('etag'), `"${uid}"`);
        assert.deepEqual(got.body, expected, `${name} by ${id}`);
      }
    }
  });

  it('answers a composition commit without Prefer with an empty body, and accepts application/openehr+json', async () => {
    const res = await http.post(`/openehr/v1/ehr/${ehrId}/composition`).set('Content-Type', 'application/openehr+json').send(JSON.stringify(fixture(COMPOSITIONS[2]!)));
    assert.equal(res.status, 201);
    assert.equal(res.text, '');
    assert.match(res.get('etag') ?? '', new RegExp(`^"${UUID}::${SYSTEM_ID}::1"$`));
  });

  it('answers 404 for unknown EHRs, compositions, versions and subjects', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const uid = (await http.post(`/openehr/v1/ehr/${ehrId}/composition`).send(fixture(COMPOSITIONS[0]!))).get('etag')!.slice(1, -1);
    const uuid = uid.split('::')[0];
    const cases = [
      http.get(`/openehr/v1/ehr/${unknown}`),
      http.get(`/openehr/v1/ehr/${unknown}/ehr_status`),
      http.post(`/openehr/v1/ehr/${unknown}/composition`).send(fixture(COMPOSITIONS[0]!)),
      http.get(`/openehr/v1/ehr/${ehrId}/composition/${unknown}`),
      http.get(`/openehr/v1/ehr/${ehrId}/composition/${uuid}::${SYSTEM_ID}::2`),
      http.get(`/openehr/v1/ehr/${ehrId}/composition/${uuid}::other.system::1`),
      http.get(`/openehr/v1/ehr/${unknown}/composition/${uuid}`),
      http.get('/openehr/v1/ehr').query({ subject_id: 'nobody', subject_namespace: 'patients' }),
    ];
    for (const [i, res] of (await Promise.all(cases)).entries()) {
      assert.equal(res.status, 404, `case ${i}: ${res.text}`);
      assert.equal(res.body.code, 'not_found', `case ${i}`);
    }
  });

  it('answers 400 for bad JSON, a wrong _type, missing attributes and malformed ids', async () => {
    const composition = fixture(COMPOSITIONS[0]!);
    const { composer: _composer, ...withoutComposer } = composition;
    const cases = [
      http.post(`/openehr/v1/ehr/${ehrId}/composition`).set('Content-Type', 'application/json').send('{"_type": "COMPOSITION",'),
      http.post(`/openehr/v1/ehr/${ehrId}/composition`).send(fixture('ehr_status_other_details_simple')),
      http.post(`/openehr/v1/ehr/${ehrId}/composition`).send(withoutComposer),
      http.post(`/openehr/v1/ehr/${ehrId}/composition`).send({ ...composition, archetype_node_id: undefined }),
      http.post(`/openehr/v1/ehr/${ehrId}/composition`).send([composition]),
      http.post('/openehr/v1/ehr').send(composition),
      http.post('/openehr/v1/ehr').send({ _type: 'EHR_STATUS', subject: { external_ref: { id: { value: 'x' } } } }),
      http.get('/openehr/v1/ehr/not-a-uuid'),
      http.post('/openehr/v1/ehr/not-a-uuid/composition').send(composition),
      http.get(`/openehr/v1/ehr/${ehrId}/composition/not-a-uuid`),
      http.get(`/openehr/v1/ehr/${ehrId}/composition/${ehrId}::${SYSTEM_ID}`),
      http.get('/openehr/v1/ehr').query({ subject_id: 'only-id' }),
    ];
    // Classes and attributes outside the RM model are refused: what is stored must be exportable.
    const unknownClass = await http.post(`/openehr/v1/ehr/${ehrId}/composition`).send({ ...composition, content: [{ _type: 'GENERIC_ENTRY_X' }] });
    assert.match(unknownClass.body.message, /does not conform to the openEHR RM classes.*GENERIC_ENTRY_X/);
    const unknownAttribute = await http.post(`/openehr/v1/ehr/${ehrId}/composition`).send({ ...composition, free_note: 'x' });
    for (const [i, res] of [...(await Promise.all(cases)), unknownClass, unknownAttribute].entries()) {
      assert.equal(res.status, 400, `case ${i}: ${res.text}`);
      assert.equal(res.body.code, 'bad_request', `case ${i}`);
      assert.equal(typeof res.body.message, 'string', `case ${i}`);
    }
  });

  it('answers 415 for a body that is not JSON', async () => {
    for (const type of ['text/plain', 'application/xml']) {
      const res = await http.post(`/openehr/v1/ehr/${ehrId}/composition`).set('Content-Type', type).send('<composition/>');
      assert.equal(res.status, 415, type);
      assert.equal(res.body.code, 'unsupported_media_type');
    }
    assert.equal((await http.post('/openehr/v1/ehr').set('Content-Type', 'text/plain').send('x')).status, 415);
  });

  it('lists the compositions of subjects for export, and finds an EHR by a FHIR identifier', async () => {
    const created = await http.post('/openehr/v1/ehr').set('Prefer', REPRESENTATION).send(statusFor(FHIR_SUBJECT));
    const fhirEhr = created.body.ehr_id.value;
    await http.post(`/openehr/v1/ehr/${fhirEhr}/composition`).send(fixture(COMPOSITIONS[1]!));
    assert.equal((await ehrOfSubject(db, FHIR_SUBJECT.namespace, FHIR_SUBJECT.id))?.ehrId, fhirEhr);
    assert.equal(await ehrOfSubject(db, FHIR_SUBJECT.namespace, 'someone else'), undefined);

    const listed = await listCompositionsOfSubjects(db, [FHIR_SUBJECT, FIXTURE_SUBJECT, { namespace: 'patients', id: 'nobody' }]);
    const fhirOnes = listed.filter((c) => c.ehrId === fhirEhr);
    assert.equal(fhirOnes.length, 1);
    assert.deepEqual(fhirOnes[0]!.subject, FHIR_SUBJECT);
    assert.equal(fhirOnes[0]!.composition.uid?.value, fhirOnes[0]!.uid);
    assert.equal(fhirOnes[0]!.composition.name.value, fixture(COMPOSITIONS[1]!).name.value);
    const fixtureOnes = listed.filter((c) => c.ehrId === ehrId);
    assert.equal(fixtureOnes.length, COMPOSITIONS.length + 2, 'three fixtures, the minimal one and the one of the 404 test');
    assert.ok(fixtureOnes.every((c) => c.subject.id === FIXTURE_SUBJECT.id));
    assert.deepEqual(await listCompositionsOfSubjects(db, []), []);
  });

  it('reports an unexpected failure once and answers 500 without details', async () => {
    const reported: unknown[] = [];
    const broken: Database = { ...db, query: () => Promise.reject(new Error('connection lost')) };
    const res = await supertest(appOn(broken, (err) => reported.push(err))).get(`/openehr/v1/ehr/${ehrId}`);
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { message: 'The request could not be completed', code: 'internal_error' });
    assert.equal(reported.length, 1);
  });
});
