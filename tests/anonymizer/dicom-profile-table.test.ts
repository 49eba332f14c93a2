// PS3.15 Table E.1-1 as shipped, and the way its actions resolve under the options.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { confidentialityProfile, PROFILE_ROWS, resolveOptions, rowAction } from '../../anonymizer/dicom/index.ts';

const FIXTURE = '/work/shared/fixtures/dicom-standard/confidentiality_profile_attributes.json';
const SHIPPED = new URL('../../anonymizer/dicom/confidentiality-profile.json', import.meta.url);

test('the shipped table is the standard table of the fixtures, all 621 rows', () => {
  assert.deepEqual(JSON.parse(readFileSync(SHIPPED, 'utf8')), JSON.parse(readFileSync(FIXTURE, 'utf8')));
  assert.equal(PROFILE_ROWS.length, 621);
});

test('compound actions take the alternative valid for any IOD Type', () => {
  const profile = confidentialityProfile(resolveOptions({ retainLongitudinalModifiedDates: false }));
  assert.equal(profile.actionFor('00080050'), 'empty'); // Accession Number, Z
  assert.equal(profile.actionFor('00184000'), 'remove'); // Acquisition Comments, X
  assert.equal(profile.actionFor('00080022'), 'empty'); // Acquisition Date, X/Z
  assert.equal(profile.actionFor('00080021'), 'dummy'); // Series Date, X/D
  assert.equal(profile.actionFor('00100020'), 'dummy'); // Patient ID, Z/D
  assert.equal(profile.actionFor('00080080'), 'dummy'); // Institution Name, X/Z/D
  assert.equal(profile.actionFor('00081140'), 'uid'); // Referenced Image Sequence, X/Z/U*
  assert.equal(profile.actionFor('0020000D'), 'uid'); // Study Instance UID, U
  assert.equal(profile.actionFor('0020000d'), 'uid'); // either case
  assert.equal(profile.actionFor('00280010'), undefined); // Rows: not in the table, kept
  assert.equal(profile.privateAction, 'remove');
});

test('repeating groups (50xx, 60xx) match their rows', () => {
  const profile = confidentialityProfile(resolveOptions());
  assert.equal(profile.actionFor('50023000'), 'remove'); // Curve Data
  assert.equal(profile.actionFor('60003000'), 'remove'); // Overlay Data
  assert.equal(profile.actionFor('601E4000'), 'remove'); // Overlay Comments
  assert.equal(profile.actionFor('60000010'), undefined); // Overlay Rows: not a table row
});

test('options: retaining wins over cleaning, cleaning over the basic action', () => {
  const row = (id: string) => PROFILE_ROWS.find((r) => r.id === id) as (typeof PROFILE_ROWS)[number];
  const allergies = row('00102110'); // X, Retain Patient Characteristics C, Clean Descriptors C
  assert.equal(rowAction(allergies, resolveOptions()), 'remove');
  assert.equal(rowAction(allergies, resolveOptions({ cleanDescriptors: true })), 'clean');
  const deviceUid = row('00181002'); // U, Retain UIDs K, Retain Device Identity K
  assert.equal(rowAction(deviceUid, resolveOptions({ retainDeviceIdentity: true })), 'keep');
  const stationAe = row('00080055'); // X, Retain Device Identity C
  assert.equal(rowAction(stationAe, resolveOptions({ retainDeviceIdentity: true })), 'clean');
  const studyDate = row('00080020'); // Z, full dates K, modified dates C
  assert.equal(rowAction(studyDate, resolveOptions()), 'clean'); // modified dates are on by default
  assert.equal(rowAction(studyDate, resolveOptions({ retainLongitudinalFullDates: true })), 'keep');
  assert.equal(rowAction(studyDate, resolveOptions({ retainLongitudinalModifiedDates: false })), 'empty');
  assert.equal(confidentialityProfile(resolveOptions({ safePrivate: [{ creator: 'GEMS_ACQU_01', tag: '0019xx10' }] })).privateAction, 'clean');
});

test('contradictory or malformed options are refused', () => {
  assert.throws(() => resolveOptions({ retainLongitudinalFullDates: true, retainLongitudinalModifiedDates: true }), RangeError);
  assert.throws(() => resolveOptions({ safePrivate: [{ creator: 'X', tag: '0028xx08' }] }), RangeError); // even group
  assert.throws(() => resolveOptions({ safePrivate: [{ creator: '', tag: '0029xx08' }] }), RangeError);
});
