/**
 * SIU_S12, the structure of S12 (new booking), S13 (rescheduling), S14 (modification), S15
 * (cancellation), S17 (deletion) and S26 (no-show): operating room scheduling as an Appointment.
 * Its id comes from the filler appointment id (SCH-2), else the placer's (SCH-1). The procedure
 * (AIS-3) is the serviceType, the reason (SCH-7) the reasonCode; start and end from AIS-4 and its
 * duration (AIS-7, AIS-8), else AIL-6, TQ1-7/8 or SCH-11; participants: the Patient (PID), the
 * operating room (AIL-3, a Location of the hospital model), the staff (AIP-3 with their role
 * AIP-4) and the equipment (AIG-3).
 * @see https://hl7.org/fhir/uv/v2mappings/segment_maps.html (SCH[Appointment])
 */
import type { Appointment, AppointmentParticipant } from '@medplum/fhirtypes';
import type { Er7Segment } from '../er7/index.ts';
import { ERROR_CODE, applicationError, requiredField } from '../errors.ts';
import type { MappingContext, MessageMapping } from './context.ts';
import { cweConcept, dtmDateTime, nmNumber, xcnReference } from './datatypes.ts';
import { naturalId } from './ids.ts';
import { resolveOperatingRoom } from './locations.ts';
import { upsertPatient } from './patient.ts';
import { requireSegment } from './segments.ts';

const EVENT_STATUS: Record<string, Appointment['status']> = {
  S12: 'booked', S13: 'booked', S14: 'booked', S15: 'cancelled', S16: 'cancelled', S17: 'entered-in-error', S26: 'noshow',
};

/** Table 0278 (filler status codes), which overrides the event's status when given. */
const FILLER_STATUS: Record<string, Appointment['status']> = {
  booked: 'booked', pending: 'pending', cancelled: 'cancelled', complete: 'fulfilled', noshow: 'noshow', waitlist: 'waitlist',
  overbook: 'booked', blocked: 'booked', started: 'arrived', deleted: 'entered-in-error', dc: 'cancelled',
};

const UNIT_MINUTES: Record<string, number> = { s: 1 / 60, sec: 1 / 60, min: 1, m: 1, h: 60, hr: 60, hour: 60, d: 1440 };

/** Start and minutes of a resource segment: start field and duration with its unit (a CNE, default minutes). */
function slotOf(segment: Er7Segment | undefined, startField: number, durationField: number, zone: string): { start: string; minutes?: number } | undefined {
  const start = segment && dtmDateTime(segment.get(startField), zone);
  if (!start) return undefined;
  const amount = nmNumber(segment.get(durationField));
  const unit = UNIT_MINUTES[segment.get(durationField + 1).trim().toLowerCase()] ?? 1;
  return { start, ...(amount !== undefined ? { minutes: amount * unit } : {}) };
}

function timesOf(ctx: MappingContext): { start?: string; end?: string; minutes?: number } {
  const zone = ctx.options.defaultTimeZone;
  const slot = slotOf(ctx.message.segment('AIS'), 4, 7, zone) ?? slotOf(ctx.message.segment('AIL'), 6, 9, zone);
  if (slot?.minutes !== undefined) {
    const end = new Date(Date.parse(slot.start) + slot.minutes * 60_000).toISOString();
    return { start: new Date(Date.parse(slot.start)).toISOString(), end, minutes: Math.round(slot.minutes) };
  }
  const tq1 = ctx.message.segment('TQ1');
  const sch = ctx.message.segment('SCH');
  const start = (slot?.start) ?? dtmDateTime(tq1?.get(7) ?? '', zone) ?? dtmDateTime(sch?.get(11, 4) ?? '', zone);
  const end = dtmDateTime(tq1?.get(8) ?? '', zone) ?? dtmDateTime(sch?.get(11, 5) ?? '', zone);
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

export const siuS12: MessageMapping = async (ctx) => {
  const sch = requireSegment(ctx, 'SCH');
  const key = sch.get(2) ? `filler|${sch.get(2)}|${sch.get(2, 2)}` : sch.get(1) ? `placer|${sch.get(1)}|${sch.get(1, 2)}` : '';
  if (!key) throw requiredField('SCH', 2, 'filler appointment id (or SCH-1, placer appointment id)');
  const patient = await upsertPatient(ctx.repo, requireSegment(ctx, 'PID'));
  const status = FILLER_STATUS[sch.get(25).trim().toLowerCase()] ?? EVENT_STATUS[ctx.message.triggerEvent] ?? 'booked';
  const { start, end, minutes } = timesOf(ctx);
  if ((!start || !end) && status !== 'cancelled' && status !== 'proposed' && status !== 'entered-in-error') {
    throw applicationError(ERROR_CODE.requiredFieldMissing, 'The appointment has no start and end (AIS-4 and AIS-7, AIL-6 and AIL-9, TQ1-7 and TQ1-8, or SCH-11)', { segment: 'AIS', field: 4 });
  }
  const participant: AppointmentParticipant[] = [{ actor: patient, status: 'accepted' }];
  for (const ail of ctx.message.all('AIL')) {
    const pl = ail.field(3).repetitions[0];
    const room = pl && (await resolveOperatingRoom(ctx, pl, { segment: 'AIL', sequence: ail.sequence, field: 3 }));
    if (room) participant.push({ actor: { reference: `Location/${room.id}`, display: room.name }, status: 'accepted' });
  }
  for (const aip of ctx.message.all('AIP')) {
    const person = aip.field(3).repetitions[0];
    const actor = person && xcnReference(person);
    const role = aip.field(4).repetitions[0];
    const type = role && cweConcept(role);
    if (actor) participant.push({ actor, ...(type ? { type: [type] } : {}), status: 'accepted' });
  }
  for (const aig of ctx.message.all('AIG')) {
    const resource = aig.field(3).repetitions[0];
    const concept = resource && cweConcept(resource);
    if (concept) participant.push({ actor: { type: 'Device', display: concept.text ?? concept.coding?.[0]?.display ?? concept.coding?.[0]?.code }, status: 'accepted' });
  }
  const procedures = ctx.message.all('AIS').map((ais) => ais.field(3).repetitions[0]).map((r) => r && cweConcept(r)).filter((c) => c !== undefined);
  const reason = sch.field(7).repetitions[0];
  const reasonCode = reason && cweConcept(reason);
  const appointment: Appointment = {
    resourceType: 'Appointment',
    id: naturalId('appt', key),
    identifier: [{ value: sch.get(2) || sch.get(1) }],
    status,
    ...(procedures.length ? { serviceType: procedures } : {}),
    ...(reasonCode ? { reasonCode: [reasonCode] } : {}),
    ...(start ? { start } : {}),
    ...(end ? { end } : {}),
    ...(minutes !== undefined ? { minutesDuration: minutes } : {}),
    participant,
  };
  await ctx.repo.update(appointment);
};
