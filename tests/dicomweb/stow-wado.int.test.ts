/**
 * STOW-RS and WADO-RS through HTTP with a real DICOMweb client (the `dicomweb-client` package)
 * on the real fixture files: every file stored and fetched back byte-identical, metadata with
 * bulk data by reference, frames, ImagingStudy kept in step, re-sent instances, DELETE.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ImagingStudy } from '@medplum/fhirtypes';
import { testDrivers } from '../support/database.ts';
import { filesUnder, fixture, fixtureNames, startDicomweb, type DicomwebTestServer } from '../support/dicomweb.ts';
import type { DicomJson } from '../../dicomweb/dicom-json.ts';
import { parseInstance } from '../../dicomweb/part10.ts';

const MR_STUDY = '1.113654.3.13.1026';
const CT = 'CT_ExplVRLE_CT_small.dcm';
const US_MULTIFRAME = 'US_JPEGBaseline_multiframe30_examples_ybr_color.dcm';

const sha = (bytes: ArrayBuffer | Uint8Array): string => createHash('sha256').update(new Uint8Array(bytes)).digest('hex');
const first = (dataset: DicomJson, tag: string): unknown => dataset[tag]?.Value?.[0];

/** The UIDs of a fixture file. */
function uidsOf(name: string): { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string } {
  const parsed = parseInstance(new Uint8Array(fixture(name)));
  return { studyInstanceUID: parsed.studyUid, seriesInstanceUID: parsed.seriesUid, sopInstanceUID: parsed.sopInstanceUid };
}

for (const driver of testDrivers()) describe(`STOW-RS and WADO-RS with dicomweb-client (${driver.name})`, () => {
  let server: DicomwebTestServer;
  before(async () => {
    server = await startDicomweb(driver);
  });
  after(async () => {
    await server.close();
  });

  it('stores every fixture file in one request, each listed in ReferencedSOPSequence with its RetrieveURL', async () => {
    const names = fixtureNames();
    const text = (await server.client.storeInstances({ datasets: names.map(fixture) }));
    const response = JSON.parse(text) as DicomJson;
    const referenced = (response['00081199']?.Value ?? []) as DicomJson[];
    assert.equal(referenced.length, names.length);
    assert.equal(response['00081198'], undefined, 'no failures');
    for (const item of referenced) assert.match(String(first(item, '00081190')), new RegExp(`^${server.base}/studies/[\\d.]+/series/[\\d.]+/instances/[\\d.]+$`));
    assert.equal(filesUnder(`${server.dicomDir}/.incoming`).length, 0, 'no spool file left behind');
  });

  it('gives every instance back byte-for-byte, in the transfer syntax it was stored in', async () => {
    for (const name of fixtureNames()) {
      const uids = uidsOf(name);
      const retrieved = (await server.client.retrieveInstance(uids));
      assert.equal(sha(retrieved), sha(fixture(name)), name);
    }
  });

  it('gives a whole study as multipart/related, one part per instance', async () => {
    const parts = (await server.client.retrieveStudy({ studyInstanceUID: MR_STUDY }));
    assert.equal(parts.length, 3);
    const expected = ['MR_ImplVRLE_study1026_MR01.dcm', 'MR_ImplVRLE_study1026_MR02.dcm', 'MR_ImplVRLE_study1026_MR03.dcm'].map((n) => sha(fixture(n))).sort();
    assert.deepEqual(parts.map(sha).sort(), expected);
  });

  it('answers study metadata from the index: every instance, pixel data as an absolute BulkDataURI', async () => {
    const metadata = (await server.client.retrieveStudyMetadata({ studyInstanceUID: MR_STUDY }));
    assert.equal(metadata.length, 3);
    for (const instance of metadata) {
      assert.deepEqual(first(instance, '00100010'), { Alphabetic: 'DOE^J1' });
      const pixels = instance['7FE00010'];
      assert.ok(pixels?.BulkDataURI?.startsWith(`${server.base}/studies/${MR_STUDY}/series/`), JSON.stringify(pixels));
      assert.equal(pixels?.InlineBinary, undefined);
      assert.equal(instance['00020010'], undefined, 'no file meta information in the dataset');
    }
  });

  it('serves bulk data at the BulkDataURI it gave, and the frames of native and JPEG instances', async () => {
    const uids = uidsOf(CT);
    const [instance] = (await server.client.retrieveInstanceMetadata(uids)) as [DicomJson];
    const bulk = (await server.client.retrieveBulkData({ BulkDataURI: instance['7FE00010']?.BulkDataURI as string }));
    assert.equal(bulk[0]?.byteLength, 128 * 128 * 2);
    const [ctFrame] = (await server.client.retrieveInstanceFrames({ ...uids, frameNumbers: [1] }));
    assert.equal(sha(ctFrame as ArrayBuffer), sha(bulk[0] as ArrayBuffer));

    const us = uidsOf(US_MULTIFRAME);
    const frames = (await server.client.retrieveInstanceFrames({ ...us, frameNumbers: [1, 30], mediaTypes: [{ mediaType: 'image/jpeg', transferSyntaxUID: '1.2.840.10008.1.2.4.50' }] }));
    assert.equal(frames.length, 2);
    for (const frame of frames) assert.deepEqual([...new Uint8Array(frame).subarray(0, 2)], [0xff, 0xd8]);
  });

  it('renders instances and frames as PNG or JPEG with a window, thumbnails fitted to 128 pixels, 406 for what it cannot decode', async () => {
    const ct = uidsOf(CT);
    const [rendered] = await server.client.retrieveInstanceRendered({ ...ct, mediaTypes: [{ mediaType: 'image/png' }], queryParams: { window: '40,400' } });
    const png = new Uint8Array(rendered as ArrayBuffer);
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
    const ihdr = Buffer.from(png.subarray(16, 24));
    assert.deepEqual([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)], [128, 128]);

    const us = uidsOf(US_MULTIFRAME);
    const [thumbnailBytes] = await server.client.retrieveInstanceThumbnail({ ...us, mediaTypes: [{ mediaType: 'image/jpeg' }] });
    const thumbnail = new Uint8Array(thumbnailBytes as ArrayBuffer);
    assert.deepEqual([...thumbnail.subarray(0, 2)], [0xff, 0xd8]);
    const instanceUrl = `${server.base}/studies/${us.studyInstanceUID}/series/${us.seriesInstanceUID}/instances/${us.sopInstanceUID}`;
    const frame = await fetch(`${instanceUrl}/frames/12/rendered`, { headers: { accept: 'image/png' } });
    assert.equal(frame.status, 200);
    assert.equal(frame.headers.get('content-type'), 'image/png');

    const j2k = uidsOf('MR_JPEG2000Lossless_GH064.dcm');
    const refused = await fetch(`${server.base}/studies/${j2k.studyInstanceUID}/series/${j2k.seriesInstanceUID}/instances/${j2k.sopInstanceUID}/rendered`);
    assert.equal(refused.status, 406);
    assert.match(await refused.text(), /JPEG 2000/);
    assert.equal((await fetch(`${instanceUrl}/rendered?window=a,b`)).status, 400);
  });

  it('keeps a FHIR ImagingStudy per study, with its series, instances, modality and endpoint', async () => {
    const study = (await server.repo.read('ImagingStudy', MR_STUDY)) as ImagingStudy;
    assert.equal(study.numberOfSeries, 1);
    assert.equal(study.numberOfInstances, 3);
    assert.equal(study.series?.[0]?.modality.code, 'MR');
    assert.equal(study.series?.[0]?.instance?.length, 3);
    assert.deepEqual(study.identifier?.[0], { system: 'urn:dicom:uid', value: `urn:oid:${MR_STUDY}` });
    assert.equal(study.endpoint?.[0]?.reference, 'Endpoint/dicomweb');
    assert.equal(study.subject.identifier?.value, '583295');
    const endpoint = await server.repo.read('Endpoint', 'dicomweb');
    assert.equal((endpoint as { address?: string }).address, server.base);
  });

  it('ignores an identical re-send and replaces an instance sent again with other bytes, never keeping two copies', async () => {
    const uids = uidsOf(CT);
    const before = filesUnder(server.dicomDir).length;
    await server.client.storeInstances({ datasets: [fixture(CT)] });
    assert.equal(filesUnder(server.dicomDir).length, before);

    const changed = new Uint8Array(fixture(CT));
    changed[10] = 0x41; // in the preamble: same dataset, other bytes
    await server.client.storeInstances({ datasets: [changed.buffer as ArrayBuffer] });
    assert.equal(filesUnder(server.dicomDir).length, before, 'the old file went when the new one came');
    const retrieved = (await server.client.retrieveInstance(uids));
    assert.equal(sha(retrieved), sha(changed));
    const rows = await server.db.query('SELECT 1 FROM dicom_instance WHERE sop_instance_uid = $1', [uids.sopInstanceUID]);
    assert.equal(rows.length, 1);
  });

  it('stores the last copy of an instance a request carries twice, and leaves no spool file of the other', async () => {
    const uids = uidsOf(CT);
    const earlier = new Uint8Array(fixture(CT));
    earlier[10] = 0x42;
    const later = new Uint8Array(fixture(CT));
    later[10] = 0x43;
    await server.client.storeInstances({ datasets: [earlier.buffer as ArrayBuffer, later.buffer as ArrayBuffer] });
    assert.equal(sha(await server.client.retrieveInstance(uids)), sha(later));
    assert.equal(filesUnder(`${server.dicomDir}/.incoming`).length, 0, 'no spool file left behind');
  });

  it('deletes an instance, then its study, with files, index and ImagingStudy together', async () => {
    const [one] = (await server.client.retrieveStudyMetadata({ studyInstanceUID: MR_STUDY })) as [DicomJson];
    const target = {
      studyInstanceUID: MR_STUDY,
      seriesInstanceUID: String(first(one, '0020000E')),
      sopInstanceUID: String(first(one, '00080018')),
    };
    const files = filesUnder(server.dicomDir).length;
    let res = await fetch(`${server.base}/studies/${MR_STUDY}/series/${target.seriesInstanceUID}/instances/${target.sopInstanceUID}`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    assert.equal(filesUnder(server.dicomDir).length, files - 1);
    assert.equal(((await server.repo.read('ImagingStudy', MR_STUDY)) as ImagingStudy).numberOfInstances, 2);
    await assert.rejects(server.client.retrieveInstance(target), (err: { status?: number }) => err.status === 404);

    res = await fetch(`${server.base}/studies/${MR_STUDY}`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    assert.equal(filesUnder(server.dicomDir).length, files - 3);
    await assert.rejects(server.repo.read('ImagingStudy', MR_STUDY), /deleted/);
    res = await fetch(`${server.base}/studies/${MR_STUDY}`, { method: 'DELETE' });
    assert.equal(res.status, 404);
  });

  it('refuses what it cannot serve: another transfer syntax (406), XML metadata (406), unknown study (404), a bad UID (400)', async () => {
    const us = uidsOf(US_MULTIFRAME);
    const instanceUrl = `${server.base}/studies/${us.studyInstanceUID}/series/${us.seriesInstanceUID}/instances/${us.sopInstanceUID}`;
    let res = await fetch(instanceUrl, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1' } });
    assert.equal(res.status, 406);
    assert.match(await res.text(), /does not transcode/);
    res = await fetch(`${instanceUrl}/metadata`, { headers: { accept: 'application/dicom+xml' } });
    assert.equal(res.status, 406);
    res = await fetch(`${server.base}/studies/1.2.3.4.5/metadata`);
    assert.equal(res.status, 404);
    res = await fetch(`${server.base}/studies/..%2F..%2Fetc/metadata`);
    assert.equal(res.status, 400);
    res = await fetch(`${instanceUrl}/frames/31`);
    assert.equal(res.status, 404);
    res = await fetch(`${instanceUrl}/frames/0,a`);
    assert.equal(res.status, 400);
  });
});
