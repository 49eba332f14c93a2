// Reading $find-available-beds for the dispatch view: matches in order with distance, counts and
// their site's position; includes are not hospitals; the request carries the search.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bedsUrl, hospitalsOf } from '../../console/src/dispatch/beds.ts';

const match = (id: string, km: number, available: number, total: number) => ({
  resource: { resourceType: 'Organization', id, name: `Hôpital ${id}` },
  search: {
    mode: 'match',
    extension: [
      { url: 'http://hl7.org/fhir/StructureDefinition/location-distance', valueDistance: { value: km } },
      { url: 'https://passerelle.health/fhir/StructureDefinition/available-beds', valueInteger: available },
      { url: 'https://passerelle.health/fhir/StructureDefinition/total-beds', valueInteger: total },
    ],
  },
});
const site = (hospital: string, latitude: number, longitude: number) => ({
  resource: { resourceType: 'Location', id: `site-${hospital}`, managingOrganization: { reference: `Organization/${hospital}` }, position: { latitude, longitude } },
  search: { mode: 'include' },
});

describe('dispatch: $find-available-beds', () => {
  it('reads the hospitals in order, with counts, distance and the position of their site', () => {
    const hospitals = hospitalsOf({ entry: [match('a', 2.3, 11, 67), site('a', 44.84, -0.58), match('b', 41, 3, 20), { resource: { resourceType: 'Observation', id: 'o' }, search: { mode: 'include' } }] });
    assert.deepEqual(hospitals, [
      { id: 'a', name: 'Hôpital a', distanceKm: 2.3, available: 11, total: 67, position: { latitude: 44.84, longitude: -0.58 } },
      { id: 'b', name: 'Hôpital b', distanceKm: 41, available: 3, total: 20 },
    ]);
    assert.deepEqual(hospitalsOf({}), []);
  });

  it('asks for the point, the radius and the specialty (any ward without one)', () => {
    const url = new URL(bedsUrl({ latitude: 44.8378, longitude: -0.5792, radiusKm: 30, specialty: 'cardiology' }), 'http://x');
    assert.equal(url.pathname, '/fhir/Location/$find-available-beds');
    assert.deepEqual(Object.fromEntries(url.searchParams), { latitude: '44.8378', longitude: '-0.5792', radius: '30', count: '100', specialty: 'cardiology' });
    assert.equal(new URL(bedsUrl({ latitude: 0, longitude: 0, radiusKm: 5, specialty: '' }), 'http://x').searchParams.has('specialty'), false);
  });
});
