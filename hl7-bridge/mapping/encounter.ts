/**
 * PV1 to Encounter, after the v2-to-FHIR segment map PV1[Encounter]: class (PV1-2, table 0004),
 * service (PV1-10, table 0069), participants (PV1-7 attending, PV1-8 referring, PV1-9 consulting,
 * PV1-17 admitting), visit number (PV1-19) as identifier and id, admit source (PV1-14),
 * discharge disposition (PV1-36), period (PV1-44, PV1-45). Where the patient is (PV1-3) is kept in
 * `Encounter.location`: one entry per place, `active` for the current one, `completed` for those
 * left, and the beds follow (occupied on arrival, released on departure).
 * @see https://hl7.org/fhir/uv/v2mappings/segment_maps.html (PV1[Encounter])
 */
import type { Encounter, EncounterLocation, Identifier, Location, Patient, Reference } from '@medplum/fhirtypes';
import { isBed, locationId } from '../../profiles/index.ts';
import type { Er7Repetition, Er7Segment } from '../er7/index.ts';
import { requiredField } from '../errors.ts';
import type { MappingContext } from './context.ts';
import { cweConcept, cxIdentifier, dtmDateTime, xcnReference } from './datatypes.ts';
import { applyRules, type FieldRule } from './field-rules.ts';
import { naturalId } from './ids.ts';
import { occupyBed, releaseBed } from './beds.ts';
import type { Place } from './locations.ts';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

/** Table 0004 (patient class) to the v3 ActCode encounter classes. */
const PATIENT_CLASS: Record<string, { code: string; display: string }> = {
  E: { code: 'EMER', display: 'emergency' },
  I: { code: 'IMP', display: 'inpatient encounter' },
  O: { code: 'AMB', display: 'ambulatory' },
  P: { code: 'PRENC', display: 'pre-admission' },
  R: { code: 'IMP', display: 'inpatient encounter' },
  B: { code: 'IMP', display: 'inpatient encounter' },
  N: { code: 'AMB', display: 'ambulatory' },
};

const participant = (code: string, display: string) => (xcn: Parameters<typeof xcnReference>[0]) => {
  const individual = xcnReference(xcn);
  return individual && { type: [{ coding: [{ system: PARTICIPATION, code, display }] }], individual };
};

const PV1_RULES: readonly FieldRule[] = [
  { field: 7, element: 'participant', map: participant('ATND', 'attender'), repeats: true },
  { field: 8, element: 'participant', map: participant('REF', 'referrer'), repeats: true },
  { field: 9, element: 'participant', map: participant('CON', 'consultant'), repeats: true },
  { field: 17, element: 'participant', map: participant('ADM', 'admitter'), repeats: true },
];

/** Visit number (PV1-19) as Identifier, or undefined. */
export function visitNumber(pv1: Er7Segment | undefined): Identifier | undefined {
  const visit = pv1?.field(19).repetitions[0];
  return visit && cxIdentifier(visit);
}

/** The first repetition of a field mapped by a data type mapper. */
function firstOf<T>(segment: Er7Segment, field: number, map: (value: Er7Repetition) => T | undefined): T | undefined {
  const value = segment.field(field).repetitions[0];
  return value && map(value);
}

/** The key of a visit in the message log (`system|value` of PV1-19), undefined without one. */
export const visitKey = (pv1: Er7Segment | undefined): string | undefined => {
  const visit = visitNumber(pv1);
  return visit && `${visit.system ?? ''}|${visit.value}`;
};

/** The Encounter id of a visit. */
export const encounterIdFor = (key: string): string => naturalId('enc', key);

/** When a movement happened: PV1-44/45 for admissions and discharges, else EVN-6 (event occurred), EVN-2, MSH-7. */
export function eventTime(ctx: MappingContext, pv1Field?: number): string | undefined {
  const zone = ctx.options.defaultTimeZone;
  const evn = ctx.message.segment('EVN');
  const candidates = [pv1Field ? ctx.message.segment('PV1')?.get(pv1Field) : undefined, evn?.get(6), evn?.get(2), ctx.message.header.get(7)];
  for (const value of candidates) {
    const time = value ? dtmDateTime(value, zone) : undefined;
    if (time) return time;
  }
  return undefined;
}

/**
 * The visit's Encounter as it is now, if it exists; locked until the message's transaction ends,
 * since most messages that read it write it (the visit's messages are applied one at a time anyway).
 */
export function currentEncounter(ctx: MappingContext, pv1: Er7Segment): Promise<Encounter | undefined> {
  const key = visitKey(pv1);
  if (!key) throw requiredField('PV1', 19, 'visit number');
  return ctx.repo.readForUpdate<Encounter>('Encounter', encounterIdFor(key));
}

/**
 * The visit's Encounter with PV1's fields applied (not yet written): the existing one, or a new one
 * with `status`. Records the encounter as it was in the effects.
 */
export async function encounterFromPv1(ctx: MappingContext, pv1: Er7Segment, patient: Reference<Patient>, status: Encounter['status']): Promise<Encounter> {
  const existing = await currentEncounter(ctx, pv1);
  ctx.effects.encounter ??= { id: encounterIdFor(visitKey(pv1) as string), ...(existing ? { before: existing } : {}) };
  const encounter: Encounter = existing ? structuredClone(existing) : {
    resourceType: 'Encounter', id: encounterIdFor(visitKey(pv1) as string), status, class: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' },
  };
  encounter.subject = patient;
  encounter.identifier = [visitNumber(pv1) as Identifier];
  const patientClass = PATIENT_CLASS[pv1.get(2).trim().toUpperCase()];
  if (patientClass) encounter.class = { system: ACT_CODE, ...patientClass };
  const service = firstOf(pv1, 10, cweConcept);
  if (service) {
    for (const coding of service.coding ?? []) coding.system ??= 'http://terminology.hl7.org/CodeSystem/v2-0069';
    encounter.serviceType = service;
  }
  const participants = applyRules({} as { participant?: Encounter['participant'] }, pv1, PV1_RULES).participant;
  if (participants) encounter.participant = participants;
  const admitSource = firstOf(pv1, 14, cweConcept);
  const disposition = firstOf(pv1, 36, cweConcept);
  if (admitSource || disposition) {
    encounter.hospitalization = { ...encounter.hospitalization, ...(admitSource ? { admitSource } : {}), ...(disposition ? { dischargeDisposition: disposition } : {}) };
  }
  const start = dtmDateTime(pv1.get(44), ctx.options.defaultTimeZone);
  const end = dtmDateTime(pv1.get(45), ctx.options.defaultTimeZone);
  if (start || end) encounter.period = { ...encounter.period, ...(start ? { start } : {}), ...(end ? { end } : {}) };
  return encounter;
}

/** The Encounter's current location entries (status active, or no status). */
export const activeLocations = (encounter: Encounter): EncounterLocation[] =>
  (encounter.location ?? []).filter((l) => l.status === 'active' || l.status === undefined);

/**
 * Moves the encounter to `place` at `at`: the locations it is in become `completed` (their beds
 * released), the new one `active` (its bed occupied when `occupy`). Nothing changes when it is
 * already there (but its bed is occupied if it should be).
 */
export async function moveEncounter(ctx: MappingContext, encounter: Encounter, place: Place | undefined, at: string | undefined, occupy: boolean): Promise<void> {
  if (!place) return;
  encounter.serviceProvider ??= { reference: `Organization/${place.hospital.id}`, display: place.hospital.name };
  const target: Location = place.bed ?? place.ward;
  const here = activeLocations(encounter);
  if (here.length === 1 && locationId(here[0]?.location) === target.id) {
    if (occupy && place.bed) await occupyBed(ctx, place.bed.id as string);
    return;
  }
  await leaveLocations(ctx, encounter, at);
  encounter.location = [...(encounter.location ?? []), {
    location: { reference: `Location/${target.id}`, display: target.name },
    status: occupy ? 'active' : 'planned',
    ...(at ? { period: { start: at } } : {}),
  }];
  if (occupy && place.bed && isBed(place.bed)) await occupyBed(ctx, place.bed.id as string);
}

/** The encounter leaves where it is (A02 before the new place, A03): entries completed, beds released. */
export async function leaveLocations(ctx: MappingContext, encounter: Encounter, at: string | undefined): Promise<void> {
  for (const entry of activeLocations(encounter)) {
    entry.status = 'completed';
    if (at) entry.period = { ...entry.period, end: at };
    const id = locationId(entry.location);
    if (id) await releaseBed(ctx, id);
  }
}
