/**
 * ADT_A39 (A40, merge patient - patient identifier list): the patient of MRG-1 is merged into the
 * patient of PID-3. The merged Patient becomes inactive with a `replaced-by` link to the survivor,
 * the survivor gets a `replaces` link, and every resource that referred to the merged Patient
 * (encounters, observations, appointments, imaging studies...) now refers to the survivor.
 * @see https://hl7.org/fhir/R4/patient.html#links
 */
import type { Patient, Reference, Resource } from '@medplum/fhirtypes';
import { requiredField } from '../errors.ts';
import type { MessageMapping } from './context.ts';
import { findPatient, mainIdentifier, upsertPatient } from './patient.ts';
import { requireSegment } from './segments.ts';

/** A copy of `resource` with every reference to `from` (relative or absolute) pointing to `to`. */
export function moveReferences<T>(resource: T, from: string, to: string): T {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = key === 'reference' && typeof item === 'string' && (item === from || item.endsWith(`/${from}`)) ? to : walk(item);
    }
    return out;
  };
  return walk(resource) as T;
}

export const adtA40: MessageMapping = async (ctx) => {
  const survivorRef = await upsertPatient(ctx.repo, requireSegment(ctx, 'PID'));
  const mrg = requireSegment(ctx, 'MRG');
  const oldIdentifier = mainIdentifier(mrg.field(1).repetitions);
  if (!oldIdentifier) throw requiredField('MRG', 1, 'prior patient identifier list');
  const merged = await findPatient(ctx.repo, oldIdentifier);
  // A patient Passerelle never saw has nothing to move: the survivor is up to date, that is all.
  if (!merged || `Patient/${merged.id}` === survivorRef.reference) return;
  const survivorId = survivorRef.reference as string;
  const mergedRef = `Patient/${merged.id}`;
  const moved = new Set<string>();
  for (;;) {
    const batch = (await ctx.repo.referencing('Patient', merged.id as string))
      .filter((r) => `${r.resourceType}/${r.id}` !== survivorId && `${r.resourceType}/${r.id}` !== mergedRef && !moved.has(`${r.resourceType}/${r.id}`));
    if (batch.length === 0) break;
    for (const resource of batch) {
      moved.add(`${resource.resourceType}/${resource.id}`);
      await ctx.repo.update(moveReferences<Resource>(resource, mergedRef, survivorId));
    }
  }
  const link = (other: string, type: 'replaced-by' | 'replaces'): NonNullable<Patient['link']>[number] => ({ other: { reference: other } as Reference<Patient>, type });
  const current = merged as Patient;
  await ctx.repo.update({ ...current, active: false, link: [...(current.link ?? []).filter((l) => l.other.reference !== survivorId), link(survivorId, 'replaced-by')] });
  const survivor = (await ctx.repo.read('Patient', survivorId.slice('Patient/'.length))) as Patient;
  if (!survivor.link?.some((l) => l.other.reference === mergedRef)) {
    await ctx.repo.update({ ...survivor, link: [...(survivor.link ?? []), link(mergedRef, 'replaces')] });
  }
};
