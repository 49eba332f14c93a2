/**
 * ADT_A03 (A03, discharge / end visit): the Encounter is `finished`, its period ends (PV1-45, else
 * the event time), the places it was in are `completed` and their beds released.
 */
import type { MessageMapping } from './context.ts';
import { encounterFromPv1, eventTime, leaveLocations } from './encounter.ts';
import { upsertPatient } from './patient.ts';
import { requireSegment } from './segments.ts';

export const adtA03: MessageMapping = async (ctx) => {
  const patient = await upsertPatient(ctx.repo, requireSegment(ctx, 'PID'));
  const pv1 = requireSegment(ctx, 'PV1');
  const encounter = await encounterFromPv1(ctx, pv1, patient, 'finished');
  encounter.status = 'finished';
  const end = eventTime(ctx, 45);
  if (end) encounter.period = { ...encounter.period, end };
  await leaveLocations(ctx, encounter, end);
  await ctx.repo.update(encounter);
};
