/**
 * ADT_A05, the structure of A05 (pre-admit), A28 (add person information) and A31 (update person
 * information). A05 plans the visit (status `planned`, the place of PV1-3 noted as planned, no bed
 * taken); A28 and A31 concern the person only.
 */
import type { MessageMapping } from './context.ts';
import { admit } from './adt-a01.ts';
import { upsertPatient } from './patient.ts';
import { requireSegment } from './segments.ts';

/** A05 (pre-admit): a planned Encounter, its planned place noted, no bed taken. */
export const adtA05: MessageMapping = (ctx) => admit(ctx, 'planned', false);

/** A28 (add person) and A31 (update person): the Patient only. */
export const adtPerson: MessageMapping = async (ctx) => {
  await upsertPatient(ctx.repo, requireSegment(ctx, 'PID'));
};
