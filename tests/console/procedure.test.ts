// A room's procedure on the OR list: a Procedure in progress, the appointment under way, else the
// next; cancelled ones ignored; and which rooms a booking, a stay or a procedure concerns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locationsOf } from '../../console/src/rooms/model.ts';
import { procedureLabel, procedureOf, type Appointment, type Procedure } from '../../console/src/rooms/procedure.ts';

const appointment = (id: string, start: string, end: string, status = 'booked'): Appointment => ({
  resourceType: 'Appointment', id, status, start, end, serviceType: [{ coding: [{ code: 'x', display: `Procedure ${id}` }] }],
});

describe('console: a room’s procedure', () => {
  const now = new Date('2026-12-03T10:00:00Z');
  it('takes the appointment under way, and the next one', () => {
    const found = procedureOf([
      appointment('later', '2026-12-03T14:00:00Z', '2026-12-03T15:00:00Z'),
      appointment('now', '2026-12-03T09:30:00Z', '2026-12-03T11:00:00Z'),
      appointment('cancelled', '2026-12-03T09:00:00Z', '2026-12-03T12:00:00Z', 'cancelled'),
      appointment('done', '2026-12-03T07:00:00Z', '2026-12-03T09:00:00Z'),
    ], now, true);
    assert.deepEqual([found.current?.id, found.next?.id, found.encounterInProgress], ['now', 'later', true]);
    assert.equal(procedureLabel(found.current as Appointment), 'Procedure now');
    assert.deepEqual(procedureOf([], now, false), { encounterInProgress: false });
  });

  it('puts a Procedure in progress in the room before any booking', () => {
    const procedure = (id: string, start: string, status = 'in-progress'): Procedure => ({ resourceType: 'Procedure', id, status, performedPeriod: { start }, code: { text: `Procedure ${id}` } });
    const booked = [appointment('now', '2026-12-03T09:30:00Z', '2026-12-03T11:00:00Z'), appointment('later', '2026-12-03T14:00:00Z', '2026-12-03T15:00:00Z')];
    const found = procedureOf(booked, now, false, [procedure('earlier', '2026-12-03T08:00:00Z'), procedure('latest', '2026-12-03T09:40:00Z'), procedure('finished', '2026-12-03T09:50:00Z', 'completed')]);
    assert.deepEqual([found.performing?.id, found.current?.id, found.next?.id], ['latest', 'now', 'later'], 'the latest in progress, the booking kept beside it');
    assert.equal(procedureLabel(found.performing as Procedure), 'Procedure latest');
    assert.equal(procedureOf(booked, now, false, [procedure('finished', '2026-12-03T09:50:00Z', 'completed')]).performing, undefined);
  });

  it('reads the rooms of an Appointment and of an Encounter', () => {
    assert.deepEqual(locationsOf({ resourceType: 'Appointment', participant: [{ actor: { reference: 'Patient/p' } }, { actor: { reference: 'Location/or-1' } }] }), ['or-1']);
    assert.deepEqual(locationsOf({ resourceType: 'Encounter', location: [{ location: { reference: 'Location/bed-1' } }, { location: { reference: 'Location/or-2' } }] }), ['bed-1', 'or-2']);
    assert.deepEqual(locationsOf({ resourceType: 'Procedure', location: { reference: 'Location/or-3' } }), ['or-3']);
    assert.deepEqual(locationsOf({ resourceType: 'Device' }), []);
  });
});
