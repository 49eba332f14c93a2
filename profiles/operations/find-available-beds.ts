/**
 * `Location/$find-available-beds`: the hospitals within a radius that have at least one unoccupied
 * bed in a ward of the asked specialty, nearest first, each with its distance and free-bed count.
 * For emergency dispatch (SAMU). Built on the standard search engine: the same question as
 * `Location?near=...&_has:Location:partof:_has:Observation:subject:component-code-value-quantity=<specialty>$gt0`
 * (see README), then the wards' bed-availability Observations for the counts.
 */
import type { Bundle, BundleEntry, Location, Observation, Organization, Resource } from '@medplum/fhirtypes';
import { badRequest, distanceExtension, parseSearch, type Operation } from '../../fhir/index.ts';
import { locationId } from '../bed-availability.ts';
import { BED_AVAILABILITY_CODE, PASSERELLE_SYSTEM, SPECIALTIES } from '../model.ts';
import { countOf, freeBedsOf, parseSpecialty } from './availability.ts';
import { OperationInput } from './parameters.ts';
import { searchAll } from './search-all.ts';

export const AVAILABLE_BEDS_EXTENSION = 'https://passerelle.health/fhir/StructureDefinition/available-beds';
export const TOTAL_BEDS_EXTENSION = 'https://passerelle.health/fhir/StructureDefinition/total-beds';
const MAX_RADIUS_KM = 1000;

export const findAvailableBedsOperation: Operation = {
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Location-find-available-beds',
    url: 'https://passerelle.health/fhir/OperationDefinition/Location-find-available-beds',
    name: 'FindAvailableBeds',
    title: 'Hospitals with a free bed of a specialty, nearest first',
    status: 'active',
    kind: 'operation',
    code: 'find-available-beds',
    description: 'Hospitals whose site lies within `radius` km of the point and that have at least one unoccupied bed (v2-0116 U) in a ward of the specialty. Returns a searchset Bundle: each match is the hospital Organization with the location-distance, available-beds and total-beds extensions on entry.search; the site Location and the wards\' bed-availability Observations are included.',
    affectsState: false,
    resource: ['Location'],
    system: false,
    type: true,
    instance: false,
    parameter: [
      { name: 'latitude', use: 'in', min: 1, max: '1', type: 'decimal', documentation: 'WGS84 latitude of the patient' },
      { name: 'longitude', use: 'in', min: 1, max: '1', type: 'decimal', documentation: 'WGS84 longitude of the patient' },
      { name: 'radius', use: 'in', min: 0, max: '1', type: 'decimal', documentation: 'Search radius in km (default 50, at most 1000)' },
      { name: 'specialty', use: 'in', min: 0, max: '1', type: 'string', documentation: `A code of ${PASSERELLE_SYSTEM.specialty} (or system|code); any ward when absent` },
      { name: 'count', use: 'in', min: 0, max: '1', type: 'integer', documentation: 'Most hospitals returned (default 10, at most 100)' },
      { name: 'return', use: 'out', min: 1, max: '1', type: 'Bundle' },
    ],
  },
  async handle({ request, repo }) {
    const input = new OperationInput(request);
    const latitude = input.number('latitude', { required: true, min: -90, max: 90 });
    const longitude = input.number('longitude', { required: true, min: -180, max: 180 });
    const radius = input.number('radius', { fallback: 50, min: 0, max: MAX_RADIUS_KM });
    const count = Math.floor(input.number('count', { fallback: 10, min: 1, max: 100 }));
    const specialtyText = input.string('specialty');
    const specialty = specialtyText === undefined ? undefined : parseSpecialty(specialtyText);
    if (specialtyText !== undefined && !specialty) {
      throw badRequest(`Unknown specialty "${specialtyText}": a code of ${PASSERELLE_SYSTEM.specialty} (${Object.keys(SPECIALTIES).join(', ')})`, 'specialty');
    }
    // Free beds are the `available` count, or for a specialty the component coded with it.
    const freeBeds = specialty ? `${specialty.system}|${specialty.code}` : `${PASSERELLE_SYSTEM.bedAvailability}|available`;

    const sites = await repo.search(parseSearch('Location', new URLSearchParams({
      near: `${latitude}|${longitude}|${radius}|km`,
      '_has:Location:partof:_has:Observation:subject:component-code-value-quantity': `${freeBeds}$gt0`,
      _count: String(count),
    })), { baseUrl: request.baseUrl });
    if (sites.matches.length === 0) return { status: 200, body: bundle([]) };

    const siteRefs = sites.matches.map((m) => `Location/${m.resource.id}`);
    const wards = (await searchAll(repo, 'Observation', {
      code: `${BED_AVAILABILITY_CODE.system}|${BED_AVAILABILITY_CODE.code}`,
      'subject:Location.partof': siteRefs.join(','),
      ...(specialty ? { 'component-code': `${specialty.system}|${specialty.code}` } : {}),
    })) as Observation[];
    const wardLocations = (await repo.includes(wards, [{ sourceType: 'Observation', param: 'subject', iterate: false }], [])) as Location[];
    const siteOfWard = new Map(wardLocations.map((ward) => [ward.id as string, locationId(ward.partOf)]));
    const wardsOfSite = new Map<string, Observation[]>();
    for (const observation of wards) {
      const site = siteOfWard.get(locationId(observation.subject) as string);
      if (site) wardsOfSite.set(site, [...(wardsOfSite.get(site) ?? []), observation]);
    }
    const hospitals = new Map((await repo.includes(sites.resources, [{ sourceType: 'Location', param: 'organization', iterate: false }], [])).map((o) => [`Organization/${o.id}`, o as Organization]));

    const entries: BundleEntry[] = [];
    for (const { resource, distanceKm } of sites.matches) {
      const site = resource as Location;
      const observations = wardsOfSite.get(site.id as string) ?? [];
      const available = observations.reduce((n, o) => n + (specialty ? freeBedsOf(o, specialty.code) : countOf(o, 'available')), 0);
      const total = observations.reduce((n, o) => n + countOf(o, 'total'), 0);
      if (available === 0) continue; // changed between the two searches: no longer a free bed here
      const hospital = hospitals.get(site.managingOrganization?.reference ?? '');
      entries.push({
        fullUrl: `${request.baseUrl}/${(hospital ?? site).resourceType}/${(hospital ?? site).id}`,
        resource: hospital ?? site,
        search: {
          mode: 'match',
          extension: [
            distanceExtension(distanceKm ?? 0),
            { url: AVAILABLE_BEDS_EXTENSION, valueInteger: available },
            { url: TOTAL_BEDS_EXTENSION, valueInteger: total },
          ],
        },
      });
      if (hospital) entries.push(include(request.baseUrl, site));
      for (const observation of observations) entries.push(include(request.baseUrl, observation));
    }
    return { status: 200, body: bundle(entries) };
  },
};

function include(baseUrl: string, resource: Resource): BundleEntry {
  return { fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'include' } };
}

function bundle(entry: BundleEntry[]): Bundle {
  return { resourceType: 'Bundle', type: 'searchset', total: entry.filter((e) => e.search?.mode === 'match').length, entry };
}
