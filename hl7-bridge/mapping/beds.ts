/**
 * Bed occupancy: a bed's status is its Location.operationalStatus (v2 table 0116). Every change is
 * recorded in the message's effects, so a cancel can put back exactly what was there; the
 * bed-availability rule recounts the ward in the same transaction.
 */
import type { Location } from '@medplum/fhirtypes';
import { BED_STATUS, bedStatusCoding, isBed, SYSTEM, type BedStatusCode } from '../../profiles/index.ts';
import type { MappingContext } from './context.ts';

/** The v2-0116 status of a bed, undefined when it has none. */
export function bedStatusOf(bed: Location): string | undefined {
  const status = bed.operationalStatus;
  return status?.system === SYSTEM.bedStatus ? status.code : undefined;
}

/** Sets a bed's status (no write when it already has it) and records the change. */
export async function setBedStatus(ctx: MappingContext, bedId: string, status: BedStatusCode): Promise<void> {
  const bed = await ctx.repo.readForUpdate<Location>('Location', bedId);
  if (!bed || !isBed(bed)) return;
  const from = bedStatusOf(bed);
  if (from === status) return;
  await ctx.repo.update({ ...bed, operationalStatus: bedStatusCoding(status) });
  ctx.effects.beds.push({ bed: bedId, ...(from ? { from } : {}), to: status });
}

/** A patient takes the bed. */
export const occupyBed = (ctx: MappingContext, bedId: string): Promise<void> => setBedStatus(ctx, bedId, BED_STATUS.occupied);

/** A patient leaves the bed: it becomes unoccupied (or housekeeping, per the options) if it was occupied. */
export async function releaseBed(ctx: MappingContext, bedId: string): Promise<void> {
  const bed = await ctx.repo.readForUpdate<Location>('Location', bedId);
  if (!bed || bedStatusOf(bed) !== BED_STATUS.occupied) return;
  await setBedStatus(ctx, bedId, ctx.options.releasedBedStatus);
}

/**
 * Undoes recorded bed changes, newest first: a bed still in the state the original left it goes
 * back to what it was (a bed that was created gets the released status); a bed the original had
 * freed is occupied again.
 */
export async function undoBedChanges(ctx: MappingContext, changes: readonly { bed: string; from?: string; to: string }[]): Promise<void> {
  for (const change of [...changes].reverse()) {
    const bed = await ctx.repo.readForUpdate<Location>('Location', change.bed);
    if (!bed) continue;
    const now = bedStatusOf(bed);
    const previous = (change.from ?? ctx.options.releasedBedStatus) as BedStatusCode;
    if (now === change.to) await setBedStatus(ctx, change.bed, previous);
    else if (previous === BED_STATUS.occupied) await setBedStatus(ctx, change.bed, BED_STATUS.occupied);
  }
}
