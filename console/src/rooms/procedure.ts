/**
 * The procedure of an operating room, for the list: the appointment under way (booked from the
 * EHR's SIU messages, with the room as a participant), else the next one today, and whether a
 * stay (Encounter) is in progress in the room.
 */
import { countOf, searchAll, type Resource } from '../fhir.ts';

export interface Appointment extends Resource {
  resourceType: 'Appointment';
  status?: string;
  start?: string;
  end?: string;
  serviceType?: { text?: string; coding?: { display?: string; code?: string }[] }[];
}

export interface RoomProcedure {
  current?: Appointment;
  next?: Appointment;
  encounterInProgress: boolean;
}

const ACTIVE = new Set(['booked', 'arrived', 'checked-in', 'pending']);

/** The appointment under way at `now` and the next one, among a room's appointments. */
export function procedureOf(appointments: Appointment[], now: Date, encounterInProgress: boolean): RoomProcedure {
  const active = appointments.filter((a) => a.start && ACTIVE.has(a.status ?? '')).sort((a, b) => (a.start ?? '').localeCompare(b.start ?? ''));
  const at = now.getTime();
  const current = active.find((a) => Date.parse(a.start as string) <= at && (!a.end || at < Date.parse(a.end)));
  const next = active.find((a) => Date.parse(a.start as string) > at);
  return { ...(current ? { current } : {}), ...(next ? { next } : {}), encounterInProgress };
}

/** What the appointment is for, in words. */
export function procedureLabel(appointment: Appointment): string {
  const type = appointment.serviceType?.[0];
  return type?.text ?? type?.coding?.[0]?.display ?? type?.coding?.[0]?.code ?? '';
}

export async function loadProcedure(room: string, now = new Date()): Promise<RoomProcedure> {
  const since = new Date(now.getTime() - 24 * 3600_000).toISOString();
  const [appointments, encounters] = await Promise.all([
    searchAll<Appointment>(`Appointment?location=Location/${encodeURIComponent(room)}&date=ge${encodeURIComponent(since)}&_count=50`),
    // A role that may not read Encounters still sees the schedule.
    countOf(`Encounter?location=Location/${encodeURIComponent(room)}&status=in-progress`).catch(() => 0),
  ]);
  return procedureOf(appointments, now, encounters > 0);
}
