// openEHR de-identification on the shared fixtures: no name, identifier, reference or exact date
// survives; dates move by the patient's shift; the subject is the pseudonym the FHIR and DICOM
// exports give the same patient; the output still conforms to the RM classes; garbage is refused.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Patient } from '@medplum/fhirtypes';
import { anonymizeDicom } from '../../anonymizer/dicom/index.ts';
import { deidentifyResources } from '../../anonymizer/fhir/index.ts';
import { patientIdentity, Pseudonymizer, PSEUDONYM_SYSTEM, shiftIsoDate } from '../../anonymizer/index.ts';
import { anonymizeComposition, anonymizeEhrStatus, InvalidRmError, readRm, subjectIdentity, UnknownSubjectError, type RmObject } from '../../anonymizer/openehr/index.ts';
import { assigningAuthoritySystem } from '../../profiles/index.ts';

const FIXTURES = '/work/shared/fixtures/openehr';
const SECRET = 'openehr-anonymize-test-secret-0123456789';
const pseudonymizer = new Pseudonymizer(SECRET);
const IDENTITY = patientIdentity('urn:oid:1.2.250.1.213.1.4.8', '1840512345678');
const fixtures = readdirSync(FIXTURES).map((file) => ({ file, json: JSON.parse(readFileSync(`${FIXTURES}/${file}`, 'utf8')) as RmObject }));

const anonymize = (json: RmObject, options: { removeFreeText?: boolean; identity?: string } = {}): RmObject =>
  json._type === 'EHR_STATUS' ? anonymizeEhrStatus(json, pseudonymizer, options) : anonymizeComposition(json, pseudonymizer, { identity: IDENTITY, ...options });

/** Every object of the document with the path it sits at. */
function objects(value: unknown, path = ''): { path: string; object: Record<string, unknown> }[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => objects(item, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const object = value as Record<string, unknown>;
  return [{ path, object }, ...Object.entries(object).flatMap(([key, child]) => objects(child, `${path}/${key}`))];
}
const typeOf = (object: Record<string, unknown>, path: string): string | undefined =>
  typeof object._type === 'string' ? object._type : /\/(start_time|end_time|time|origin)$/.test(path) ? 'DV_DATE_TIME' : undefined;

/** What identifies in the input: party names, identifiers, reference ids, locations, uids, dates. */
function identifying(json: RmObject): string[] {
  const found: string[] = [];
  for (const { path, object } of objects(json)) {
    const type = typeOf(object, path);
    if (type?.startsWith('PARTY_') && typeof object.name === 'string') found.push(object.name);
    if (type === 'DV_IDENTIFIER') found.push(...[object.id, object.issuer, object.assigner].filter((v): v is string => typeof v === 'string'));
    if (/external_ref\/id$/.test(path) || /\/uid$/.test(path)) found.push(String(object.value));
    // A year alone may come back as another year's shift ("2022" shifted can be "2021"): the shift test covers those.
    if ((type === 'DV_DATE' || type === 'DV_DATE_TIME') && String(object.value).length >= 10) found.push(String(object.value));
    if (type === 'EVENT_CONTEXT' && typeof object.location === 'string') found.push(object.location);
  }
  return found.filter((value) => value.length >= 4);
}

describe('openEHR de-identification', () => {
  it('lets no party name, identifier, reference, uid, location or exact date through, in any fixture', () => {
    for (const { file, json } of fixtures) {
      const text = JSON.stringify(anonymize(json));
      const secrets = identifying(json);
      assert.ok(secrets.length >= 2, `${file}: the fixture has identifying values to check`);
      for (const value of secrets) assert.ok(!text.includes(value), `${file}: an original value survives`);
    }
  });

  it('moves every DV_DATE and DV_DATE_TIME by the patient\'s shift, keeping precision', () => {
    const shift = pseudonymizer.dateShiftDays(IDENTITY);
    let checked = 0;
    for (const { json } of fixtures.filter(({ json }) => json._type === 'COMPOSITION')) {
      const output = new Map(objects(anonymize(json)).map(({ path, object }) => [path, object]));
      for (const { path, object } of objects(json)) {
        const type = typeOf(object, path);
        if (type !== 'DV_DATE' && type !== 'DV_DATE_TIME') continue;
        assert.equal(output.get(path)?.value, shiftIsoDate(String(object.value), shift), path);
        checked += 1;
      }
    }
    assert.ok(checked >= 10, `only ${checked} dates checked`);
    assert.ok(JSON.stringify(anonymize(fixtures.find(({ file }) => file.includes('partial'))!.json)).includes(`"value":"${shiftIsoDate('2021', shift)}"`), 'a year stays a year');
  });

  it('gives the subject the pseudonym, and other parties a keyed reference without name or identifiers', () => {
    const status = fixtures.find(({ json }) => json._type === 'EHR_STATUS')!.json;
    const identity = subjectIdentity(readRm(status, 'EHR_STATUS'));
    assert.equal(identity, patientIdentity('patients', 'abc12345-none-exis-ting-fa8308e1242f'));
    const out = anonymize(status);
    const ref = (out.subject as RmObject).external_ref as RmObject;
    assert.equal(ref.namespace, PSEUDONYM_SYSTEM);
    assert.equal((ref.id as RmObject).value, pseudonymizer.pseudonym(identity as string));
    const composition = anonymize(fixtures.find(({ file }) => file.includes('participation'))!.json);
    const parties = objects(composition).filter(({ object }) => object._type === 'PARTY_IDENTIFIED').map(({ object }) => object);
    assert.ok(parties.length >= 3);
    for (const party of parties) {
      assert.deepEqual(Object.keys(party).sort(), ['_type', 'external_ref']);
      assert.match(String(((party.external_ref as RmObject).id as RmObject).value), /^[0-9a-f]{32}$/);
    }
    const selves = objects(composition).filter(({ object }) => object._type === 'PARTY_SELF');
    for (const { object } of selves) assert.equal(((object.external_ref as RmObject).id as RmObject).value, pseudonymizer.pseudonym(IDENTITY));
  });

  it('masks identifiers and multimedia, and free text unless kept; the output still reads as the RM', () => {
    const consult = fixtures.find(({ file }) => file.includes('consult'))!.json;
    const masked = anonymize(consult);
    readRm(masked, 'COMPOSITION');
    const elements = objects(masked).filter(({ object }) => object._type === 'ELEMENT').map(({ object }) => object);
    assert.ok(elements.every((e) => !['DV_TEXT', 'DV_MULTIMEDIA', 'DV_IDENTIFIER'].includes((e.value as RmObject | undefined)?._type ?? '')));
    assert.ok(elements.some((e) => (e.null_flavour as RmObject | undefined)?.value === 'masked'));
    assert.ok(elements.some((e) => (e.value as RmObject | undefined)?._type === 'DV_CODED_TEXT'), 'coded values stay');
    const kept = JSON.stringify(anonymize(consult, { removeFreeText: false }));
    assert.ok(kept.includes('OP consult record'));
    assert.ok(!kept.includes('U2hhbGwgQmUgQmFzZTY0IGVuY29kZWQ='), 'an attachment goes even when free text stays');
    for (const { json } of fixtures) readRm(anonymize(json), json._type);
  });

  it('is the same for the same secret, different under another', () => {
    for (const { json } of fixtures) {
      assert.equal(JSON.stringify(anonymize(json)), JSON.stringify(anonymize(json)));
      const other = json._type === 'EHR_STATUS' ? anonymizeEhrStatus(json, new Pseudonymizer(`${SECRET}-other`)) : anonymizeComposition(json, new Pseudonymizer(`${SECRET}-other`), { identity: IDENTITY });
      assert.notEqual(JSON.stringify(other), JSON.stringify(anonymize(json)));
    }
  });

  it('refuses what it cannot judge: unknown classes and attributes, dates that are not dates, no subject', () => {
    const consult = fixtures.find(({ file }) => file.includes('consult'))!.json;
    assert.throws(() => anonymizeComposition({ ...consult, content: [{ _type: 'GENERIC_ENTRY_X' }] }, pseudonymizer, { identity: IDENTITY }), InvalidRmError);
    assert.throws(() => anonymizeComposition({ ...consult, secret_note: 'Jean Dupont' }, pseudonymizer, { identity: IDENTITY }), /COMPOSITION has no attribute "secret_note"/);
    const context = { ...(consult.context as RmObject), start_time: { _type: 'DV_DATE_TIME', value: 'yesterday' } };
    assert.throws(() => anonymizeComposition({ ...consult, context }, pseudonymizer, { identity: IDENTITY }), InvalidRmError);
    assert.throws(() => anonymizeComposition(consult, pseudonymizer), UnknownSubjectError);
    for (const garbage of [null, 42, 'COMPOSITION', [], { _type: 'EHR_STATUS' }]) assert.throws(() => anonymizeComposition(garbage, pseudonymizer, { identity: IDENTITY }), InvalidRmError);
  });

  it('links one patient across FHIR, DICOM and openEHR: one pseudonym, one shift', () => {
    const dicomFile = readFileSync('/work/shared/fixtures/dicom/MR_ImplVRLE_study1026_MR01.dcm');
    const dicom = anonymizeDicom(dicomFile, pseudonymizer);
    // The FHIR Patient and the EHR's subject carry PatientID 583295 under the system the DICOMweb sync gives it.
    const system = assigningAuthoritySystem('', '', '');
    const patient: Patient = { resourceType: 'Patient', id: 'p1', identifier: [{ system, value: '583295' }], birthDate: '1970-05-06' };
    const [fhir] = deidentifyResources([patient], pseudonymizer) as Patient[];
    const status = fixtures.find(({ json }) => json._type === 'EHR_STATUS')!.json;
    const subject = { _type: 'PARTY_SELF', external_ref: { _type: 'PARTY_REF', id: { _type: 'GENERIC_ID', value: '583295', scheme: 'id' }, namespace: system, type: 'PERSON' } };
    const openehr = anonymizeEhrStatus({ ...status, subject }, pseudonymizer);
    const pseudonym = ((((openehr.subject as RmObject).external_ref as RmObject).id as RmObject).value);
    assert.equal(fhir?.id, dicom.patient.pseudonym);
    assert.equal(pseudonym, dicom.patient.pseudonym);
    const composition = anonymizeComposition(fixtures.find(({ file }) => file.includes('consult'))!.json, pseudonymizer, { identity: subjectIdentity(readRm({ ...status, subject }, 'EHR_STATUS')) });
    const shift = pseudonymizer.dateShiftDays(dicom.patient.identity);
    assert.equal(((composition.context as RmObject).start_time as RmObject).value, shiftIsoDate('2022-02-03T04:05:06', shift));
  });
});
