// Every Table E.1-1 attribute found in the fixture files (at any depth) obeys its action in the
// output, with the default options (modified dates) and with most options on. The expected
// action is derived here from the table's rows, independently of the profile's compilation.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import dcmjs, { type DcmjsDataset, type DcmjsElement } from 'dcmjs';
import { anonymizeDicom, PROFILE_ROWS, type DicomAnonymizeOptions } from '../../anonymizer/dicom/index.ts';
import { Pseudonymizer, shiftDicomDate } from '../../anonymizer/index.ts';

const FIXTURES = '/work/shared/fixtures/dicom';
const SECRET = 'annex-e-test-secret-of-at-least-32-characters';

/** The rule choices, restated from the issue: X/Z -> Z; X/D, Z/D, X/Z/D -> D; X/Z/U* -> U. */
const BASIC: Record<string, string> = { X: 'X', Z: 'Z', D: 'D', K: 'K', C: 'C', U: 'U', 'X/Z': 'Z', 'X/D': 'D', 'Z/D': 'D', 'X/Z/D': 'D', 'X/Z/U*': 'U' };
const COLUMNS: [keyof DicomAnonymizeOptions, string][] = [
  ['retainLongitudinalModifiedDates', 'rtnLongModifDatesOpt'],
  ['retainLongitudinalFullDates', 'rtnLongFullDatesOpt'],
  ['retainPatientCharacteristics', 'rtnPatCharsOpt'],
  ['retainDeviceIdentity', 'rtnDevIdOpt'],
  ['retainInstitutionIdentity', 'rtnInstIdOpt'],
  ['retainUids', 'rtnUIDsOpt'],
  ['cleanDescriptors', 'cleanDescOpt'],
];
const rows = new Map(PROFILE_ROWS.filter((r) => /^[0-9a-f]{8}$/.test(r.id)).map((r) => [r.id.toUpperCase(), r as unknown as Record<string, string>]));

function expected(tag: string, options: Partial<DicomAnonymizeOptions>): string | undefined {
  const row = rows.get(tag);
  if (!row) return undefined;
  const chosen = COLUMNS.filter(([option]) => options[option]).map(([, column]) => row[column]);
  if (chosen.includes('K')) return 'K';
  if (chosen.includes('C')) return 'C';
  return BASIC[row.basicProfile as string];
}

function read(bytes: Buffer): { meta: DcmjsDataset; dict: DcmjsDataset } {
  return dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}

const values = (el: DcmjsElement | undefined): unknown[] => (Array.isArray(el?.Value) ? el.Value.filter((v) => v !== null && v !== undefined && v !== '') : []);
const text = (el: DcmjsElement | undefined): string => JSON.stringify(values(el));

interface Check {
  file: string;
  seen: Set<string>;
  /** How often each action was checked, so a run that checks nothing fails. */
  actions: Map<string, number>;
  pseudonymizer: Pseudonymizer;
  shift: number;
  options: Partial<DicomAnonymizeOptions>;
}

/** Compares one dataset of the input with the same dataset of the output. */
function compare(input: DcmjsDataset, output: DcmjsDataset, path: string, check: Check): void {
  for (const [tag, el] of Object.entries(input)) {
    const where = `${check.file} ${path}${tag}`;
    const out = output[tag];
    if (parseInt(tag.slice(0, 4), 16) & 1) {
      assert.equal(out, undefined, `${where}: private attributes are removed`);
      continue;
    }
    const action = expected(tag, check.options);
    if (action === undefined) {
      if (el.vr === 'SQ') compareItems(el, out, where, path + tag, check);
      continue;
    }
    check.seen.add(tag);
    check.actions.set(action, (check.actions.get(action) ?? 0) + 1);
    const isPatient = path === '' && (tag === '00100010' || tag === '00100020');
    if (isPatient) continue; // checked against the pseudonym in dicom-anonymize.test.ts
    if (action === 'X') {
      assert.equal(out, undefined, `${where}: X removes`);
      continue;
    }
    assert.ok(out, `${where}: ${action} keeps the attribute present`);
    if (action === 'Z') {
      assert.equal(values(out).length, 0, `${where}: Z empties`);
      continue;
    }
    if (values(el).length === 0) {
      if (el.vr !== 'SQ') assert.equal(values(out).length, 0, `${where}: an empty value stays empty`);
      continue;
    }
    if (el.vr === 'SQ') {
      compareItems(el, out, where, path + tag, check);
      continue;
    }
    if (el.vr === 'UI' && (action === 'U' || action === 'D')) {
      assert.deepEqual(values(out), values(el).map((v) => check.pseudonymizer.uid(String(v))), `${where}: ${action} maps the UID`);
      continue;
    }
    if (action === 'K') {
      assert.equal(text(out), text(el), `${where}: K keeps`);
    } else if (action === 'D') {
      assert.ok(values(out).length > 0, `${where}: D gives a dummy`);
      assert.notEqual(text(out), text(el), `${where}: D replaces the value`);
    } else if (action === 'C') {
      if (el.vr === 'DA' || el.vr === 'DT') {
        const shifted = values(el).map((v) => shiftDicomDate(String(v), check.shift));
        const want = shifted.every((v) => v !== undefined) ? shifted : [];
        assert.deepEqual(values(out), want, `${where}: C shifts the date by the patient's shift`);
      } else if (el.vr === 'TM' || (el.vr === 'SH' && tag === '00080201')) {
        assert.equal(text(out), text(el), `${where}: C keeps times of day and the zone`);
      } else if (el.vr === 'AE') {
        assert.notEqual(text(out), text(el), `${where}: C gives AE titles a pseudonym`);
      } else if (['LO', 'SH', 'ST', 'LT', 'UT', 'UC', 'PN'].includes(el.vr)) {
        assert.equal(values(out).length, 0, `${where}: C empties free text`);
      }
    } else {
      assert.fail(`${where}: unexpected action ${action}`);
    }
  }
}

function compareItems(el: DcmjsElement, out: DcmjsElement | undefined, where: string, path: string, check: Check): void {
  const inItems = (el.Value ?? []) as DcmjsDataset[];
  const outItems = (out?.Value ?? []) as DcmjsDataset[];
  assert.equal(outItems.length, inItems.length, `${where}: a kept sequence keeps its items`);
  inItems.forEach((item, i) => compare(item, outItems[i] as DcmjsDataset, `${path}[${i}].`, check));
}

function runOver(options: Partial<DicomAnonymizeOptions>): { seen: Set<string>; actions: Map<string, number> } {
  const pseudonymizer = new Pseudonymizer(SECRET);
  const seen = new Set<string>();
  const actions = new Map<string, number>();
  for (const file of readdirSync(FIXTURES)) {
    const bytes = readFileSync(`${FIXTURES}/${file}`);
    const result = anonymizeDicom(bytes, pseudonymizer, { ...options, allowBurnedInAnnotation: true });
    const input = read(bytes);
    const output = read(result.bytes);
    compare(input.dict, output.dict, '', { file, seen, actions, pseudonymizer, shift: pseudonymizer.dateShiftDays(result.patient.identity), options });
    assert.deepEqual(values(output.meta['00020003']), values(output.dict['00080018']), `${file}: MediaStorageSOPInstanceUID follows SOPInstanceUID`);
    assert.deepEqual(values(output.meta['00020010']), values(input.meta['00020010']), `${file}: the transfer syntax is kept`);
  }
  return { seen, actions };
}

const exercised = (actions: Map<string, number>, ...wanted: string[]): void => {
  for (const action of wanted) assert.ok((actions.get(action) ?? 0) > 0, `no attribute with action ${action} was checked`);
};

test('default options (modified dates): every table attribute in the fixtures obeys its action', () => {
  const { seen, actions } = runOver({ retainLongitudinalModifiedDates: true });
  assert.ok(seen.size >= 90, `only ${seen.size} table attributes checked`);
  exercised(actions, 'X', 'Z', 'D', 'U', 'C');
});

test('basic profile alone: dates follow the basic action', () => {
  exercised(runOver({ retainLongitudinalModifiedDates: false }).actions, 'X', 'Z', 'D', 'U');
});

test('options on: retained and cleaned attributes obey theirs', () => {
  const { actions } = runOver({ retainUids: true, retainPatientCharacteristics: true, retainDeviceIdentity: true, retainInstitutionIdentity: true, cleanDescriptors: true, retainLongitudinalModifiedDates: false, retainLongitudinalFullDates: true });
  exercised(actions, 'K', 'C', 'X', 'Z', 'D');
});
