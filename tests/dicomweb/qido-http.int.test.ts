/**
 * QIDO-RS over HTTP with dicomweb-client on the stored fixture files: what a viewer's study
 * browser does. The matching rules themselves are covered case by case in qido.int.test.ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testDrivers } from '../support/database.ts';
import { fixture, fixtureNames, startDicomweb, type DicomwebTestServer } from '../support/dicomweb.ts';
import type { DicomJson } from '../../dicomweb/dicom-json.ts';

const MR_STUDY = '1.113654.3.13.1026';
const value = (dataset: DicomJson | undefined, tag: string): unknown => dataset?.[tag]?.Value?.[0];

for (const driver of testDrivers()) describe(`QIDO-RS with dicomweb-client (${driver.name})`, () => {
  let server: DicomwebTestServer;
  before(async () => {
    server = await startDicomweb(driver);
    await server.client.storeInstances({ datasets: fixtureNames().map(fixture) });
  });
  after(async () => {
    await server.close();
  });

  it('finds a study by UID with its computed attributes and RetrieveURL', async () => {
    const [study, ...rest] = await server.client.searchForStudies({ queryParams: { StudyInstanceUID: MR_STUDY } });
    assert.equal(rest.length, 0);
    assert.equal(value(study, '00201206'), 1, 'NumberOfStudyRelatedSeries');
    assert.equal(value(study, '00201208'), 3, 'NumberOfStudyRelatedInstances');
    assert.deepEqual(study?.['00080061']?.Value, ['MR'], 'ModalitiesInStudy');
    assert.equal(value(study, '00081190'), `${server.base}/studies/${MR_STUDY}`);
    assert.deepEqual(value(study, '00100010'), { Alphabetic: 'DOE^J1' });
  });

  it('matches person names without regard to case or accents, and word by word with fuzzymatching', async () => {
    const queries: Record<string, string | boolean>[] = [{ PatientName: 'buc^jérôme' }, { PatientName: 'BUC*' }, { PatientName: 'jerome', fuzzymatching: true }];
    for (const queryParams of queries) {
      const studies = await server.client.searchForStudies({ queryParams });
      assert.deepEqual(studies.map((s) => value(s, '00100010')), [{ Alphabetic: 'Buc^Jérôme' }], JSON.stringify(queryParams));
    }
    assert.deepEqual(await server.client.searchForStudies({ queryParams: { PatientName: 'jerome' } }), [], 'without fuzzy matching, a literal match');
  });

  it('lists the series of a study and the instances of a series, in instance number order', async () => {
    const series = await server.client.searchForSeries({ studyInstanceUID: MR_STUDY });
    assert.equal(series.length, 1);
    assert.equal(value(series[0], '00080060'), 'MR');
    const instances = await server.client.searchForInstances({ studyInstanceUID: MR_STUDY, seriesInstanceUID: String(value(series[0], '0020000E')) });
    assert.equal(instances.length, 3);
    const numbers = instances.map((i) => Number(value(i, '00200013')));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
  });

  it('matches modalities across all series and a study date range', async () => {
    const us = await server.client.searchForSeries({ queryParams: { Modality: 'US' } });
    assert.equal(us.length, 4);
    const all = await server.client.searchForStudies();
    const dates = all.map((s) => String(value(s, '00080020') ?? '')).filter((d) => d >= '20000101' && d <= '20101231');
    const ranged = await server.client.searchForStudies({ queryParams: { StudyDate: '20000101-20101231' } });
    assert.equal(ranged.length, dates.length);
  });

  it('pages with limit and offset and says how many remain in a Warning header', async () => {
    const res = await fetch(`${server.base}/studies?limit=5&offset=2`, { headers: { accept: 'application/dicom+json' } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as unknown[]).length, 5);
    assert.match(res.headers.get('warning') ?? '', /^299 .+: There are 9 additional results that can be requested$/);
  });

  it('answers 200 with [] for no match, 400 for a bad query, 406 for XML', async () => {
    let res = await fetch(`${server.base}/studies?PatientID=nobody`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), []);
    res = await fetch(`${server.base}/studies?StudyDate=yesterday`);
    assert.equal(res.status, 400);
    res = await fetch(`${server.base}/studies?NotAKeyword=1`);
    assert.equal(res.status, 400);
    res = await fetch(`${server.base}/studies`, { headers: { accept: 'application/dicom+xml' } });
    assert.equal(res.status, 406);
  });
});
