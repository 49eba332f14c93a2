/**
 * The hospital model's StructureDefinitions: each is loaded, a valid example of each passes, and
 * an example missing what the profile requires is refused (400, the issue naming the path) when it
 * declares the profile, while the same resource without meta.profile is accepted.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Device, Location, Observation, ObservationComponent, Organization, Resource } from '@medplum/fhirtypes';
import { FhirError, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import {
  bedsQuantity, bedStatusCoding, loadProfiles, OPERATING_ROOM_TYPE, PASSERELLE_SYSTEM, physicalTypeCoding, PROFILE, specialtyCoding, SYSTEM,
} from '../../profiles/index.ts';
import { availabilityObservation } from '../../profiles/bed-availability.ts';
import { poseObservation } from '../../profiles/tool-tracking.ts';
import { testDrivers } from '../support/database.ts';

const profiles = loadProfiles();

// A small hospital, each resource claiming its profile.
const hospital: Organization = {
  resourceType: 'Organization', meta: { profile: [PROFILE.hospital] }, active: true, name: 'Centre hospitalier de test',
  identifier: [{ system: SYSTEM.finess, value: '330000018' }],
};
const site: Location = {
  resourceType: 'Location', meta: { profile: [PROFILE.site] }, status: 'active', name: 'Site principal', mode: 'instance',
  physicalType: { coding: [physicalTypeCoding('si')] }, position: { latitude: 44.83, longitude: -0.57 },
  managingOrganization: { reference: 'Organization/h1' },
};
const ward: Location = {
  resourceType: 'Location', meta: { profile: [PROFILE.ward] }, status: 'active', name: 'Cardiologie', mode: 'instance',
  physicalType: { coding: [physicalTypeCoding('wa')] }, type: [{ coding: [specialtyCoding('cardiology')] }], partOf: { reference: 'Location/site1' },
};
const bed: Location = {
  resourceType: 'Location', meta: { profile: [PROFILE.bed] }, status: 'active', name: 'Lit 1', mode: 'instance',
  physicalType: { coding: [physicalTypeCoding('bd')] }, operationalStatus: bedStatusCoding('U'), partOf: { reference: 'Location/ward1' },
};
const operatingRoom: Location = {
  resourceType: 'Location', meta: { profile: [PROFILE.operatingRoom] }, status: 'active', name: 'Salle 1', mode: 'instance',
  physicalType: { coding: [physicalTypeCoding('ro')] }, type: [{ coding: [OPERATING_ROOM_TYPE] }], partOf: { reference: 'Location/site1' },
};
const device: Device = {
  resourceType: 'Device', meta: { profile: [PROFILE.operatingRoomDevice] }, status: 'active',
  type: { coding: [{ system: PASSERELLE_SYSTEM.orEquipment, code: 'anesthesia-machine' }] }, location: { reference: 'Location/or1' },
};
const pose: Observation = poseObservation({
  device: { reference: 'Device/nav1' }, tool: 'Stylus', referenceFrame: 'Reference', position: [10.5, -3, 120], orientation: [0, 0, 0.7071, 0.7071],
  deviceTime: new Date('2026-12-03T10:00:00.125Z'), receivedAt: new Date('2026-12-03T10:00:00.131Z'),
});
const counts = { total: 3, occupied: 1, available: 1, contaminated: 0, isolated: 0, housekeeping: 1, closed: 0, unknown: 0 };
const availability: Observation = availabilityObservation({ ...ward, id: 'ward1' }, counts, '2026-01-15T10:00:00Z', { reference: 'Organization/h1' });
/** The availability with components changed by index (0 is total, 1 occupied, 2 available, 3 contaminated, 6 closed, 8 the specialty). */
const withComponents = (changes: Record<number, (c: ObservationComponent) => ObservationComponent>): Observation =>
  ({ ...availability, component: availability.component?.map((c, i) => changes[i]?.(c) ?? c) });
const withComponent = (i: number, change: (c: ObservationComponent) => ObservationComponent): Observation => withComponents({ [i]: change });
const count = (n: number) => (c: ObservationComponent): ObservationComponent => ({ ...c, valueQuantity: bedsQuantity(n) });
const specialtyOf = (observation: Observation): ObservationComponent =>
  observation.component?.find((c) => c.code.coding?.some((x) => x.system === PASSERELLE_SYSTEM.specialty)) as ObservationComponent;

const valid: [string, Resource][] = [
  [PROFILE.hospital, hospital], [PROFILE.site, site], [PROFILE.ward, ward], [PROFILE.bed, bed],
  [PROFILE.operatingRoom, operatingRoom], [PROFILE.operatingRoomDevice, device], [PROFILE.bedAvailability, availability],
  [PROFILE.toolTracking, pose],
];

/** [what is wrong, the resource, the path (or invariant) the issue must name]. */
const invalid: [string, Resource, string][] = [
  ['a hospital without a FINESS number', { ...hospital, identifier: [{ system: 'urn:example', value: 'x' }] }, 'hos-1'],
  ['a hospital without a name', { ...hospital, name: undefined }, 'Organization.name'],
  ['a site without a position', { ...site, position: undefined }, 'Location.position'],
  ['a site without its hospital', { ...site, managingOrganization: undefined }, 'Location.managingOrganization'],
  ['a ward without partOf', { ...ward, partOf: undefined }, 'Location.partOf'],
  ['a ward without a specialty', { ...ward, type: [{ text: 'cardio' }] }, 'ward-1'],
  ['a ward typed as a bed', { ...ward, physicalType: { coding: [physicalTypeCoding('bd')] } }, 'Location.physicalType'],
  ['a bed without operationalStatus', { ...bed, operationalStatus: undefined }, 'Location.operationalStatus'],
  ['a bed with a status outside v2-0116', { ...bed, operationalStatus: { system: SYSTEM.bedStatus, code: 'X' } }, 'bed-1'],
  ['a bed of kind mode', { ...bed, mode: 'kind' }, 'Location.mode'],
  ['an operating room without its OR type', { ...operatingRoom, type: [{ coding: [specialtyCoding('orthopedics')] }] }, 'or-1'],
  ['a device without a location', { ...device, location: undefined }, 'Device.location'],
  ['a pose without its orientation w', { ...pose, component: pose.component?.filter((c) => c.code.coding?.[0]?.code !== 'orientation-w') }, 'tt-1'],
  ['a pose without the device clock', { ...pose, effectiveInstant: undefined }, 'Observation.effective[x]'],
  ['a pose without its tracker', { ...pose, device: undefined }, 'Observation.device'],
  ['an availability without effective time', { ...availability, effectiveDateTime: undefined }, 'Observation.effective[x]'],
  ['an availability whose total is not the sum', withComponent(0, count(9)), 'ba-3'],
  ['an availability missing a count', { ...availability, component: availability.component?.slice(1) }, 'ba-1'],
  // A second `unknown` of 0 beds: the sum still holds, the count is there twice.
  ['an availability with a count twice', { ...availability, component: [...availability.component ?? [], availability.component?.[7] as ObservationComponent] }, 'ba-1'],
  ['an availability with an integer count', withComponent(6, (c) => ({ code: c.code, valueInteger: 0 })), 'ba-2'],
  ['an availability with a count in another unit', withComponent(2, (c) => ({ ...c, valueQuantity: { ...c.valueQuantity, code: 'beds' } })), 'ba-2'],
  ['an availability with a count outside UCUM', withComponent(2, (c) => ({ ...c, valueQuantity: { ...c.valueQuantity, system: 'urn:example:units' } })), 'ba-2'],
  // The sum still holds: only the count itself is wrong.
  ['an availability with a negative count', withComponents({ 0: count(2), 6: count(-1) }), 'ba-2'],
  ['an availability with a fractional count', withComponents({ 1: count(0.5), 3: count(0.5) }), 'ba-2'],
  ['an availability with a count given as a bound', withComponent(2, (c) => ({ ...c, valueQuantity: { ...c.valueQuantity, comparator: '>=' } })), 'ba-2'],
  ['an availability whose specialty component is not the available count', withComponent(8, count(2)), 'ba-5'],
  ['an availability with two specialty components', { ...availability, component: [...availability.component ?? [], specialtyOf(availability)] }, 'ba-5'],
  ['an availability with a specialty component also coded otherwise', withComponent(8, (c) => ({ ...c, code: { coding: [...c.code.coding ?? [], { system: 'urn:example', code: 'x' }] } })), 'ba-5'],
  ['an availability with another code', { ...availability, code: { coding: [{ system: PASSERELLE_SYSTEM.bedAvailability, code: 'total' }] } }, 'Observation.code'],
];

/** Whether an issue names the path in its expression, or the invariant in its text. */
const names = (err: FhirError, what: string): boolean =>
  (err.outcome.issue ?? []).some((issue) => issue.expression?.includes(what) || (issue.details?.text ?? '').includes(`Constraint ${what} `));

describe('hospital model profiles', () => {
  it('loads one StructureDefinition per canonical URL of the model, and nothing else', () => {
    const registry = new ProfileRegistry(profiles);
    for (const url of Object.values(PROFILE)) assert.ok(registry.get(url), `${url} is loaded`);
    assert.deepEqual(profiles.map((p) => p.url).sort(), Object.values(PROFILE).sort());
    for (const p of profiles) assert.equal(p.derivation, 'constraint');
  });
});

for (const driver of testDrivers()) {
  describe(`hospital model profiles on ${driver.name}`, () => {
    let db: Database;
    let repo: Repository;
    before(async () => {
      db = await driver.open();
      repo = new Repository(db, new ProfileRegistry(profiles));
    });
    after(() => db.close());

    for (const [url, example] of valid) {
      it(`accepts a valid ${url.split('/').pop()}`, async () => {
        const { resource } = await repo.create(example);
        assert.deepEqual(resource.meta?.profile, [url]);
      });
    }

    for (const [problem, resource, path] of invalid) {
      it(`refuses ${problem}, naming ${path}`, async () => {
        const err = await repo.create(resource).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof FhirError, `a FhirError, not ${String(err)}`);
        assert.equal(err.status, 400);
        assert.ok(names(err, path), `an issue names ${path}: ${JSON.stringify(err.outcome.issue)}`);
        // The profile is what refuses it: without meta.profile the base definition accepts it.
        await repo.create({ ...resource, meta: undefined } as Resource);
      });
    }
  });
}
