/** QIDO-RS parsing (PS3.18 10.6, 8.3.4; PS3.4 C.2.2.2): keys, values per VR, pages, errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DicomwebError } from '../../dicomweb/errors.ts';
import { foldPersonName, parseQidoRequest, QIDO_MAX_RESULTS, type QidoLevel, type QidoRequest } from '../../dicomweb/qido/index.ts';
import { likePattern } from '../../dicomweb/qido/sql-match.ts';
import { returnPlan } from '../../dicomweb/qido/returns.ts';
import { searchStatement } from '../../dicomweb/qido/sql.ts';

const parse = (level: QidoLevel, query: string, scope = {}): QidoRequest => parseQidoRequest(level, new URLSearchParams(query), scope);
const matcherOf = (request: QidoRequest, tag: string): unknown => request.keys.find((key) => key.path.map((step) => step.tag).join('.') === tag)?.matcher;

/** Asserts a 400 whose message contains `text`. */
function rejects(level: QidoLevel, query: string, text: string, scope = {}): void {
  assert.throws(
    () => parse(level, query, scope),
    (error: unknown) => error instanceof DicomwebError && error.status === 400 && error.message.includes(text),
    `${query} should be a 400 mentioning "${text}"`,
  );
}

describe('foldPersonName', () => {
  it('upper-cases, removes accents, keeps separators, trims trailing empty components', () => {
    assert.equal(foldPersonName('Buc^Jérôme'), 'BUC^JEROME');
    assert.equal(foldPersonName('Müller^Hans^^^'), 'MULLER^HANS');
    assert.equal(foldPersonName(' Smith ^ John ^^Dr'), 'SMITH^JOHN^^DR');
    assert.equal(foldPersonName('Wang^XiaoDong=王^小東='), 'WANG^XIAODONG=王^小東');
    assert.equal(foldPersonName('ñuñez*'), 'NUNEZ*', 'wild cards pass through');
    assert.equal(foldPersonName('^^'), '');
  });
});

describe('parseQidoRequest: match keys', () => {
  it('takes keywords and tags, case-insensitive hex', () => {
    const request = parse('study', 'PatientID=PID1&0020000d=1.2&00100010=Doe');
    assert.deepEqual(request.keys.map((key) => key.path[0]?.tag), ['00100020', '0020000D', '00100010']);
    assert.deepEqual(matcherOf(request, '00100020'), { kind: 'equals', values: ['PID1'] });
  });

  it('parses UID lists with commas (and backslashes), de-duplicated; a repeated UID key extends the list', () => {
    assert.deepEqual(matcherOf(parse('study', 'StudyInstanceUID=1.2.3,1.2.4\\1.2.3'), '0020000D'), { kind: 'equals', values: ['1.2.3', '1.2.4'] });
    assert.deepEqual(matcherOf(parse('study', 'StudyInstanceUID=1.2&StudyInstanceUID=1.3'), '0020000D'), { kind: 'equals', values: ['1.2', '1.3'] });
    rejects('study', 'StudyInstanceUID=1.2.*', 'wild cards are not allowed for UIDs');
    rejects('study', 'StudyInstanceUID=1.2,abc', 'is not a UID');
  });

  it('treats the empty value and a lone * as universal matching', () => {
    assert.deepEqual(matcherOf(parse('study', 'PatientName='), '00100010'), { kind: 'universal' });
    assert.deepEqual(matcherOf(parse('study', 'StudyDescription=*'), '00081030'), { kind: 'universal' });
    assert.deepEqual(matcherOf(parse('study', 'PatientName=**'), '00100010'), { kind: 'universal' });
  });

  it('recognises wild cards on string VRs only', () => {
    assert.deepEqual(matcherOf(parse('study', 'AccessionNumber=A?C*'), '00080050'), { kind: 'wildcard', pattern: 'A?C*' });
    rejects('study', 'StudyDate=2020*', 'wild cards are not allowed for dates');
    rejects('series', 'SeriesNumber=1*', 'is not an integer');
  });

  it('folds person names, case and accents, with or without wild cards', () => {
    assert.deepEqual(matcherOf(parse('study', 'PatientName=buc^jérôme'), '00100010'), { kind: 'name', value: 'BUC^JEROME', pattern: false });
    assert.deepEqual(matcherOf(parse('study', 'PatientName=smi*'), '00100010'), { kind: 'name', value: 'SMI*', pattern: true });
    assert.deepEqual(matcherOf(parse('study', 'PatientName=Wang^XiaoDong=王^小東'), '00100010'), { kind: 'name', value: 'WANG^XIAODONG', pattern: false });
    rejects('study', 'PatientName==王^小東', 'only the alphabetic component group');
  });

  it('reads CS lists as any of the values', () => {
    assert.deepEqual(matcherOf(parse('study', 'ModalitiesInStudy=CT,MR'), '00080061'), { kind: 'equals', values: ['CT', 'MR'] });
    assert.deepEqual(matcherOf(parse('series', 'Modality=CT\\MR'), '00080060'), { kind: 'equals', values: ['CT', 'MR'] });
  });

  it('parses numbers by value, integers for IS', () => {
    assert.deepEqual(matcherOf(parse('series', 'SeriesNumber=007'), '00200011'), { kind: 'number', value: 7 });
    assert.deepEqual(matcherOf(parse('instance', 'SliceThickness=1.50'), '00180050'), { kind: 'number', value: 1.5 });
    rejects('series', 'SeriesNumber=1.5', 'is not an integer');
  });

  it('rejects unknown attributes, binary ones, private ones, sequences with a value', () => {
    rejects('study', 'PatientNom=x', 'unknown attribute "PatientNom"');
    rejects('study', '00100011=x', 'unknown attribute tag 00100011');
    rejects('instance', 'PixelData=x', 'cannot be matched (binary data)');
    rejects('study', '00091001=x', 'private attribute');
    rejects('study', 'OtherPatientIDsSequence=x', 'is a sequence');
    rejects('study', 'PatientID.PatientName=x', 'is not a sequence');
    rejects('study', 'PatientID=a&PatientID=b', 'more than once');
  });

  it('keeps sequence paths, resolved step by step', () => {
    const request = parse('series', 'RequestAttributesSequence.00400009=SPS1');
    assert.deepEqual(request.keys[0]?.path.map((step) => step.tag), ['00400275', '00400009']);
    assert.equal(request.keys[0]?.level, 'series');
  });

  it('accepts the levels each resource allows (PS3.18 10.6.1.2.1)', () => {
    rejects('study', 'Modality=CT', 'match ModalitiesInStudy');
    rejects('study', 'SOPClassUID=1.2', 'instance level attribute');
    rejects('series', 'SOPInstanceUID=1.2', 'when searching for series');
    assert.equal(parse('series', 'PatientName=x*&Modality=CT').keys.length, 2, 'relational: study keys on /series');
    assert.equal(parse('instance', 'PatientID=1&Modality=CT&SOPClassUID=1.2').keys.length, 3);
  });

  it('does not match computed attributes, nor Specific Character Set and Timezone Offset', () => {
    rejects('study', 'NumberOfStudyRelatedSeries=2', 'computed by the server');
    rejects('study', 'RetrieveURL=http://x', 'computed by the server');
    assert.deepEqual(matcherOf(parse('study', 'NumberOfStudyRelatedInstances='), '00201208'), { kind: 'universal' });
    assert.deepEqual(matcherOf(parse('study', 'TimezoneOffsetFromUTC=+0100'), '00080201'), { kind: 'universal' });
    assert.deepEqual(matcherOf(parse('study', 'SpecificCharacterSet=ISO_IR 100'), '00080005'), { kind: 'universal' });
  });
});

describe('parseQidoRequest: dates and times (PS3.4 C.2.2.2.5)', () => {
  it('takes single dates and the three forms of range', () => {
    assert.deepEqual(matcherOf(parse('study', 'StudyDate=20200115'), '00080020'), { kind: 'equals', values: ['20200115'] });
    assert.deepEqual(matcherOf(parse('study', 'StudyDate=20200101-20201231'), '00080020'), { kind: 'range', form: 'date', from: '20200101', to: '20201231' });
    assert.deepEqual(matcherOf(parse('study', 'StudyDate=-20201231'), '00080020'), { kind: 'range', form: 'date', from: undefined, to: '20201231' });
    assert.deepEqual(matcherOf(parse('study', 'StudyDate=20200101-'), '00080020'), { kind: 'range', form: 'date', from: '20200101', to: undefined });
  });

  it('rejects malformed dates and reversed ranges', () => {
    rejects('study', 'StudyDate=2020-01-01', 'is not a valid date');
    rejects('study', 'StudyDate=202001', 'is not a valid date');
    rejects('study', 'StudyDate=-', 'needs at least one bound');
    rejects('study', 'StudyDate=20201231-20200101', 'starts after it ends');
  });

  it('brings times to HHMMSS.FFFFFF bounds; a single time covers its precision', () => {
    assert.deepEqual(matcherOf(parse('study', 'StudyTime=1015'), '00080030'), { kind: 'range', form: 'time', from: '101500.000000', to: '101599.999999', single: true });
    assert.deepEqual(matcherOf(parse('study', 'StudyTime=10-113000.5'), '00080030'), { kind: 'range', form: 'time', from: '100000.000000', to: '113000.599999' });
    assert.deepEqual(matcherOf(parse('study', 'StudyTime=-0900'), '00080030'), { kind: 'range', form: 'time', from: undefined, to: '090099.999999' });
    rejects('study', 'StudyTime=25:00', 'is not a valid time');
  });

  it('parses datetimes, a negative offset not taken for the range separator', () => {
    assert.deepEqual(matcherOf(parse('instance', 'AcquisitionDateTime=2020-202101011200'), '0008002A'), {
      kind: 'range', form: 'datetime', from: '20200000000000.000000', to: '20210101120099.999999',
    });
    assert.deepEqual(matcherOf(parse('instance', 'AcquisitionDateTime=20200101120000-0500-'), '0008002A'), {
      kind: 'range', form: 'datetime', from: '20200101120000.000000', to: undefined,
    });
    assert.deepEqual(matcherOf(parse('instance', 'AcquisitionDateTime=20200101'), '0008002A'), {
      kind: 'range', form: 'datetime', from: '20200101000000.000000', to: '20200101999999.999999', single: true,
    });
  });

  it('combines a date range and a time range of the same form (PS3.18 8.3.4.1.1)', () => {
    const request = parse('study', 'StudyDate=20200105-20200107&StudyTime=1000-1800');
    const date = request.keys.find((key) => key.path[0]?.tag === '00080020');
    assert.deepEqual(date?.time, { tag: '00080030', from: '100000.000000', to: '180099.999999' });
    assert.deepEqual(matcherOf(request, '00080030'), { kind: 'universal' }, 'the time is matched with the date, and still returned');
    assert.equal(parse('study', 'StudyDate=20200105-20200107&StudyTime=1000-').keys.find((key) => key.time), undefined, 'different forms: separate');
    assert.equal(parse('study', 'StudyDate=20200105-20200107&StudyTime=1000').keys.find((key) => key.time), undefined, 'a single time: separate');
  });
});

describe('parseQidoRequest: includefield, fuzzymatching, limit, offset', () => {
  it('takes repeated and comma-separated includefield, keeping the levels allowed', () => {
    assert.deepEqual(parse('study', 'includefield=00081048,StudyDescription&includefield=00081060').include, ['00081048', '00081030', '00081060']);
    assert.deepEqual(parse('study', 'includefield=Modality,SOPClassUID').include, [], 'series and instance attributes are not returned for studies (10.6.3.3.1)');
    assert.deepEqual(parse('instance', 'includefield=PatientName').include, ['00100010']);
    assert.equal(parse('series', 'includefield=all').include, 'all');
    assert.equal(parse('series', 'includefield=all&includefield=Modality').include, 'all');
    assert.deepEqual(parse('series', 'includefield=RequestAttributesSequence.ScheduledProcedureStepID').include, ['00400275'], 'a path returns its sequence');
    rejects('study', 'includefield=Nonsense', 'unknown attribute');
  });

  it('reads fuzzymatching as true or false', () => {
    assert.equal(parse('study', '').fuzzy, false);
    assert.equal(parse('study', 'fuzzymatching=true').fuzzy, true);
    assert.equal(parse('study', 'fuzzymatching=false').fuzzy, false);
    rejects('study', 'fuzzymatching=yes', 'must be true or false');
  });

  it('defaults limit to the maximum, caps it there, and takes offset', () => {
    assert.equal(parse('study', '').limit, QIDO_MAX_RESULTS.study);
    assert.equal(parse('instance', '').limit, QIDO_MAX_RESULTS.instance);
    assert.equal(parse('study', 'limit=25&offset=50').limit, 25);
    assert.equal(parse('study', 'limit=25&offset=50').offset, 50);
    assert.equal(parse('study', 'limit=0').limit, 0);
    assert.equal(parse('study', 'limit=999999').limit, QIDO_MAX_RESULTS.study);
    rejects('study', 'limit=-1', 'non-negative integer');
    rejects('study', 'offset=1.5', 'non-negative integer');
    rejects('study', 'limit=ten', 'non-negative integer');
    rejects('study', 'limit=1&limit=2', 'more than once');
  });

  it('warns that emptyvaluematching is not supported, and leaves accept and charset to the route', () => {
    assert.deepEqual(parse('study', 'emptyvaluematching=true').warnings, ['The emptyvaluematching parameter is not supported. Empty Value Matching has not been performed.']);
    assert.deepEqual(parse('study', 'emptyvaluematching=false&accept=application/dicom%2Bjson&charset=utf-8').warnings, []);
  });

  it('checks the UIDs of the path', () => {
    rejects('series', '', 'not a UID', { studyUid: '1.2.x' });
    rejects('series', '', 'only scopes a search for instances', { studyUid: '1.2', seriesUid: '1.2.3' });
    assert.deepEqual(parse('instance', '', { studyUid: '1.2', seriesUid: '1.2.3' }).scope, { studyUid: '1.2', seriesUid: '1.2.3' });
  });
});

describe('SQL of a search', () => {
  it('translates wild cards after escaping LIKE specials', () => {
    assert.equal(likePattern('AB*'), 'AB%');
    assert.equal(likePattern('A?C'), 'A_C');
    assert.equal(likePattern('100%_\\*'), '100\\%\\_\\\\%');
  });

  it('binds every value: nothing from the query reaches the SQL text', () => {
    const hostile = "x'; DROP TABLE dicom_study; --";
    const request = parse('instance', new URLSearchParams({ PatientName: `${hostile}*`, StudyDescription: hostile, ImageType: hostile, 'RequestAttributesSequence.ScheduledProcedureStepID': hostile }).toString());
    const statement = searchStatement(request, returnPlan(request));
    assert.ok(!statement.text.includes('DROP'), statement.text);
    assert.ok(statement.params.some((param) => typeof param === 'string' && param.includes('DROP TABLE')));
  });

  it('uses the indexed column for a prefix wild card on the patient name', () => {
    const request = parse('study', 'PatientName=smi*');
    const statement = searchStatement(request, returnPlan(request));
    assert.match(statement.text, /s\.patient_name_norm LIKE \$1/);
    assert.equal(statement.params[0], 'SMI%');
  });
});
