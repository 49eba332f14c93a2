/** What the operating-room list shows, and how a change from the stream updates it. */
import type { Resource } from '../fhir.ts';
import type { RoomProcedure } from './procedure.ts';

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface Location extends Resource {
  resourceType: 'Location';
  name?: string;
  operationalStatus?: Coding;
  managingOrganization?: { reference?: string; display?: string };
}

export interface Device extends Resource {
  resourceType: 'Device';
  status?: 'active' | 'inactive' | 'entered-in-error' | 'unknown';
  statusReason?: { text?: string; coding?: Coding[] }[];
  type?: { text?: string };
  deviceName?: { name: string; type: string }[];
  manufacturer?: string;
  location?: { reference?: string };
}

export interface Room {
  location: Location;
  devices: Device[];
  procedure?: RoomProcedure;
}

/** The operating-room type of the model (HL7 v2 table 0260, O). */
export const OPERATING_ROOM_QUERY = 'Location?type=http://terminology.hl7.org/CodeSystem/v2-0260|O&_count=200';

/** A device's name for people: its user-friendly name, else any name. */
export function deviceLabel(device: Device): string {
  const names = device.deviceName ?? [];
  return (names.find((n) => n.type === 'user-friendly-name') ?? names[0])?.name ?? device.type?.text ?? device.id ?? '';
}

/** The rooms with a Device created, updated, moved or deleted. */
export function withDevice(rooms: Room[], device: Device, deleted: boolean): Room[] {
  const roomId = device.location?.reference?.replace(/^Location\//, '');
  return rooms.map((room) => {
    const others = room.devices.filter((d) => d.id !== device.id);
    const here = !deleted && room.location.id === roomId;
    if (!here && others.length === room.devices.length) return room;
    const devices = here ? [...others, device].sort((a, b) => deviceLabel(a).localeCompare(deviceLabel(b))) : others;
    return { ...room, devices };
  });
}

/** The rooms with a room's Location updated. */
export function withLocation(rooms: Room[], location: Location): Room[] {
  return rooms.map((room) => (room.location.id === location.id ? { ...room, location } : room));
}

/** The Locations an Appointment (its participants) or an Encounter (its locations) is at. */
export function locationsOf(resource: { resourceType: string; [key: string]: unknown }): string[] {
  const references =
    resource.resourceType === 'Appointment' ? ((resource.participant as { actor?: { reference?: string } }[] | undefined) ?? []).map((p) => p.actor?.reference)
    : resource.resourceType === 'Encounter' ? ((resource.location as { location?: { reference?: string } }[] | undefined) ?? []).map((l) => l.location?.reference)
    : resource.resourceType === 'Procedure' ? [(resource.location as { reference?: string } | undefined)?.reference]
    : [];
  return references.filter((r): r is string => r?.startsWith('Location/') === true).map((r) => r.slice('Location/'.length));
}
