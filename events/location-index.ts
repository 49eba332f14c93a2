/**
 * Where resources are, for the live stream's Location filter ("everything under this operating
 * room, this ward, this hospital"): each Location's parent (`partOf`) and each Device's Location,
 * loaded once and then kept true by the change feed itself. A resource is under a Location when
 * one of the Locations it refers to (directly, or through a Device it refers to) is that
 * Location or lies inside it.
 * @see https://hl7.org/fhir/R4/location.html#hierarchy
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../fhir/index.ts';
import type { Change } from './change.ts';

/** Deeper than any real site -> building -> ward -> room -> bed chain; stops a `partOf` cycle. */
const MAX_DEPTH = 32;
/** How deep references are looked for inside a resource (Encounter.location.location is 3). */
const MAX_REFERENCE_DEPTH = 6;
const REFERENCE = /(?:^|\/)(Location|Device)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]*)?$/;

export class LocationIndex {
  readonly #parent = new Map<string, string>();
  readonly #deviceLocation = new Map<string, string>();

  /** Changes seen before the load finished: replayed over it, in order, so the newest value wins. */
  #pending: Change[] | undefined = [];

  /**
   * Reads every Location's parent and every Device's Location. Subscribe to the feed first: what
   * the feed brings meanwhile is applied after the load, in feed order, and so ends up current.
   */
  async load(q: Queryable): Promise<void> {
    const rows = await q.query<{ resource_type: string; id: string; target: string | null }>(
      `SELECT resource_type, id, CASE WHEN resource_type = 'Location' THEN content->'partOf'->>'reference' ELSE content->'location'->>'reference' END AS target
       FROM fhir_resource WHERE resource_type IN ('Location', 'Device') AND NOT deleted`,
    );
    for (const row of rows) this.#set(row.resource_type, row.id, row.target ?? undefined);
    const pending = this.#pending ?? [];
    this.#pending = undefined;
    for (const change of pending) this.follow(change);
  }

  /**
   * Follows the feed (call with every change, in order) and tells which Locations the change
   * concerns: where the resource is, and where it was (a Device moved out of a room concerns the
   * room it left). Before the load has finished the answer is empty.
   */
  follow(change: Change): Set<string> {
    if (this.#pending) {
      this.#pending.push(change);
      return new Set();
    }
    const wasAt = change.resourceType === 'Device' ? this.#deviceLocation.get(change.id) : undefined;
    if (change.resourceType === 'Location' || change.resourceType === 'Device') {
      const resource = change.interaction === 'delete' ? undefined : change.resource as { partOf?: { reference?: string }; location?: { reference?: string } } | undefined;
      const target = change.resourceType === 'Location' ? resource?.partOf?.reference : resource?.location?.reference;
      this.#set(change.resourceType, change.id, target);
    }
    const locations = change.resource ? this.locationsOf(change.resource) : new Set<string>();
    if (wasAt) locations.add(wasAt);
    return locations;
  }

  /** The ids of the Locations a resource is at: itself (a Location), those it refers to, and those of the Devices it refers to. */
  locationsOf(resource: Resource): Set<string> {
    const locations = new Set<string>();
    if (resource.resourceType === 'Location' && resource.id) locations.add(resource.id);
    collectReferences(resource, 0, (type, id) => {
      const location = type === 'Location' ? id : this.#deviceLocation.get(id);
      if (location) locations.add(location);
    });
    return locations;
  }

  /** Whether `locationId` is `ancestorId` or lies inside it. */
  isWithin(locationId: string, ancestorId: string): boolean {
    let current: string | undefined = locationId;
    for (let depth = 0; current !== undefined && depth < MAX_DEPTH; depth += 1) {
      if (current === ancestorId) return true;
      current = this.#parent.get(current);
    }
    return false;
  }

  #set(resourceType: string, id: string, reference: string | undefined): void {
    const map = resourceType === 'Location' ? this.#parent : this.#deviceLocation;
    const target = reference === undefined ? undefined : REFERENCE.exec(reference);
    if (target && target[1] === 'Location') map.set(id, target[2] as string);
    else map.delete(id);
  }
}

/** Calls `found` with each Location or Device reference in the resource (not in contained resources). */
function collectReferences(value: unknown, depth: number, found: (type: 'Location' | 'Device', id: string) => void): void {
  if (depth > MAX_REFERENCE_DEPTH || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, depth + 1, found);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === 'contained' || key === 'text') continue;
    if (key === 'reference' && typeof child === 'string') {
      const match = REFERENCE.exec(child);
      if (match) found(match[1] as 'Location' | 'Device', match[2] as string);
    } else if (typeof child === 'object') {
      collectReferences(child, depth + 1, found);
    }
  }
}
