/** The demo region generator: sizes respected, deterministic, unique natural-key ids, plausible data. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Location } from '@medplum/fhirtypes';
import { demoRegion, hospitalResources, locationId, SYSTEM } from '../../profiles/index.ts';
import { luhnKey } from '../../profiles/demo-region.ts';

describe('demo region', () => {
  const region = demoRegion();

  it('has about 12 hospitals with 4-8 wards of 10-30 beds and 2-4 rooms of 3-5 devices by default', () => {
    assert.equal(region.hospitals.length, 12);
    for (const h of region.hospitals) {
      assert.ok(h.wards.length >= 4 && h.wards.length <= 8, `${h.wards.length} wards`);
      assert.ok(h.operatingRooms.length >= 2 && h.operatingRooms.length <= 4);
      for (const ward of h.wards) {
        const beds = h.beds.filter((b) => locationId(b.partOf) === ward.id).length;
        assert.ok(beds >= 10 && beds <= 30, `${beds} beds`);
      }
      for (const room of h.operatingRooms) {
        const devices = h.devices.filter((d) => locationId(d.location) === room.id);
        assert.ok(devices.length >= 3 && devices.length <= 5);
        assert.equal(devices[0]?.type?.coding?.[0]?.code, 'anesthesia-machine');
      }
      const specialties = h.wards.map((w) => w.type?.[0]?.coding?.[0]?.code);
      assert.equal(new Set(specialties).size, specialties.length, 'a hospital has one ward per specialty');
    }
  });

  it('is deterministic, and the seed changes it', () => {
    assert.deepEqual(demoRegion(), region);
    assert.notDeepEqual(demoRegion({ seed: 34 }), region);
  });

  it('scales to benchmark sizes with unique, valid ids', () => {
    const big = demoRegion({ hospitals: 50, wardsPerHospital: 20, bedsPerWard: 120 });
    const ids = big.hospitals.flatMap(hospitalResources).map((r) => `${r.resourceType}/${r.id}`);
    assert.equal(ids.length, 50 * (2 + 20 + 20 * 120) + big.hospitals.reduce((n, h) => n + h.operatingRooms.length + h.devices.length, 0));
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const id of ids) assert.match(id.split('/')[1] as string, /^[A-Za-z0-9\-.]{1,64}$/);
  });

  it('gives FINESS numbers with a Luhn key and positions in Nouvelle-Aquitaine', () => {
    for (const h of region.hospitals) {
      const finess = h.organization.identifier?.find((i) => i.system === SYSTEM.finess)?.value as string;
      assert.match(finess, /^\d{9}$/);
      assert.equal(Number(finess[8]), luhnKey(finess.slice(0, 8)));
      const { latitude, longitude } = h.site.position as NonNullable<Location['position']>;
      assert.ok(latitude > 42.7 && latitude < 47.2 && longitude > -1.9 && longitude < 2.7, `${latitude}, ${longitude}`);
    }
    assert.equal(luhnKey('7992739871'), 3); // the textbook example
  });

  it('mixes bed statuses, mostly occupied', () => {
    const statuses = region.hospitals.flatMap((h) => h.beds).map((b) => b.operationalStatus?.code);
    const share = (code: string): number => statuses.filter((s) => s === code).length / statuses.length;
    assert.ok(share('O') > 0.6 && share('O') < 0.9, `occupied ${share('O')}`);
    for (const code of ['U', 'H', 'C', 'I', 'K']) assert.ok(share(code) > 0, `some beds are ${code}`);
  });

  it('lists a hospital\'s wards after their beds', () => {
    const order = hospitalResources(region.hospitals[0] as never).map((r) => r.id as string);
    const firstWard = order.findIndex((id) => id.startsWith('ward-'));
    const lastBed = order.findLastIndex((id) => id.startsWith('bed-'));
    assert.ok(firstWard > lastBed);
  });
});
