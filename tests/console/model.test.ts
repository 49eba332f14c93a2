// How the operating-room list follows the stream: a device updated in place, moved between
// rooms, deleted, a room's status changed; untouched rooms keep their identity (no re-render).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceLabel, withDevice, withLocation, type Device, type Room } from '../../console/src/rooms/model.ts';

const device = (id: string, room: string, status: Device['status'] = 'active', name = id): Device => ({
  resourceType: 'Device', id, status, location: { reference: `Location/${room}` }, deviceName: [{ name, type: 'user-friendly-name' }],
});
const rooms = (): Room[] => [
  { location: { resourceType: 'Location', id: 'or-1', name: 'Salle 1' }, devices: [device('a', 'or-1'), device('b', 'or-1')] },
  { location: { resourceType: 'Location', id: 'or-2', name: 'Salle 2' }, devices: [] },
];

describe('console operating-room model', () => {
  it('updates a device in place and leaves other rooms as they were', () => {
    const before = rooms();
    const after = withDevice(before, device('b', 'or-1', 'inactive'), false);
    assert.deepEqual(after[0]?.devices.map((d) => [d.id, d.status]), [['a', 'active'], ['b', 'inactive']]);
    assert.equal(after[1], before[1]);
  });

  it('moves a device to its new room, adds a new one, and removes a deleted one', () => {
    let state = withDevice(rooms(), device('a', 'or-2'), false);
    assert.deepEqual(state.map((r) => r.devices.map((d) => d.id)), [['b'], ['a']]);
    state = withDevice(state, device('c', 'or-2', 'active', '0 first by name'), false);
    assert.deepEqual(state[1]?.devices.map((d) => d.id), ['c', 'a']);
    state = withDevice(state, device('b', 'or-1'), true);
    assert.deepEqual(state[0]?.devices, []);
  });

  it("replaces a room's Location and names devices for people", () => {
    const state = withLocation(rooms(), { resourceType: 'Location', id: 'or-2', name: 'Salle 2', operationalStatus: { code: 'H' } });
    assert.equal(state[1]?.location.operationalStatus?.code, 'H');
    assert.equal(deviceLabel({ resourceType: 'Device', deviceName: [{ name: 'Kinevo 900', type: 'model-name' }, { name: 'Microscope, salle 1', type: 'user-friendly-name' }] }), 'Microscope, salle 1');
    assert.equal(deviceLabel({ resourceType: 'Device', id: 'x', type: { text: 'Robot' } }), 'Robot');
  });
});
