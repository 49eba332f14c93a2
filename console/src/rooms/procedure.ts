/**
 * The procedure of an operating room, for the list: a FHIR Procedure in progress in the room (as
 * recorded by the OR's systems or staff through the REST API), else the appointment under way
 * (booked from the EHR's SIU messages, with the room as a participant); the next appointment; and
 * whether a stay (Encounter) is in progress in the room.
 */
import { countOf, searchAll, type Resource } from '../fhir.ts';

export interface Appointment extends Resource {
  resourceType: 'Appointment';
  status?: string;
  start?: string;
  end?: string;
  serviceType?: { text?: string; coding?: { display?: string; code?: string }[] }[];
}

/** A procedure being performed (FHIR Procedure, status in-progress, `location` the room). */
export interface Procedure extends Resource {
  resourceType: 'Procedure';
  status?: string;
  code?: { text?: string; coding?: { display?: string; code?: string }[] };
  performedDateTime?: string;
  performedPeriod?: { start?: string; end?: string };
}

export interface RoomProcedure {
  /** The Procedure in progress in the room, which says more than any booking. */
  performing?: Procedure;
  current?: Appointment;
  next?: Appointment;
  encounterInProgress: boolean;
}

const ACTIVE = new Set(['booked', 'arrived', 'checked-in', 'pending']);

/** The appointment under way at `now` and the next one, among a room's appointments. */
export function procedureOf(appointments: Appointment[], now: Date, encounterInProgress: boolean, procedures: Procedure[] = []): RoomProcedure {
  const performing = procedures.filter((p) => p.status === 'in-progress').sort((a, b) => startOf(b).localeCompare(startOf(a)))[0];
  const active = appointments.filter((a) => a.start && ACTIVE.has(a.status ?? '')).sort((a, b) => (a.start ?? '').localeCompare(b.start ?? ''));
  const at = now.getTime();
  const current = active.find((a) => Date.parse(a.start as string) <= at && (!a.end || at < Date.parse(a.end)));
  const next = active.find((a) => Date.parse(a.start as string) > at);
  return { ...(performing ? { performing } : {}), ...(current ? { current } : {}), ...(next ? { next } : {}), encounterInProgress };
}

/** When a Procedure started: its performed time or period start ('' when neither is given). */
export function startOf(procedure: Procedure): string {
  return procedure.performedDateTime ?? procedure.performedPeriod?.start ?? '';
}

/** What the appointment or procedure is, in words. */
export function procedureLabel(what: Appointment | Procedure): string {
  const concept = what.resourceType === 'Procedure' ? what.code : what.serviceType?.[0];
  return concept?.text ?? concept?.coding?.[0]?.display ?? concept?.coding?.[0]?.code ?? '';
}

export async function loadProcedure(room: string, now = new Date()): Promise<RoomProcedure> {
  const since = new Date(now.getTime() - 24 * 3600_000).toISOString();
  const [appointments, encounters, procedures] = await Promise.all([
    searchAll<Appointment>(`Appointment?location=Location/${encodeURIComponent(room)}&date=ge${encodeURIComponent(since)}&_count=50`),
    // A role that may not read Encounters or Procedures still sees the schedule.
    countOf(`Encounter?location=Location/${encodeURIComponent(room)}&status=in-progress`).catch(() => 0),
    searchAll<Procedure>(`Procedure?location=Location/${encodeURIComponent(room)}&status=in-progress&_count=10`).catch(() => []),
  ]);
  return procedureOf(appointments, now, encounters > 0, procedures);
}
