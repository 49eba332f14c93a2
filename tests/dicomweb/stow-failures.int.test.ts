/**
 * STOW-RS refusals: each bad request gets the PS3.18 status and failure reason, and nothing of
 * it is stored half-way (no file, no index row, no ImagingStudy), including when the
 * transaction itself fails after the file was placed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImagingStudy, Patient } from '@medplum/fhirtypes';
import { pgliteDriver } from '../support/database.ts';
import { FIXTURES, filesUnder, multipartBody, startDicomweb, type DicomwebTestServer } from '../support/dicomweb.ts';
import type { DicomJson } from '../../dicomweb/dicom-json.ts';

const CT = readFileSync(join(FIXTURES, 'CT_ExplVRLE_CT_small.dcm'));
const CT_STUDY = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const FRENCH = readFileSync(join(FIXTURES, 'SC_ExplVRLE_Latin1_chrFren.dcm'));
const FRENCH_STUDY = '1.3.6.1.4.1.5962.1.2.0.1175775772.5720.0';
const CANNOT_UNDERSTAND = 0xc000;
const DOES_NOT_MATCH = 0xa900;
const PROCESSING_FAILURE = 0x0110;

interface StowAnswer {
  status: number;
  body: DicomJson | undefined;
  text: string;
}

async function post(server: DicomwebTestServer, path: string, body: Buffer, contentType: string): Promise<StowAnswer> {
  const res = await fetch(`${server.base}${path}`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/dicom+json') ? (JSON.parse(text) as DicomJson) : undefined, text };
}

const failureReasons = (answer: StowAnswer): unknown[] => ((answer.body?.['00081198']?.Value ?? []) as DicomJson[]).map((item) => item['00081197']?.Value?.[0]);
const referencedCount = (answer: StowAnswer): number => (answer.body?.['00081199']?.Value ?? []).length;

describe('STOW-RS refusals, with nothing stored half-way', () => {
  let server: DicomwebTestServer;
  const nothingStored = async (): Promise<void> => {
    assert.deepEqual(filesUnder(server.dicomDir), []);
    assert.deepEqual(await server.db.query('SELECT study_uid FROM dicom_study'), []);
    assert.deepEqual(await server.db.query('SELECT sop_instance_uid FROM dicom_instance'), []);
  };
  before(async () => {
    server = await startDicomweb(pgliteDriver, { maxRequestBytes: 100_000 });
  });
  after(async () => {
    await server.close();
  });

  it('refuses a text file posted as application/dicom: 409, cannot understand (0xC000)', async () => {
    const { body, contentType } = multipartBody([{ body: Buffer.from('MSH|^~\\&|not a DICOM file\r'.repeat(20)) }]);
    const answer = await post(server, '/studies', body, contentType);
    assert.equal(answer.status, 409);
    assert.deepEqual(failureReasons(answer), [CANNOT_UNDERSTAND]);
    await nothingStored();
  });

  it('refuses truncated Part 10 files, cut in the pixel data or in the header', async () => {
    for (const cut of [CT.subarray(0, 20_000), CT.subarray(0, 300), CT.subarray(0, 140)]) {
      const { body, contentType } = multipartBody([{ body: cut }]);
      const answer = await post(server, '/studies', body, contentType);
      assert.equal(answer.status, 409, `cut at ${cut.length}`);
      assert.deepEqual(failureReasons(answer), [CANNOT_UNDERSTAND]);
    }
    await nothingStored();
  });

  it('refuses an instance of another study than the URL names: 409, 0xA900', async () => {
    const { body, contentType } = multipartBody([{ body: CT }]);
    const answer = await post(server, '/studies/1.2.3.4', body, contentType);
    assert.equal(answer.status, 409);
    assert.deepEqual(failureReasons(answer), [DOES_NOT_MATCH]);
    const item = (answer.body?.['00081198']?.Value as DicomJson[])[0] as DicomJson;
    assert.equal(item['00081150']?.Value?.[0], '1.2.840.10008.5.1.4.1.1.2', 'the failed instance is named');
    await nothingStored();
  });

  it('answers 400 for a wrong or missing boundary and an empty request, 415 for other media types', async () => {
    const { body } = multipartBody([{ body: CT }], 'the-real-boundary');
    assert.equal((await post(server, '/studies', body, 'multipart/related; type="application/dicom"; boundary=another-one')).status, 400);
    assert.equal((await post(server, '/studies', body, 'multipart/related; type="application/dicom"')).status, 400);
    assert.equal((await post(server, '/studies', Buffer.from('--b--\r\n'), 'multipart/related; type="application/dicom"; boundary=b')).status, 400);
    assert.equal((await post(server, '/studies', CT, 'application/dicom')).status, 415);
    assert.equal((await post(server, '/studies', body, 'multipart/related; type="application/dicom+json"; boundary=the-real-boundary')).status, 415);
    await nothingStored();
  });

  it('answers 413 past DICOMWEB_MAX_REQUEST_BYTES, declared or streamed', async () => {
    const { body, contentType } = multipartBody([{ body: CT }, { body: CT }, { body: CT }]);
    const answer = await post(server, '/studies', body, contentType);
    assert.equal(answer.status, 413);
    // Chunked, without Content-Length: the limit is found while streaming.
    const res = await fetch(`${server.base}/studies`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new ReadableStream({ start(controller) { controller.enqueue(new Uint8Array(body)); controller.close(); } }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    await nothingStored();
  });

  it('stores the good instances of a mixed request: 202 with both sequences', async () => {
    const { body, contentType } = multipartBody([{ body: CT }, { body: Buffer.from('garbage') }, { type: 'application/json', body: Buffer.from('{}') }]);
    const answer = await post(server, '/studies', body, contentType);
    assert.equal(answer.status, 202);
    assert.equal(referencedCount(answer), 1);
    assert.deepEqual(failureReasons(answer), [CANNOT_UNDERSTAND, CANNOT_UNDERSTAND]);
    assert.equal(filesUnder(server.dicomDir).length, 1);
    assert.ok(await server.repo.read('ImagingStudy', CT_STUDY));
  });

  it('refuses an instance already stored under another study (0xA900) and leaves no empty study behind', async () => {
    // The CT is stored (previous test); the same instance sent as part of another study:
    const moved = Buffer.from(CT);
    const at = moved.indexOf(Buffer.from(CT_STUDY));
    moved.write(CT_STUDY.slice(0, -1) + '9', at, 'latin1');
    const { body, contentType } = multipartBody([{ body: moved }]);
    const answer = await post(server, '/studies', body, contentType);
    assert.equal(answer.status, 409);
    assert.deepEqual(failureReasons(answer), [DOES_NOT_MATCH]);
    assert.deepEqual(await server.db.query('SELECT 1 FROM dicom_study WHERE study_uid = $1', [`${CT_STUDY.slice(0, -1)}9`]), []);
  });

  it('rolls everything back when the transaction fails after the file was placed: 409, 0x0110', async () => {
    // A real failure inside the transaction: the database refuses the instance row.
    await server.db.exec(`
      CREATE FUNCTION refuse_instance() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$;
      CREATE TRIGGER refuse_instance BEFORE INSERT ON dicom_instance FOR EACH ROW EXECUTE FUNCTION refuse_instance();`);
    const filesBefore = filesUnder(server.dicomDir);
    const { body, contentType } = multipartBody([{ body: FRENCH }]);
    const answer = await post(server, '/studies', body, contentType);
    await server.db.exec('DROP TRIGGER refuse_instance ON dicom_instance; DROP FUNCTION refuse_instance();');
    assert.equal(answer.status, 409);
    assert.deepEqual(failureReasons(answer), [PROCESSING_FAILURE]);
    assert.deepEqual(filesUnder(server.dicomDir), filesBefore, 'the placed file was removed');
    assert.deepEqual(await server.db.query('SELECT 1 FROM dicom_study WHERE study_uid = $1', [FRENCH_STUDY]), []);
    await assert.rejects(server.repo.read('ImagingStudy', FRENCH_STUDY), /not known/);
  });

  it('links the ImagingStudy to the Patient whose identifier is the PatientID, with the French name intact', async () => {
    const patient = (await server.repo.create({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.7', value: 'SCSFREN' }] } as Patient)).resource;
    const { body, contentType } = multipartBody([{ body: FRENCH }]);
    const answer = await post(server, `/studies/${FRENCH_STUDY}`, body, contentType);
    assert.equal(answer.status, 200);
    const study = (await server.repo.read('ImagingStudy', FRENCH_STUDY)) as ImagingStudy;
    assert.equal(study.subject.reference, `Patient/${patient.id}`);
    const metadata = (await (await fetch(`${server.base}/studies/${FRENCH_STUDY}/metadata`)).json()) as DicomJson[];
    assert.deepEqual(metadata[0]?.['00100010']?.Value, [{ Alphabetic: 'Buc^Jérôme' }]);
  });
});
