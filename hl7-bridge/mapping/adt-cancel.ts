/**
 * Cancels: A11 (cancel admit/visit, ADT_A09), A12 (cancel transfer, ADT_A12) and A13 (cancel
 * discharge, ADT_A01) undo exactly what the original A01/A04/A05, A02 or A03 did. The message log
 * kept the original's effects: the Encounter as it was before it, and each bed status it changed.
 * The Encounter gets back its status, period and locations (an Encounter the original created is
 * `cancelled`); each bed still as the original left it goes back to what it was, and a bed the
 * original freed is occupied again. Without an original in the log (it came before Passerelle
 * was connected), the cancel is applied from the message itself.
 */
import type { Encounter } from '@medplum/fhirtypes';
import { locationId } from '../../profiles/index.ts';
import { ERROR_CODE, applicationError } from '../errors.ts';
import type { MappingContext, MessageMapping } from './context.ts';
import { activeLocations, currentEncounter, eventTime, leaveLocations, moveEncounter } from './encounter.ts';
import { occupyBed, undoBedChanges } from './beds.ts';
import { assignedPlace } from './locations.ts';
import { upsertPatient } from './patient.ts';
import { requireSegment } from './segments.ts';

/** The visit's Encounter, which a cancel needs (AE 204 when unknown). */
async function encounterToCancel(ctx: MappingContext): Promise<Encounter> {
  await upsertPatient(ctx.repo, requireSegment(ctx, 'PID'));
  const encounter = await currentEncounter(ctx, requireSegment(ctx, 'PV1'));
  if (!encounter) throw applicationError(ERROR_CODE.unknownKey, 'PV1-19 names a visit that is not known: nothing to cancel', { segment: 'PV1', field: 19 });
  ctx.effects.encounter = { id: encounter.id as string, before: encounter };
  return encounter;
}

/** Undoes the latest applied message of `events` for this visit; false when there is none. */
async function undoOriginal(ctx: MappingContext, encounter: Encounter, events: string[]): Promise<boolean> {
  const original = await ctx.findOriginal(events);
  if (!original) return false;
  const before = original.effects.encounter?.before;
  const restored: Encounter = before
    ? { ...encounter, status: before.status, period: before.period, location: before.location, hospitalization: before.hospitalization }
    : { ...encounter, status: 'cancelled', location: (encounter.location ?? []).map((l) => ({ ...l, status: 'completed' as const })) };
  for (const key of ['period', 'location', 'hospitalization'] as const) if (restored[key] === undefined) delete restored[key];
  await undoBedChanges(ctx, original.effects.beds);
  await ctx.repo.update(restored);
  return true;
}

/** A11: the admission (or registration, or pre-admission) did not happen. */
export const adtA11: MessageMapping = async (ctx) => {
  const encounter = await encounterToCancel(ctx);
  if (await undoOriginal(ctx, encounter, ['ADT^A01', 'ADT^A04', 'ADT^A05'])) return;
  encounter.status = 'cancelled';
  await leaveLocations(ctx, encounter, eventTime(ctx));
  await ctx.repo.update(encounter);
};

/** A12: the transfer did not happen; without the original, the patient is put back in PV1-3. */
export const adtA12: MessageMapping = async (ctx) => {
  const encounter = await encounterToCancel(ctx);
  if (await undoOriginal(ctx, encounter, ['ADT^A02'])) return;
  const place = await assignedPlace(ctx, requireSegment(ctx, 'PV1'));
  await moveEncounter(ctx, encounter, place, eventTime(ctx), true);
  await ctx.repo.update(encounter);
};

/** A13: the discharge did not happen; without the original, the last place is taken again. */
export const adtA13: MessageMapping = async (ctx) => {
  const encounter = await encounterToCancel(ctx);
  if (await undoOriginal(ctx, encounter, ['ADT^A03'])) return;
  encounter.status = 'in-progress';
  if (encounter.period?.end) delete encounter.period.end;
  if (encounter.period && Object.keys(encounter.period).length === 0) delete encounter.period;
  const last = encounter.location?.at(-1);
  if (last && activeLocations(encounter).length === 0) {
    last.status = 'active';
    if (last.period?.end) delete last.period.end;
    const id = locationId(last.location);
    if (id) await occupyBed(ctx, id);
  }
  await ctx.repo.update(encounter);
};
