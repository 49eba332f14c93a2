/**
 * ADT_A02 (A02, transfer a patient): the patient moves to PV1-3. The location they leave becomes
 * `completed` in the Encounter's location history and its bed is released (unoccupied, or
 * housekeeping per the options); the new one is `active` and its bed occupied.
 */
import type { MessageMapping } from './context.ts';
import { encounterFromPv1, eventTime, moveEncounter } from './encounter.ts';
import { releaseBed } from './beds.ts';
import { assignedPlace, resolvePlace } from './locations.ts';
import { upsertPatient } from './patient.ts';
import { requireSegment } from './segments.ts';
import { requiredField } from '../errors.ts';

export const adtA02: MessageMapping = async (ctx) => {
  const patient = await upsertPatient(ctx.repo, requireSegment(ctx, 'PID'));
  const pv1 = requireSegment(ctx, 'PV1');
  const encounter = await encounterFromPv1(ctx, pv1, patient, 'in-progress');
  encounter.status = 'in-progress';
  const place = await assignedPlace(ctx, pv1);
  if (!place) throw requiredField('PV1', 3, 'assigned patient location');
  // The prior location (PV1-6) is where the patient was, when the encounter did not know it yet.
  const prior = pv1.field(6).repetitions[0];
  if (!encounter.location?.length && prior) {
    const before = await resolvePlace(ctx, prior, { segment: 'PV1', field: 6 });
    if (before?.bed) await releaseBed(ctx, before.bed.id as string);
  }
  await moveEncounter(ctx, encounter, place, eventTime(ctx), true);
  await ctx.repo.update(encounter);
};
