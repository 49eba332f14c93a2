/**
 * The research profile over every FHIR fixture (and the entries of the Bundle): no name,
 * identifier, telecom, address or exact date survives; one pseudonym and one shift per patient,
 * the same across resources and runs with one secret, other ones with another secret; references
 * point at the pseudonymous ids; the output is still valid FHIR.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { validateResource } from '@medplum/core';
import type { Bundle, Encounter, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { patientIdentity, Pseudonymizer } from '../../anonymizer/pseudonyms.ts';
import { deidentifyResources, patientIdentityOf, PSEUDONYM_SYSTEM } from '../../anonymizer/fhir/index.ts';
import { loadR4Definitions } from '../../fhir/index.ts';

const SECRET = 'a-research-secret-of-at-least-32-characters';
const OTHER = 'another-research-secret-of-32-characters!!';
const DAY_MS = 86_400_000;
const FIXTURES = '/work/shared/fixtures/fhir';

const fixtures: Resource[] = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(`${FIXTURES}/${f}`, 'utf8')));
const bundle = fixtures.find((r) => r.resourceType === 'Bundle') as Bundle;
const byId = <T extends Resource>(resources: Resource[], type: string, id: string): T => resources.find((r) => r.resourceType === type && r.id === id) as T;
const all = (resources: Resource[]): Resource[] => resources.flatMap((r) => [r, ...(r.resourceType === 'Bundle' ? (r.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])) : [])]);

/** The string values of an input that name or locate a person, or are exact dates. */
function sensitiveValues(value: unknown, key = '', within = ''): string[] {
  if (typeof value === 'string') {
    const isDate = /^\d{4}-\d{2}(-\d{2})?(T.*)?$/.test(value);
    const personal = (within === 'name' && ['family', 'given', 'prefix', 'suffix', 'text'].includes(key))
      || (within === 'identifier' && key === 'value')
      || (within === 'telecom' && key === 'value')
      || (within === 'address' && ['line', 'city', 'district', 'text', 'postalCode'].includes(key));
    return isDate || personal ? [value] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item) => sensitiveValues(item, key, within));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => sensitiveValues(v, k, ['name', 'identifier', 'telecom', 'address'].includes(k) ? k : within));
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsOf);
  return [];
}

/** Keyed hashes, replacement UIDs and pseudonyms are digits and letters that may contain a short value by chance. */
const PSEUDONYMOUS = /^(?:[0-9a-f]{64}|(?:urn:oid:)?2\.25\.\d+|[A-Z2-7]{26})$/;
const pathOf = (reference: string): string => reference.split('/').pop() ?? '';

describe('FHIR de-identification with the research profile', () => {
  loadR4Definitions();
  const pseudonymizer = new Pseudonymizer(SECRET);
  const output = deidentifyResources(fixtures, pseudonymizer);

  it('lets no name, identifier, telecom, address or exact date through, in any fixture or Bundle entry', () => {
    const outputStrings = stringsOf(output).map((s) => (PSEUDONYMOUS.test(pathOf(s)) ? '' : s));
    const sensitive = [...new Set(sensitiveValues(fixtures))];
    assert.ok(sensitive.length > 50, 'the fixtures hold sensitive values to look for');
    for (const value of sensitive) {
      // As a whole word: an identifier "Gastro" is not leaked by a department named "Gastroenterology".
      const word = new RegExp(`(^|[^A-Za-z0-9])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9])`);
      const survivor = outputStrings.find((s) => word.test(s));
      assert.equal(survivor, undefined, `"${value}" survived`);
    }
    for (const resource of all(output)) assert.equal((resource as { text?: unknown }).text, undefined, `${resource.resourceType} keeps no narrative`);
  });

  it('keeps only the year of birth, and the first three characters of the postal code', () => {
    const patients = all(output).filter((r): r is Patient => r.resourceType === 'Patient' && r.birthDate !== undefined);
    assert.ok(patients.length >= 5);
    for (const patient of patients) assert.match(patient.birthDate as string, /^\d{4}$/);
    const example = byId<Patient>(output, 'Patient', pseudonymizer.pseudonym(patientIdentityOf(byId<Patient>(fixtures, 'Patient', 'example'))));
    assert.deepEqual(example.address, [{ state: 'Vic', postalCode: '399' }]);
    assert.equal(example.name, undefined);
    assert.equal(example.telecom, undefined);
    assert.equal(example.contact, undefined);
  });

  it('gives each Patient its pseudonym as id and as its only identifier, and points references at it', () => {
    const input = byId<Patient>(fixtures, 'Patient', 'example');
    const pseudonym = pseudonymizer.pseudonym(patientIdentityOf(input));
    assert.equal(patientIdentityOf(input), patientIdentity('urn:oid:1.2.36.146.595.217.0.1', '12345'));
    const patient = byId<Patient>(output, 'Patient', pseudonym);
    assert.ok(patient, 'the Patient is exported under its pseudonym');
    assert.deepEqual(patient.identifier, [{ system: PSEUDONYM_SYSTEM, value: pseudonym }]);
    const observations = output.filter((r, i): r is Observation => r.resourceType === 'Observation' && (fixtures[i] as Observation).subject?.reference === 'Patient/example');
    assert.equal(observations.length, 2);
    for (const observation of observations) assert.equal(observation.subject?.reference, `Patient/${pseudonym}`);
    const dicomPatient = byId<Patient>(fixtures, 'Patient', 'dicom');
    const study = output.find((r) => r.resourceType === 'ImagingStudy') as { subject?: { reference?: string } };
    assert.equal(study.subject?.reference, `Patient/${pseudonymizer.pseudonym(patientIdentity('http://nema.org/examples/patients', 'MINT1234'))}`);
    assert.equal(patientIdentityOf(dicomPatient), patientIdentity('http://nema.org/examples/patients', 'MINT1234'));
    // Other resources get keyed-hash ids, the same wherever they are referenced.
    const encounter = output.find((r): r is Encounter => r.resourceType === 'Encounter' && r.statusHistory === undefined) as Encounter;
    const weight = observations.find((o) => o.encounter !== undefined) as Observation;
    assert.equal(weight.encounter?.reference, `Encounter/${encounter.id}`);
    assert.match(encounter.id as string, /^[A-Za-z0-9\-.]{1,64}$/);
    assert.equal(study.subject?.reference?.startsWith('Patient/'), true);
  });

  it('rewrites absolute fullUrls with the ids, and leaves urn:uuid ones alone', () => {
    const out = output.find((r) => r.resourceType === 'Bundle') as Bundle;
    const entry = out.entry?.find((e) => e.fullUrl?.startsWith('http://example.org/fhir/Patient/'));
    assert.ok(entry);
    assert.equal(entry.fullUrl, `http://example.org/fhir/Patient/${entry.resource?.id}`);
    assert.equal(out.entry?.[0]?.fullUrl, bundle.entry?.[0]?.fullUrl);
    // Request URLs keep their resource path (a transaction needs one) but lose search values and old ids.
    const urls = out.entry?.map((e) => e.request?.url) ?? [];
    assert.deepEqual(urls.filter((u) => !/^Patient\/[A-Z2-7]{26}$/.test(u ?? '')), ['Patient', 'Patient', 'Patient', 'Patient', 'ValueSet/$lookup', 'Patient']);
    assert.equal(urls[2], `Patient/${entry.resource?.id}`);
    assert.ok(out.entry?.every((e) => e.request?.ifNoneExist === undefined && e.request?.ifMatch === undefined));
  });

  it('is the same for the same secret, and different under another', () => {
    assert.deepEqual(deidentifyResources(fixtures, new Pseudonymizer(SECRET)), output);
    const other = deidentifyResources(fixtures, new Pseudonymizer(OTHER));
    const ids = (resources: Resource[]): string[] => resources.map((r) => r.id ?? '');
    for (const [i, id] of ids(other).entries()) assert.notEqual(id, ids(output)[i]);
    const shifted = (resources: Resource[]): unknown => (resources.find((r) => r.resourceType === 'Encounter' && 'statusHistory' in r) as Encounter).period?.start;
    assert.notEqual(shifted(other), shifted(output));
  });

  it('moves all of a patient\'s dates by the same shift, so intervals stay', () => {
    const identity = patientIdentityOf(byId<Patient>(fixtures, 'Patient', 'example'));
    const shift = pseudonymizer.dateShiftDays(identity) * DAY_MS;
    const input = byId<Encounter>(fixtures, 'Encounter', 'emerg');
    const encounter = output.find((r): r is Encounter => r.resourceType === 'Encounter' && r.statusHistory !== undefined) as Encounter;
    const moments = (e: Encounter): number[] => (e.statusHistory ?? []).flatMap((s) => [s.period.start, s.period.end]).filter((d) => d !== undefined).map((d) => Date.parse(d));
    const before = moments(input);
    const after = moments(encounter);
    assert.equal(after.length, before.length);
    for (const [i, moment] of after.entries()) assert.equal(moment - (before[i] as number), shift);
    const weightIn = byId<Observation>(fixtures, 'Observation', 'example');
    const weightOut = output.find((r): r is Observation => r.resourceType === 'Observation' && r.valueQuantity?.code === '[lb_av]') as Observation;
    assert.equal(Date.parse(weightOut.effectiveDateTime as string) - Date.parse(weightIn.effectiveDateTime as string), shift);
  });

  it('keeps every resource valid FHIR for its type', () => {
    for (const [i, resource] of output.entries()) {
      const inputErrors = validateResource(fixtures[i] as Resource).filter((issue) => issue.severity === 'error').length;
      if (inputErrors > 0) continue; // a fixture that was not valid to begin with proves nothing
      const errors = validateResource(resource).filter((issue) => issue.severity === 'error');
      assert.deepEqual(errors.map((e) => `${e.expression?.join()}: ${e.details?.text}`), [], `${resource.resourceType}`);
    }
  });

  it('derives the pseudonym of a Patient from system|value of its main identifier', () => {
    const patient: Patient = { resourceType: 'Patient', id: 'p1', identifier: [{ system: 'urn:oid:1.2.3', value: 'X1' }] };
    const [out] = deidentifyResources([patient], pseudonymizer);
    const expected = pseudonymizer.pseudonym(patientIdentity('urn:oid:1.2.3', 'X1'));
    assert.equal(out?.id, expected);
    assert.deepEqual((out as Patient).identifier, [{ system: PSEUDONYM_SYSTEM, value: expected }]);
  });

  it('prefers a medical record number or internal id over other identifiers, and falls back to the id', () => {
    const patient: Patient = {
      resourceType: 'Patient',
      id: 'p2',
      identifier: [
        { system: 'urn:oid:9.9', value: 'SSN' },
        { system: 'urn:oid:1.2.3', value: 'MRN-1', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] } },
      ],
    };
    assert.equal(patientIdentityOf(patient), patientIdentity('urn:oid:1.2.3', 'MRN-1'));
    assert.equal(patientIdentityOf({ resourceType: 'Patient', id: 'p3' }), 'Patient/p3');
  });
});
