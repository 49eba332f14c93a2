/**
 * Concurrent stores into one study (real concurrency on PostgreSQL, and on PGlite): every
 * instance is stored once, the ImagingStudy counts them all, and FHIR search finds it.
 * The instances are real files given new SOP Instance UIDs by DCMTK's dcmodify.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImagingStudy } from '@medplum/fhirtypes';
import { parseSearch } from '../../fhir/index.ts';
import { testDrivers } from '../support/database.ts';
import { requireDcmtk } from '../support/dcmtk.ts';
import { FIXTURES, multipartBody, startDicomweb, type DicomwebTestServer } from '../support/dicomweb.ts';

requireDcmtk('dcmodify');

const CT_STUDY = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
const COPIES = 12;

/** COPIES copies of the CT slice, each with a new SOP Instance UID (same study and series). */
function ctCopies(dir: string): Buffer[] {
  const files = Array.from({ length: COPIES }, (_, i) => join(dir, `ct${i}.dcm`));
  for (const file of files) copyFileSync(join(FIXTURES, 'CT_ExplVRLE_CT_small.dcm'), file);
  execFileSync('dcmodify', ['-nb', '-gin', ...files]);
  return files.map((file) => readFileSync(file));
}

for (const driver of testDrivers()) describe(`concurrent stores into one study (${driver.name})`, () => {
  let server: DicomwebTestServer;
  let dir: string;
  before(async () => {
    server = await startDicomweb(driver);
    dir = mkdtempSync(join(tmpdir(), 'passerelle-ct-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every instance of parallel requests once, and the ImagingStudy counts them all', async () => {
    const copies = ctCopies(dir);
    const answers = await Promise.all(copies.map(async (bytes) => {
      const { body, contentType } = multipartBody([{ body: bytes }]);
      const res = await fetch(`${server.base}/studies`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } });
      return res.status;
    }));
    assert.deepEqual(answers, copies.map(() => 200));
    const rows = await server.db.query('SELECT 1 FROM dicom_instance WHERE study_uid = $1', [CT_STUDY]);
    assert.equal(rows.length, COPIES);
    const study = (await server.repo.read('ImagingStudy', CT_STUDY)) as ImagingStudy;
    assert.equal(study.numberOfInstances, COPIES);
    assert.equal(study.series?.[0]?.instance?.length, COPIES);
  });

  it('makes the ImagingStudy searchable with FHIR search', async () => {
    for (const query of ['modality=CT', `identifier=urn:dicom:uid|urn:oid:${CT_STUDY}`, 'series=1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322']) {
      const found = await server.repo.search(parseSearch('ImagingStudy', new URLSearchParams(query)));
      assert.deepEqual(found.resources.map((r) => r.id), [CT_STUDY], query);
    }
  });
});
