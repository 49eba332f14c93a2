/**
 * ADT_A01, the structure of A01 (admit), A04 (register) and A08 (update patient information):
 * the Patient from PID, the Encounter from PV1, and the patient placed in PV1-3 (the bed occupied).
 * Statuses after the v2-to-FHIR event map (table 0003 to encounter status): A01 in-progress;
 * A04 `arrived` rather than the guide's `planned`, since a registered patient is present (an
 * emergency box is taken); A08 keeps the status it finds.
 * @see https://hl7.org/fhir/uv/v2mappings/ConceptMap-table-hl70003-to-encounter-status.html
 */
import type { Encounter } from '@medplum/fhirtypes';
import type { MappingContext, MessageMapping } from './context.ts';
import { encounterFromPv1, eventTime, moveEncounter } from './encounter.ts';
import { assignedPlace } from './locations.ts';
import { upsertPatient } from './patient.ts';
import { requireSegment } from './segments.ts';

/** Patient, Encounter (created with `status`, or set to it when `force`), and the place of PV1-3. */
export async function admit(ctx: MappingContext, status: Encounter['status'], force: boolean): Promise<void> {
  const patient = await upsertPatient(ctx.repo, requireSegment(ctx, 'PID'));
  const pv1 = requireSegment(ctx, 'PV1');
  const encounter = await encounterFromPv1(ctx, pv1, patient, status);
  if (force) encounter.status = status;
  const present = encounter.status === 'in-progress' || encounter.status === 'arrived';
  const place = await assignedPlace(ctx, pv1);
  await moveEncounter(ctx, encounter, place, eventTime(ctx, 44), present);
  await ctx.repo.update(encounter);
}

export const adtA01: MessageMapping = (ctx) => admit(ctx, 'in-progress', true);
export const adtA04: MessageMapping = (ctx) => admit(ctx, 'arrived', true);

/** A08: the patient's data, and the visit's when PV1 names one (without changing its status). */
export const adtA08: MessageMapping = async (ctx) => {
  const pv1 = ctx.message.segment('PV1');
  if (!pv1 || pv1.field(19).isEmpty()) {
    await upsertPatient(ctx.repo, requireSegment(ctx, 'PID'));
    return;
  }
  await admit(ctx, pv1.get(45).trim() ? 'finished' : 'in-progress', false);
};
