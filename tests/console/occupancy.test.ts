// A ward's occupancy over the day from its bed-availability Observation's versions: counts read
// by code, one point per instant in time order, and a step line across the last 24 hours.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BED_AVAILABILITY_SYSTEM, sparkline, timelineOf, type BedAvailability } from '../../console/src/hospital/occupancy.ts';

const version = (at: string, occupied: number, total: number): BedAvailability => ({
  resourceType: 'Observation',
  effectiveDateTime: at,
  component: [
    { code: { coding: [{ system: BED_AVAILABILITY_SYSTEM, code: 'total' }] }, valueQuantity: { value: total } },
    { code: { coding: [{ system: BED_AVAILABILITY_SYSTEM, code: 'occupied' }] }, valueQuantity: { value: occupied } },
  ],
});

describe('console: ward occupancy', () => {
  it('reads the versions as a timeline, oldest first, once per instant', () => {
    const points = timelineOf([version('2026-12-03T12:00:00Z', 7, 10), version('2026-12-03T08:00:00Z', 5, 10), version('2026-12-03T12:00:00Z', 7, 10)]);
    assert.deepEqual(points, [{ at: '2026-12-03T08:00:00Z', occupied: 5, total: 10 }, { at: '2026-12-03T12:00:00Z', occupied: 7, total: 10 }]);
  });

  it('draws a step line that holds each count until the next and the last until now', () => {
    const now = new Date('2026-12-04T00:00:00Z');
    const line = sparkline([{ at: '2026-12-03T12:00:00Z', occupied: 5, total: 10 }, { at: '2026-12-03T18:00:00Z', occupied: 10, total: 10 }], now, 240, 20);
    assert.equal(line, '120.0,10.0 180.0,10.0 180.0,0.0 240.0,0.0');
  });
});
