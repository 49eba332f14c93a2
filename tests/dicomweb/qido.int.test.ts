/**
 * QIDO-RS on a real database (PGlite, and PostgreSQL when DATABASE_URL is set): every matching
 * rule of PS3.4 C.2.2.2 as PS3.18 10.6 uses it, the answers of tables 10.6.3-3/4/5, pages.
 * The index rows are inserted directly from a few synthetic datasets (see `insert`).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../fhir/index.ts';
import type { DicomElement, DicomJson } from '../../dicomweb/dicom-json.ts';
import { foldPersonName, parseQidoRequest, searchDicom, searchWarnings, type QidoLevel, type QidoScope, type SearchResult } from '../../dicomweb/qido/index.ts';
import { testDrivers } from '../support/database.ts';

const BASE = 'http://pacs.test:8080/dicomweb';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';

interface InstanceSpec { uid: string; number?: number; extra?: DicomJson }
interface SeriesSpec { uid: string; modality: string; number?: number; description?: string; extra?: DicomJson; instances: InstanceSpec[] }
interface StudySpec {
  uid: string; name: string; id: string; date?: string; time?: string; accession?: string; description?: string; extra?: DicomJson; series: SeriesSpec[];
}

const el = (vr: string, ...values: unknown[]): DicomElement => (values.length > 0 ? { vr, Value: values } : { vr });
const pn = (name: string): DicomElement => ({ vr: 'PN', Value: [{ Alphabetic: name }] });
const seq = (...items: DicomJson[]): DicomElement => ({ vr: 'SQ', Value: items });

/** The fixture: five studies; the first has an MR and a CT series (five instances). */
const STUDIES: StudySpec[] = [
  {
    uid: '1.2.1', name: 'Buc^Jérôme', id: 'PID1', date: '20200115', time: '101500', accession: 'ACC1', description: 'CT THORAX',
    extra: { '00100030': el('DA', '19700101'), '00100040': el('CS', 'M'), '00080090': pn('Smith^John'), '00081048': pn('House^Gregory') },
    series: [
      {
        uid: '1.2.1.1', modality: 'MR', number: 1, description: 'T1 AX', extra: { '00081050': pn('Dupré^Émile') },
        instances: [{ uid: '1.2.1.1.1', number: 1 }, { uid: '1.2.1.1.2', number: 2, extra: { '00080008': el('CS', 'DERIVED', 'SECONDARY') } }, { uid: '1.2.1.1.3', number: 3 }],
      },
      {
        uid: '1.2.1.2', modality: 'CT', number: 2,
        instances: [{ uid: '1.2.1.2.1', number: 1, extra: { '0008002A': el('DT', '20200115101600.123456+0100'), '00180050': el('DS', 1.5) } }, { uid: '1.2.1.2.2', number: 2 }],
      },
    ],
  },
  {
    uid: '1.2.2', name: 'Smith^Jane', id: 'PID2', date: '20201231', time: '235959', accession: 'A%B_C\\D', description: "'; DROP TABLE dicom_study; --",
    series: [{ uid: '1.2.2.1', modality: 'CT', number: 1, instances: [{ uid: '1.2.2.1.1', number: 1 }] }],
  },
  {
    uid: '1.2.3', name: 'Müller^Hans', id: 'PID3', date: '20210301', time: '0800', accession: 'ACC3',
    extra: { '00101002': seq({ '00100020': el('LO', 'OTHER3') }) },
    series: [{ uid: '1.2.3.1', modality: 'US', number: 1, instances: [{ uid: '1.2.3.1.1', number: 1 }] }],
  },
  {
    uid: '1.2.4', name: 'SMITHSON^ANNA', id: 'PID4', date: '20190610',
    series: [{
      uid: '1.2.4.1', modality: 'SR', number: 2,
      extra: { '00400275': seq({ '00400009': el('SH', 'SPS1'), '00401001': el('SH', 'RP1') }, { '00400009': el('SH', 'SPS2'), '00401001': el('SH', 'RP2') }) },
      instances: [{ uid: '1.2.4.1.1', number: 1 }],
    }],
  },
  {
    uid: '1.2.5', name: 'Smyth^Jo', id: 'PID5', date: '20200601', time: '070000',
    series: [{ uid: '1.2.5.1', modality: 'CT', number: 1, instances: [{ uid: '1.2.5.1.1', number: 1 }] }],
  },
];

/** Index rows as the indexer writes them: columns, level attributes, and each instance's whole dataset. */
async function insert(db: Database, studies: StudySpec[]): Promise<void> {
  for (const study of studies) {
    const studyJson: DicomJson = {
      '0020000D': el('UI', study.uid), '00100010': pn(study.name), '00100020': el('LO', study.id),
      ...(study.date ? { '00080020': el('DA', study.date) } : {}), ...(study.time ? { '00080030': el('TM', study.time) } : {}),
      ...(study.accession ? { '00080050': el('SH', study.accession) } : {}), ...(study.description ? { '00081030': el('LO', study.description) } : {}),
      ...study.extra,
    };
    await db.query(
      `INSERT INTO dicom_study (study_uid, patient_id, patient_name, patient_name_norm, study_date, study_time, accession_number, study_description,
         referring_physician_name, referring_physician_name_norm, patient_birth_date, patient_sex, attributes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [study.uid, study.id, study.name, foldPersonName(study.name), study.date ?? null, study.time ?? null, study.accession ?? null, study.description ?? null,
        alphabetic(studyJson, '00080090'), foldOrNull(alphabetic(studyJson, '00080090')), first(studyJson, '00100030'), first(studyJson, '00100040'), JSON.stringify(studyJson)],
    );
    for (const series of study.series) {
      const seriesJson: DicomJson = {
        '0020000E': el('UI', series.uid), '00080060': el('CS', series.modality), ...(series.number ? { '00200011': el('IS', series.number) } : {}),
        ...(series.description ? { '0008103E': el('LO', series.description) } : {}), ...series.extra,
      };
      await db.query(
        'INSERT INTO dicom_series (series_uid, study_uid, modality, series_number, series_description, attributes) VALUES ($1, $2, $3, $4, $5, $6)',
        [series.uid, study.uid, series.modality, series.number ?? null, series.description ?? null, JSON.stringify(seriesJson)],
      );
      for (const instance of series.instances) {
        const sopClass = series.modality === 'MR' ? MR : CT;
        const metadata: DicomJson = {
          ...studyJson, ...seriesJson, '00080016': el('UI', sopClass), '00080018': el('UI', instance.uid), '00200013': el('IS', instance.number ?? 1),
          '00280010': el('US', 512), '00280011': el('US', 512), '00280100': el('US', 16),
          '7FE00010': { vr: 'OW', BulkDataURI: `studies/${study.uid}/series/${series.uid}/instances/${instance.uid}/bulk/7FE00010` }, ...instance.extra,
        };
        await db.query(
          `INSERT INTO dicom_instance (sop_instance_uid, series_uid, study_uid, sop_class_uid, instance_number, transfer_syntax_uid, rows, columns, bits_allocated,
             file_path, file_size, sha256, metadata) VALUES ($1, $2, $3, $4, $5, '1.2.840.10008.1.2.1', 512, 512, 16, 'f', 1, 'x', $6)`,
          [instance.uid, series.uid, study.uid, sopClass, instance.number ?? null, JSON.stringify(metadata)],
        );
      }
    }
  }
}

const first = (dataset: DicomJson, tag: string): string | null => (dataset[tag]?.Value?.[0] as string | undefined) ?? null;
const alphabetic = (dataset: DicomJson, tag: string): string | null => (dataset[tag]?.Value?.[0] as { Alphabetic?: string } | undefined)?.Alphabetic ?? null;
const foldOrNull = (name: string | null): string | null => (name === null ? null : foldPersonName(name));
const uidsOf = (result: SearchResult, tag: string): unknown[] => result.datasets.map((dataset) => dataset[tag]?.Value?.[0]);

for (const driver of testDrivers()) {
  describe(`QIDO-RS on ${driver.name}`, () => {
    let db: Database;
    const search = (level: QidoLevel, query: string, scope: QidoScope = {}): Promise<SearchResult> => searchDicom(db, parseQidoRequest(level, new URLSearchParams(query), scope), BASE);
    const studies = async (query: string): Promise<unknown[]> => uidsOf(await search('study', query), '0020000D');

    before(async () => {
      db = await driver.open();
      await insert(db, STUDIES);
    });
    after(() => db.close());

    it('single value and UID list matching', async () => {
      assert.deepEqual(await studies('PatientID=PID3'), ['1.2.3']);
      assert.deepEqual(await studies('PatientID=pid3'), [], 'LO single value matching is case-sensitive (C.2.2.2.1)');
      assert.deepEqual(await studies('StudyInstanceUID=1.2.4,1.2.1,9.9'), ['1.2.1', '1.2.4']);
      assert.deepEqual(await studies('AccessionNumber=ACC1&PatientID=PID1'), ['1.2.1']);
      assert.deepEqual(await studies('AccessionNumber=ACC1&PatientID=PID2'), [], 'keys are ANDed');
    });

    it('person names: case- and accent-insensitive, wild cards * and ?', async () => {
      assert.deepEqual(await studies('PatientName=buc^jerome'), ['1.2.1']);
      assert.deepEqual(await studies('PatientName=BUC^JÉRÔME'), ['1.2.1']);
      assert.deepEqual(await studies('PatientName=buc'), [], 'a literal name matches the whole name');
      assert.deepEqual(await studies('PatientName=smith*'), ['1.2.2', '1.2.4']);
      assert.deepEqual(await studies('PatientName=SM?TH*'), ['1.2.2', '1.2.4', '1.2.5']);
      assert.deepEqual(await studies('PatientName=*hans'), ['1.2.3']);
      assert.deepEqual(await studies('ReferringPhysicianName=smith^john'), ['1.2.1'], 'the other indexed PN');
      assert.deepEqual(await studies('PhysiciansOfRecord=house*'), ['1.2.1'], 'a PN read from the JSON');
    });

    it('fuzzy matching: every word of the query starts a word of the name, accents ignored', async () => {
      assert.deepEqual(await studies('PatientName=Jerome'), []);
      assert.deepEqual(await studies('PatientName=Jerome&fuzzymatching=true'), ['1.2.1']);
      assert.deepEqual(await studies('PatientName=j%C3%A9r%20buc&fuzzymatching=true'), ['1.2.1'], 'any order, prefixes');
      assert.deepEqual(await studies('PatientName=mull&fuzzymatching=true'), ['1.2.3']);
      assert.deepEqual(await studies('PatientName=smi&fuzzymatching=true'), ['1.2.2', '1.2.4']);
      assert.deepEqual(await studies('PatientName=anna^smith*&fuzzymatching=true'), ['1.2.4']);
      assert.deepEqual(uidsOf(await search('series', 'PerformingPhysicianName=emile&fuzzymatching=true'), '0020000E'), ['1.2.1.1'], 'PN in the JSON');
      assert.deepEqual(uidsOf(await search('series', 'PerformingPhysicianName=dupre^emile'), '0020000E'), ['1.2.1.1']);
    });

    it('wild cards on other strings are case-sensitive and escape LIKE specials', async () => {
      assert.deepEqual(await studies('StudyDescription=CT*'), ['1.2.1']);
      assert.deepEqual(await studies('StudyDescription=ct*'), []);
      assert.deepEqual(await studies('AccessionNumber=ACC?'), ['1.2.1', '1.2.3']);
      assert.deepEqual(uidsOf(await search('instance', 'ImageType=DERIVED'), '00080018'), ['1.2.1.1.2'], 'multi-valued: any value matches (C.2.2.3)');
    });

    it('SQL specials and injection attempts match literally', async () => {
      assert.deepEqual(await studies(new URLSearchParams({ AccessionNumber: 'A%B_C\\D' }).toString()), ['1.2.2']);
      assert.deepEqual(await studies('AccessionNumber=A%25'), [], '% is no wild card');
      assert.deepEqual(await studies('AccessionNumber=A_B*'), [], '_ is no wild card');
      assert.deepEqual(await studies('AccessionNumber=A%25B%5FC*'), ['1.2.2']);
      assert.deepEqual(await studies(new URLSearchParams({ AccessionNumber: '*\\D' }).toString()), ['1.2.2']);
      assert.deepEqual(await studies(new URLSearchParams({ StudyDescription: "'; DROP TABLE dicom_study; --" }).toString()), ['1.2.2']);
      assert.deepEqual(await studies(new URLSearchParams({ PatientName: "x' OR '1'='1" }).toString()), []);
      assert.deepEqual(await studies(new URLSearchParams({ 'OtherPatientIDsSequence.PatientID': "' OR 1=1 --" }).toString()), []);
      assert.equal((await search('study', '')).datasets.length, 5, 'the table is still there');
    });

    it('date ranges, both ends open', async () => {
      assert.deepEqual(await studies('StudyDate=20200115'), ['1.2.1']);
      assert.deepEqual(await studies('StudyDate=20200101-20201231'), ['1.2.1', '1.2.2', '1.2.5']);
      assert.deepEqual(await studies('StudyDate=-20200115'), ['1.2.1', '1.2.4']);
      assert.deepEqual(await studies('StudyDate=20201231-'), ['1.2.2', '1.2.3']);
      assert.deepEqual(await studies('PatientBirthDate=19700101'), ['1.2.1']);
    });

    it('time ranges by meaning (0800 is 08:00:00), single times at their precision', async () => {
      assert.deepEqual(await studies('StudyTime=1000-1100'), ['1.2.1']);
      assert.deepEqual(await studies('StudyTime=-0800'), ['1.2.3', '1.2.5']);
      assert.deepEqual(await studies('StudyTime=2359-'), ['1.2.2']);
      assert.deepEqual(await studies('StudyTime=1015'), ['1.2.1']);
      assert.deepEqual(await studies('StudyTime=08'), ['1.2.3']);
    });

    it('combined date-time matching of a date range with a time range', async () => {
      // 15 Jan 12:00 to 31 Dec 23:59: study 5 (1 Jun 07:00) is inside; study 1 (15 Jan 10:15) is before.
      assert.deepEqual(await studies('StudyDate=20200115-20201231&StudyTime=1200-2359'), ['1.2.2', '1.2.5']);
      assert.deepEqual(await studies('StudyDate=20200115-&StudyTime=1200-'), ['1.2.2', '1.2.3', '1.2.5']);
      assert.deepEqual(await studies('StudyDate=-20200601&StudyTime=-0700'), ['1.2.1', '1.2.4', '1.2.5'], 'a study without time counts as midnight');
    });

    it('datetime ranges in the JSON', async () => {
      const acquired = async (query: string): Promise<unknown[]> => uidsOf(await search('instance', query), '00080018');
      assert.deepEqual(await acquired('AcquisitionDateTime=20200115-20200116'), ['1.2.1.2.1']);
      assert.deepEqual(await acquired('AcquisitionDateTime=20200115101600'), ['1.2.1.2.1'], 'a single value at its precision');
      assert.deepEqual(await acquired('AcquisitionDateTime=-202001151015'), []);
      assert.deepEqual(await acquired('AcquisitionDateTime=2020-'), ['1.2.1.2.1']);
      assert.deepEqual(await acquired('SliceThickness=1.5'), ['1.2.1.2.1'], 'DS by value');
    });

    it('sequence matching, item by item (C.2.2.2.6)', async () => {
      assert.deepEqual(await studies('OtherPatientIDsSequence.PatientID=OTHER3'), ['1.2.3']);
      const series = async (query: string): Promise<unknown[]> => uidsOf(await search('series', query), '0020000E');
      assert.deepEqual(await series('RequestAttributesSequence.ScheduledProcedureStepID=SPS2'), ['1.2.4.1']);
      assert.deepEqual(await series('RequestAttributesSequence.ScheduledProcedureStepID=SPS1&RequestAttributesSequence.RequestedProcedureID=RP1'), ['1.2.4.1']);
      assert.deepEqual(await series('RequestAttributesSequence.ScheduledProcedureStepID=SPS1&RequestAttributesSequence.RequestedProcedureID=RP2'), [], 'not in one item');
      const [answer] = (await search('series', 'RequestAttributesSequence.ScheduledProcedureStepID=SPS*')).datasets;
      assert.equal(answer?.['00400275']?.Value?.length, 2, 'the sequence is returned');
    });

    it('empty values ask for the attribute: every entity matches and it is returned', async () => {
      const result = await search('study', 'StudyDescription=&AccessionNumber=');
      assert.equal(result.datasets.length, 5);
      assert.deepEqual(result.datasets.map((dataset) => dataset['00081030']), [
        el('LO', 'CT THORAX'), el('LO', "'; DROP TABLE dicom_study; --"), { vr: 'LO' }, { vr: 'LO' }, { vr: 'LO' },
      ]);
      assert.deepEqual(result.datasets[3]?.['00080050'], { vr: 'SH' }, 'present but empty');
    });

    it('study answers: table 10.6.3-3 with computed counts, modalities and Retrieve URL', async () => {
      const [study] = (await search('study', 'PatientID=PID1')).datasets;
      assert.ok(study);
      assert.deepEqual(study['00080061'], el('CS', 'CT', 'MR'));
      assert.deepEqual(study['00201206'], el('IS', 2));
      assert.deepEqual(study['00201208'], el('IS', 5));
      assert.deepEqual(study['00081190'], el('UR', `${BASE}/studies/1.2.1`));
      assert.deepEqual(study['00080056'], el('CS', 'ONLINE'));
      assert.deepEqual(study['00100010'], pn('Buc^Jérôme'));
      for (const tag of ['00080020', '00080030', '00080050', '00080090', '00100020', '00100030', '00100040', '0020000D', '00200010']) assert.ok(study[tag], tag);
      assert.deepEqual(study['00200010'], { vr: 'SH' }, 'Study ID unknown: present and empty');
      assert.equal(study['00081048'], undefined, 'not asked for');
      assert.deepEqual(Object.keys(study), Object.keys(study).sort(), 'tags in order');
      assert.deepEqual((await search('study', 'ModalitiesInStudy=MR')).datasets.map((dataset) => dataset['0020000D']?.Value?.[0]), ['1.2.1']);
      assert.deepEqual(await studies('ModalitiesInStudy=CT'), ['1.2.1', '1.2.2', '1.2.5']);
      assert.deepEqual(await studies('ModalitiesInStudy=US,SR'), ['1.2.3', '1.2.4']);
    });

    it('includefield: named attributes and all', async () => {
      const [named] = (await search('study', 'PatientID=PID1&includefield=PhysiciansOfRecord,00081030&includefield=Modality')).datasets;
      assert.deepEqual(named?.['00081048'], pn('House^Gregory'));
      assert.deepEqual(named?.['00081030'], el('LO', 'CT THORAX'));
      assert.equal(named?.['00080060'], undefined, 'series attributes are not returned for studies');
      const [all] = (await search('study', 'PatientID=PID3&includefield=all')).datasets;
      assert.deepEqual(all?.['00101002'], seq({ '00100020': el('LO', 'OTHER3') }));
      assert.deepEqual(all?.['00201208'], el('IS', 1));
      const [instance] = (await search('instance', 'includefield=all', { studyUid: '1.2.1', seriesUid: '1.2.1.1' })).datasets;
      assert.deepEqual(instance?.['00081050'], pn('Dupré^Émile'), 'the stored metadata');
      assert.equal(instance?.['7FE00010'], undefined, 'without bulk data');
    });

    it('limit and offset page through a stable order, and say how many remain', async () => {
      const page1 = await search('study', 'limit=2');
      assert.deepEqual(uidsOf(page1, '0020000D'), ['1.2.1', '1.2.2']);
      assert.equal(page1.remaining, 3);
      assert.deepEqual(searchWarnings(page1, BASE), [`299 ${BASE}: There are 3 additional results that can be requested`]);
      const page2 = await search('study', 'limit=2&offset=2');
      assert.deepEqual(uidsOf(page2, '0020000D'), ['1.2.3', '1.2.4']);
      assert.equal(page2.remaining, 1);
      const page3 = await search('study', 'limit=2&offset=4');
      assert.deepEqual(uidsOf(page3, '0020000D'), ['1.2.5']);
      assert.equal(page3.remaining, 0);
      assert.deepEqual(searchWarnings(page3, BASE), []);
      assert.deepEqual(searchWarnings(await search('study', 'limit=1&emptyvaluematching=true'), BASE), [
        `299 ${BASE}: There are 4 additional results that can be requested`,
        `299 ${BASE}: The emptyvaluematching parameter is not supported. Empty Value Matching has not been performed.`,
      ]);
      assert.deepEqual((await search('study', 'offset=10')).datasets, []);
      const none = await search('study', 'limit=0&PatientName=smith*');
      assert.deepEqual([none.datasets.length, none.remaining], [0, 2]);
      assert.deepEqual(await search('study', 'limit=2'), page1, 'the same search gives the same answer');
      const instances = await search('instance', 'limit=3&offset=1', { studyUid: '1.2.1' });
      assert.deepEqual(uidsOf(instances, '00080018'), ['1.2.1.1.2', '1.2.1.1.3', '1.2.1.2.1']);
      assert.equal(instances.remaining, 1);
    });

    it('series answers, scoped by study, with counts and Retrieve URL', async () => {
      const result = await search('series', '', { studyUid: '1.2.1' });
      assert.deepEqual(uidsOf(result, '0020000E'), ['1.2.1.1', '1.2.1.2'], 'by series number');
      const [mr] = result.datasets;
      assert.deepEqual(mr?.['00201209'], el('IS', 3));
      assert.deepEqual(mr?.['00080060'], el('CS', 'MR'));
      assert.deepEqual(mr?.['0008103E'], el('LO', 'T1 AX'));
      assert.deepEqual(mr?.['0020000D'], el('UI', '1.2.1'));
      assert.deepEqual(mr?.['00081190'], el('UR', `${BASE}/studies/1.2.1/series/1.2.1.1`));
      assert.equal(mr?.['00100010'], undefined, "a study's series do not repeat the study");
      assert.deepEqual(uidsOf(await search('series', 'Modality=CT', { studyUid: '1.2.1' }), '0020000E'), ['1.2.1.2']);
      assert.deepEqual(uidsOf(await search('series', 'SeriesNumber=2'), '0020000E'), ['1.2.1.2', '1.2.4.1']);
      assert.deepEqual((await search('series', '', { studyUid: '9.9' })).datasets, []);
    });

    it('relational series queries carry study keys and the study attributes', async () => {
      const result = await search('series', 'PatientName=smith*&Modality=CT');
      assert.deepEqual(uidsOf(result, '0020000E'), ['1.2.2.1']);
      const [series] = result.datasets;
      assert.deepEqual(series?.['00100010'], pn('Smith^Jane'), 'All Series include table 10.6.3-3');
      assert.deepEqual(series?.['00201208'], el('IS', 1));
      assert.deepEqual(series?.['00081190'], el('UR', `${BASE}/studies/1.2.2/series/1.2.2.1`), "the series' own Retrieve URL");
      assert.deepEqual(uidsOf(await search('series', 'ModalitiesInStudy=MR'), '0020000E'), ['1.2.1.1', '1.2.1.2']);
      assert.deepEqual(uidsOf(await search('series', 'StudyDate=20200101-20201231&Modality=CT'), '0020000E'), ['1.2.1.2', '1.2.2.1', '1.2.5.1']);
    });

    it('instance answers: table 10.6.3-5, scoped and relational', async () => {
      const scoped = await search('instance', '', { studyUid: '1.2.1', seriesUid: '1.2.1.1' });
      assert.deepEqual(uidsOf(scoped, '00080018'), ['1.2.1.1.1', '1.2.1.1.2', '1.2.1.1.3'], 'by instance number');
      const [instance] = scoped.datasets;
      assert.deepEqual(instance?.['00080016'], el('UI', MR));
      assert.deepEqual(instance?.['00200013'], el('IS', 1));
      assert.deepEqual(instance?.['00280010'], el('US', 512));
      assert.deepEqual(instance?.['00280100'], el('US', 16));
      assert.deepEqual(instance?.['0020000E'], el('UI', '1.2.1.1'));
      assert.deepEqual(instance?.['00081190'], el('UR', `${BASE}/studies/1.2.1/series/1.2.1.1/instances/1.2.1.1.1`));
      assert.deepEqual(instance?.['00080056'], el('CS', 'ONLINE'));
      assert.equal(instance?.['00280008'], undefined, 'Number of Frames unknown: left out (present if known)');
      assert.equal(instance?.['00100010'], undefined, "a series' instances do not repeat study and series");
      const relational = await search('instance', 'PatientID=PID1&Modality=CT');
      assert.deepEqual(uidsOf(relational, '00080018'), ['1.2.1.2.1', '1.2.1.2.2']);
      assert.deepEqual(relational.datasets[0]?.['00100010'], pn('Buc^Jérôme'), 'All Instances include the study attributes');
      assert.deepEqual(relational.datasets[0]?.['00201209'], el('IS', 2), 'and the series ones');
      assert.deepEqual(relational.datasets[0]?.['00080061'], el('CS', 'CT', 'MR'));
      assert.deepEqual(uidsOf(await search('instance', `SOPClassUID=${MR}&InstanceNumber=2`), '00080018'), ['1.2.1.1.2']);
      const studyInstances = await search('instance', 'Modality=MR', { studyUid: '1.2.1' });
      assert.equal(studyInstances.datasets.length, 3);
      assert.deepEqual(studyInstances.datasets[0]?.['00080060'], el('CS', 'MR'), "a study's instances include the series attributes");
      assert.equal(studyInstances.datasets[0]?.['00100010'], undefined);
    });
  });
}
