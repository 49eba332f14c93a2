/**
 * Each rule method on its own, the order of rules (the first that selects a node or an ancestor
 * decides), empty parents dropped, profiles checked on load, references rewritten.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { Pseudonymizer } from '../../anonymizer/pseudonyms.ts';
import { shiftIsoDate } from '../../anonymizer/date-shift.ts';
import { checkProfile, deidentifyResource, InvalidRuleError, ReferenceRewriter, researchProfile, type DeidentifyContext, type Rule } from '../../anonymizer/fhir/index.ts';

const pseudonymizer = new Pseudonymizer('a-research-secret-of-at-least-32-characters');
const IDENTITY = 'urn:oid:1.2.3|X1';
const SHIFT = pseudonymizer.dateShiftDays(IDENTITY);

function run<T extends Resource>(resource: T, rules: Rule[]): T {
  const context: DeidentifyContext = {
    pseudonymizer,
    profile: checkProfile({ name: 'test', rules }),
    references: new ReferenceRewriter({ pseudonymizer, patientIdentityById: () => IDENTITY }),
    patientIdentityFor: () => IDENTITY,
  };
  const { meta: _meta, ...rest } = deidentifyResource(resource, context) as T & { meta?: unknown };
  return rest as unknown as T;
}

const patient: Patient = {
  resourceType: 'Patient',
  name: [{ use: 'official', family: 'Chalmers', given: ['Peter', 'James'] }],
  gender: 'male',
  birthDate: '1974-12-25',
  address: [{ line: ['534 Erewhon St'], city: 'PleasantVille', postalCode: '3999', country: 'AU' }],
};

describe('FHIR de-identification rules', () => {
  it('keeps what no rule selects, and what keep selects', () => {
    // (A Patient always leaves with its pseudonymous identifier.)
    const { identifier: _identifier, ...out } = run(patient, [{ path: 'Patient.gender', method: 'keep' }]);
    assert.deepEqual(out, patient);
  });

  it('redacts an element, and parents left empty with it', () => {
    const out = run(patient, [{ path: 'Patient.name.family', method: 'redact' }, { path: 'Patient.name.given', method: 'redact' }, { path: 'Patient.name.use', method: 'redact' }]);
    assert.equal(out.name, undefined);
    assert.equal(out.gender, 'male');
  });

  it('lets the first rule decide: a keep before a broader redact carves out an exception, after it does nothing', () => {
    const kept = run(patient, [{ path: 'Patient.address.country', method: 'keep' }, { path: "nodesByType('Address')", method: 'redact' }]);
    assert.deepEqual(kept.address, [{ country: 'AU' }]);
    const redacted = run(patient, [{ path: "nodesByType('Address')", method: 'redact' }, { path: 'Patient.address.country', method: 'keep' }]);
    assert.equal(redacted.address, undefined);
  });

  it('hashes with the keyed hash', () => {
    const out = run(patient, [{ path: 'Patient.name.family', method: 'cryptoHash' }]);
    assert.equal(out.name?.[0]?.family, pseudonymizer.hash('Chalmers'));
  });

  it('shifts dates by the patient\'s shift, keeping their precision', () => {
    const observation: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, effectivePeriod: { start: '2016-03-28T10:00:00Z', end: '2016-03' }, issued: '2016-03-28T10:05:00.000Z' };
    const out = run(observation, [{ path: "nodesByType('dateTime')", method: 'dateShift' }, { path: "nodesByType('instant')", method: 'dateShift' }]);
    assert.deepEqual(out.effectivePeriod, { start: shiftIsoDate('2016-03-28T10:00:00Z', SHIFT), end: shiftIsoDate('2016-03', SHIFT) });
    assert.equal(out.issued, shiftIsoDate('2016-03-28T10:05:00.000Z', SHIFT));
    assert.equal(out.status, 'final');
  });

  it('generalizes a birth date to its year and a postal code to its first characters', () => {
    const out = run(patient, [{ path: 'Patient.birthDate', method: 'generalize', params: { to: 'year' } }, { path: 'Patient.address.postalCode', method: 'generalize', params: { to: 'prefix', length: 2 } }]);
    assert.equal(out.birthDate, '1974');
    assert.equal(out.address?.[0]?.postalCode, '39');
  });

  it('generalizes ages over 89 to 90 or more', () => {
    const condition = { resourceType: 'Condition', subject: { reference: 'Patient/p' }, onsetAge: { value: 93, unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' } } as Resource;
    const out = run(condition, [{ path: "nodesByType('Age')", method: 'generalize', params: { to: 'age' } }]) as Resource & { onsetAge?: unknown };
    assert.deepEqual(out.onsetAge, { value: 90, comparator: '>=', unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' });
  });

  it('substitutes a fixed value', () => {
    const out = run(patient, [{ path: 'Patient.name', method: 'substitute', params: { value: { text: 'anonymous' } } }]);
    assert.deepEqual(out.name, [{ text: 'anonymous' }]);
  });

  it('reads Resource.x as the element of any resource type', () => {
    const out = run({ ...patient, text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Peter</div>' } }, [{ path: 'Resource.text', method: 'redact' }]);
    assert.equal(out.text, undefined);
  });

  it('refuses a profile with an unknown method, a bad FHIRPath or missing parameters', () => {
    assert.throws(() => checkProfile({ name: 'bad', rules: [{ path: 'Patient.name', method: 'scramble' as 'redact' }] }), InvalidRuleError);
    assert.throws(() => checkProfile({ name: 'bad', rules: [{ path: 'Patient.name.where(', method: 'redact' }] }), InvalidRuleError);
    assert.throws(() => checkProfile({ name: 'bad', rules: [{ path: 'Patient.birthDate', method: 'generalize' }] }), InvalidRuleError);
    assert.ok(researchProfile().rules.length > 10);
  });

  it('rewrites references: Patient to its pseudonym, others to a keyed hash, urn:uuid and # untouched, unknown URLs removed', () => {
    const rewriter = new ReferenceRewriter({ pseudonymizer, patientIdentityById: (id) => (id === 'p' ? IDENTITY : undefined) });
    assert.equal(rewriter.rewrite('Patient/p'), `Patient/${pseudonymizer.pseudonym(IDENTITY)}`);
    assert.equal(rewriter.rewrite('http://example.org/fhir/Patient/p/_history/2'), `http://example.org/fhir/Patient/${pseudonymizer.pseudonym(IDENTITY)}`);
    assert.equal(rewriter.rewrite('Encounter/e1'), `Encounter/${pseudonymizer.hash('Encounter/e1')}`);
    assert.equal(rewriter.rewrite('urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a'), 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a');
    assert.equal(rewriter.rewrite('#contained-1'), '#contained-1');
    assert.equal(rewriter.rewrite('http://acme.org/people/peter-chalmers'), undefined);
  });
});
