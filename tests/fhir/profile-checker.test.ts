/**
 * The differential checker agrees with @medplum/core's validation against the full snapshot: on
 * the model's valid resources and on mutations that break each kind of rule (cardinality, fixed
 * and pattern values, choice types, invariants). Profiles it does not understand get no checker.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Location, Observation, Organization, Reference, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { OperationOutcomeError, validateResource } from '@medplum/core';
import { loadR4Definitions, ProfileRegistry } from '../../fhir/index.ts';
import { ProfileChecker } from '../../fhir/profile-checker.ts';
import { bedStatusCoding, demoRegion, loadProfiles, PROFILE, type DemoHospital } from '../../profiles/index.ts';
import { availabilityObservation } from '../../profiles/bed-availability.ts';

loadR4Definitions();
const profiles = loadProfiles();
const registry = new ProfileRegistry(profiles);
const [hospital] = demoRegion({ hospitals: 1, wardsPerHospital: [2, 2], bedsPerWard: [3, 3] }).hospitals as DemoHospital[];

/** Whether @medplum/core finds an error against the profile's full snapshot. */
function snapshotRejects(resource: Resource, url: string): boolean {
  const profile = registry.known(url)?.definition as StructureDefinition;
  try {
    return validateResource(resource, { profile }).some((i) => i.severity === 'error');
  } catch (err) {
    if (err instanceof OperationOutcomeError) return true;
    throw err;
  }
}

/** Whether the base definition plus the differential checker find an error. */
function checkerRejects(resource: Resource, url: string): boolean {
  const checker = registry.known(url)?.checker as ProfileChecker;
  let base = false;
  try {
    base = validateResource(resource).some((i) => i.severity === 'error');
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    base = true;
  }
  return base || checker.check(resource).length > 0;
}

const bed = hospital?.beds[0] as Location;
const ward = hospital?.wards[0] as Location;
const site = hospital?.site as Location;

describe('profile differential checker', () => {
  it('exists for every profile of the model (differentials it understands)', () => {
    for (const url of Object.values(PROFILE)) assert.ok(registry.known(url)?.checker, url);
  });

  const cases: [string, string, Resource][] = [
    ['a valid bed', PROFILE.bed, bed],
    ['a valid ward', PROFILE.ward, ward],
    ['a valid site', PROFILE.site, site],
    ['a valid hospital', PROFILE.hospital, hospital?.organization as Resource],
    ['a bed without operationalStatus (min)', PROFILE.bed, { ...bed, operationalStatus: undefined }],
    ['a bed of mode kind (fixed)', PROFILE.bed, { ...bed, mode: 'kind' }],
    ['a bed typed as a ward (pattern)', PROFILE.bed, { ...ward, meta: bed.meta, operationalStatus: bedStatusCoding('U') }],
    ['a bed with status X (invariant)', PROFILE.bed, { ...bed, operationalStatus: { ...bed.operationalStatus, code: 'X' } }],
    ['a bed without partOf', PROFILE.bed, { ...bed, partOf: undefined }],
    ['a ward without a specialty (invariant)', PROFILE.ward, { ...ward, type: [{ text: 'x' }] }],
    ['a site without position', PROFILE.site, { ...site, position: undefined }],
  ];
  for (const [what, url, resource] of cases) {
    it(`agrees with the snapshot on ${what}`, () => {
      const expected = !what.startsWith('a valid');
      assert.deepEqual([checkerRejects(resource, url), snapshotRejects(resource, url)], [expected, expected]);
    });
  }

  it('agrees on bed-availability Observations, valid and broken (choice type, cardinality, invariants)', () => {
    const observation = availability();
    const broken: Observation[] = [
      observation,
      { ...observation, effectiveDateTime: undefined, effectivePeriod: { start: '2026-01-01' } },
      { ...observation, component: observation.component?.slice(0, 7) },
      { ...observation, component: observation.component?.map((c, i) => (i === 0 ? { code: c.code, valueInteger: 3 } : c)) },
      { ...observation, component: observation.component?.map((c, i) => (i === 1 ? { ...c, valueQuantity: { ...c.valueQuantity, value: 99 } } : c)) },
      { ...observation, code: { coding: [{ system: 'urn:example', code: 'x' }] } },
    ];
    const verdicts = broken.map((o) => [checkerRejects(o, PROFILE.bedAvailability), snapshotRejects(o, PROFILE.bedAvailability)]);
    assert.deepEqual(verdicts, [[false, false], [true, true], [true, true], [true, true], [true, true], [true, true]]);
  });

  it('declines a profile that slices or puts invariants below the root', () => {
    const base = profiles.find((p) => p.url === PROFILE.bed) as StructureDefinition;
    const sliced = { ...base, differential: { element: [...base.differential?.element ?? [], { id: 'Location.identifier:finess', path: 'Location.identifier', sliceName: 'finess' }] } };
    const nested = { ...base, differential: { element: [{ id: 'Location.position', path: 'Location.position', constraint: [{ key: 'x-1', severity: 'error' as const, human: 'x', expression: 'latitude.exists()' }] }] } };
    assert.equal(ProfileChecker.for(sliced), undefined);
    assert.equal(ProfileChecker.for(nested), undefined);
    assert.ok(ProfileChecker.for(base));
  });
});

/** The ward's bed-availability Observation as the rule builds it: 3 beds, 1 occupied, 2 free. */
function availability(): Observation {
  const counts = { total: 3, occupied: 1, available: 2, contaminated: 0, isolated: 0, housekeeping: 0, closed: 0, unknown: 0 };
  return availabilityObservation({ ...ward, id: ward.id as string }, counts, '2026-03-01T10:00:00Z', ward.managingOrganization as Reference<Organization>);
}
