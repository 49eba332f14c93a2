/**
 * The rule that keeps each ward's bed-availability Observation true. It runs in the transaction of
 * every Location write (REST, Bundle, bridge): when a bed's ward, status or existence changes, or a
 * ward itself changes, the ward's beds are recounted by status (HL7 v2 table 0116) under a per-ward
 * lock and the Observation `Observation/bed-availability-<ward id>` is rewritten if a count (or the
 * ward's specialty, name or hospital) changed. Its version history is the ward's occupancy timeline.
 * Counts are `valueQuantity` in `{beds}`, and the specialty component carries the number of
 * available beds, so standard search finds wards of a specialty with a free bed
 * (`component-code-value-quantity=<specialty system>|cardiology$gt0`).
 * @see https://hl7.org/fhir/R4/location.html (operationalStatus, partOf)
 * @see https://terminology.hl7.org/CodeSystem-v2-0116.html
 */
import { createHash } from 'node:crypto';
import { deepEquals } from '@medplum/core';
import type { Location, Observation, ObservationComponent, Organization, Reference, Resource } from '@medplum/fhirtypes';
import { parseSearch, type Repository, type ResourceChange, type WriteHook } from '../fhir/index.ts';
import {
  AVAILABILITY_COMPONENTS, BED_AVAILABILITY_CODE, bedsQuantity, bedStatusCoding, PASSERELLE_SYSTEM, PHYSICAL_TYPE, PROFILE,
  SYSTEM, type AvailabilityCount, type BedStatusCode,
} from './model.ts';

const ID_PREFIX = 'bed-availability-';
const MAX_ID = 64;
/** Beds read per search page while counting (the search engine's largest page). */
const PAGE_SIZE = 1000;

/**
 * The id of a ward's bed-availability Observation: `bed-availability-<ward id>`, or for ward ids
 * too long to fit in 64 characters, `bed-availability-` and the first 47 hex digits of the id's SHA-256.
 */
export function bedAvailabilityId(wardId: string): string {
  const direct = ID_PREFIX + wardId;
  if (direct.length <= MAX_ID) return direct;
  return ID_PREFIX + createHash('sha256').update(wardId).digest('hex').slice(0, MAX_ID - ID_PREFIX.length);
}

export type BedCounts = Record<AvailabilityCount, number>;

const STATUS_COUNT = new Map<string, AvailabilityCount>(
  AVAILABILITY_COMPONENTS.flatMap((c) => ('bedStatus' in c ? [[c.bedStatus as string, c.code] as const] : [])),
);

const LOCATION_REFERENCE = /^(?:.*\/)?Location\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** The id of a Location reference (`Location/x`, absolute or versioned), if it is one. */
export function locationId(reference: Reference | undefined): string | undefined {
  return reference?.reference ? LOCATION_REFERENCE.exec(reference.reference)?.[1] : undefined;
}

function hasPhysicalType(resource: Resource | undefined, code: string): resource is Location {
  return resource?.resourceType === 'Location'
    && (resource.physicalType?.coding ?? []).some((c) => c.system === SYSTEM.locationPhysicalType && c.code === code);
}

export const isBed = (resource: Resource | undefined): resource is Location => hasPhysicalType(resource, PHYSICAL_TYPE.bed);
export const isWard = (resource: Resource | undefined): resource is Location => hasPhysicalType(resource, PHYSICAL_TYPE.ward);
export const isSite = (resource: Resource | undefined): resource is Location => hasPhysicalType(resource, PHYSICAL_TYPE.site);

/** What of a bed the counts depend on: its ward, and the count it falls in (none when inactive). */
function bedFacts(resource: Resource | undefined): { ward: string | undefined; count: AvailabilityCount | undefined } | undefined {
  if (!isBed(resource)) return undefined;
  return { ward: locationId(resource.partOf), count: countOf(resource) };
}

/** Which count a bed falls in; an `inactive` bed (no longer in service) is not counted at all. */
function countOf(bed: Location): AvailabilityCount | undefined {
  if (bed.status === 'inactive') return undefined;
  const status = bed.operationalStatus;
  return (status?.system === SYSTEM.bedStatus && status.code && STATUS_COUNT.get(status.code)) || 'unknown';
}

/** The wards whose Observation a change may affect. */
export function affectedWards(change: ResourceChange): string[] {
  const wards = new Set<string>();
  const before = bedFacts(change.before);
  const after = bedFacts(change.after);
  if ((before || after) && !deepEquals(before, after)) {
    if (before?.ward) wards.add(before.ward);
    if (after?.ward) wards.add(after.ward);
  }
  if (isWard(change.before) || isWard(change.after)) wards.add(change.id);
  return [...wards].sort();
}

/**
 * The Locations whose `partOf` is `Location/<id>`, every page of them (a page is the search
 * engine's largest, so more than one is unusual: a ward of more than 1,000 beds).
 */
export async function locationsPartOf(repo: Repository, id: string): Promise<Location[]> {
  const found: Location[] = [];
  for (let cursor: string | undefined; ; ) {
    const query = new URLSearchParams({ partof: `Location/${id}`, _count: String(PAGE_SIZE) });
    if (cursor) query.set('_cursor', cursor);
    const result = await repo.search(parseSearch('Location', query));
    found.push(...(result.resources as Location[]));
    cursor = result.next;
    if (!cursor || !result.more || result.resources.length === 0) return found;
  }
}

/** What of a Location its count depends on: the database groups a ward's Locations by these. */
const COUNTED_ELEMENTS = ['physicalType', 'partOf', 'status', 'operationalStatus'] as const;

/**
 * Counts the beds of a ward by status. The database groups the Locations that are part of the
 * ward by what the count depends on, so a recount reads a few groups, not every bed.
 */
export async function countBeds(repo: Repository, wardId: string): Promise<BedCounts> {
  const counts = Object.fromEntries(AVAILABILITY_COMPONENTS.map((c) => [c.code, 0])) as BedCounts;
  const groups = await repo.countByElements(parseSearch('Location', new URLSearchParams({ partof: `Location/${wardId}` })), [...COUNTED_ELEMENTS]);
  for (const { values, count: beds } of groups) {
    const location = { resourceType: 'Location', ...Object.fromEntries(COUNTED_ELEMENTS.map((element, i) => [element, values[i]])) } as Location;
    if (!isBed(location) || locationId(location.partOf) !== wardId) continue;
    const count = countOf(location);
    if (!count) continue;
    counts[count] += beds;
    counts.total += beds;
  }
  return counts;
}

/**
 * The ward's bed-availability Observation for these counts: one component per count, each a
 * `valueQuantity` in `{beds}`, then, if the ward has a specialty, a component coded with its
 * specialty coding(s) whose value is the number of available beds.
 */
export function availabilityObservation(ward: Location & { id: string }, counts: BedCounts, effective: string, hospital?: Reference<Organization>): Observation {
  const component: ObservationComponent[] = AVAILABILITY_COMPONENTS.map((c) => ({
    code: {
      coding: [
        { system: PASSERELLE_SYSTEM.bedAvailability, code: c.code, display: c.display },
        ...('bedStatus' in c ? [bedStatusCoding(c.bedStatus as BedStatusCode)] : []),
      ],
    },
    valueQuantity: bedsQuantity(counts[c.code]),
  }));
  const specialties = (ward.type ?? []).flatMap((t) => t.coding ?? []).filter((c) => c.system === PASSERELLE_SYSTEM.specialty && c.code);
  if (specialties.length > 0) component.push({ code: { coding: specialties }, valueQuantity: bedsQuantity(counts.available) });
  const observation: Observation = {
    resourceType: 'Observation',
    id: bedAvailabilityId(ward.id),
    meta: { profile: [PROFILE.bedAvailability] },
    status: 'final',
    code: { coding: [BED_AVAILABILITY_CODE], text: BED_AVAILABILITY_CODE.display },
    subject: { reference: `Location/${ward.id}`, ...(ward.name ? { display: ward.name } : {}) },
    effectiveDateTime: effective,
    component,
  };
  if (hospital) observation.performer = [hospital];
  return observation;
}

/** The ward's hospital: its own managingOrganization, else its site's. */
async function hospitalOf(repo: Repository, ward: Location): Promise<Reference<Organization> | undefined> {
  const own = ward.managingOrganization?.reference;
  if (own) return { reference: own };
  const siteId = locationId(ward.partOf);
  const site = siteId ? await repo.readIfExists('Location', siteId) : undefined;
  const viaSite = (site as Location | undefined)?.managingOrganization?.reference;
  return viaSite ? { reference: viaSite } : undefined;
}

/** Equal but for when they were taken (and the server's meta). */
function sameAvailability(a: Observation, b: Observation): boolean {
  const strip = (o: Observation): unknown => ({ ...o, effectiveDateTime: undefined, meta: { ...o.meta, versionId: undefined, lastUpdated: undefined } });
  return deepEquals(strip(a), strip(b));
}

/**
 * Recounts one ward and writes its Observation if anything changed; deletes it when the ward no
 * longer exists (or is no longer a ward). The caller holds the ward's lock, in a transaction.
 */
export async function refreshWard(repo: Repository, wardId: string, now = new Date().toISOString()): Promise<void> {
  const id = bedAvailabilityId(wardId);
  // Locked for its update; `lockWard` mostly took this very lock, so it is answered from memory.
  const [ward, current] = [await repo.readIfExists('Location', wardId), await repo.readForUpdate('Observation', id)];
  if (!isWard(ward)) {
    // Beds may arrive before their ward (e.g. in a Bundle); the ward's own write counts them.
    if (current) await repo.delete('Observation', id);
    return;
  }
  const next = availabilityObservation({ ...ward, id: wardId }, await countBeds(repo, wardId), now, await hospitalOf(repo, ward));
  if (current && sameAvailability(current as Observation, next)) return;
  await repo.update(next);
}

/**
 * Serialises recounts of one ward until the transaction ends (concurrent bed changes wait their
 * turn): the lock of the ward's Observation row, which the recount then rewrites; or, while there
 * is no such Observation, a lock on the ward's name, so that two first counts cannot both create it
 * (the second, let in after the first committed, then finds and locks the row).
 */
export async function lockWard(repo: Repository, wardId: string): Promise<void> {
  if (await repo.readForUpdate('Observation', bedAvailabilityId(wardId))) return;
  await repo.lockCondition('Observation', `ward=${wardId}`);
}

/** The wards of a site whose hospital (the site's managingOrganization) changed. */
async function wardsOfSite(repo: Repository, change: ResourceChange): Promise<string[]> {
  if (!isSite(change.before) && !isSite(change.after)) return [];
  const hospital = (site: Resource | undefined): string | undefined => (site as Location | undefined)?.managingOrganization?.reference;
  if (hospital(change.before) === hospital(change.after)) return [];
  return (await locationsPartOf(repo, change.id)).filter(isWard).map((ward) => ward.id as string);
}

/** The write hook: pass it to `createApp({ hooks })` or `new Repository(db, profiles, { hooks })`. */
export const bedAvailabilityRule: WriteHook = {
  interestedIn: (resourceType) => resourceType === 'Location',
  async afterWrite(repo, change) {
    const wards = [...new Set([...affectedWards(change), ...(await wardsOfSite(repo, change))])].sort();
    // Locks in a fixed order, so two transactions touching the same wards cannot deadlock.
    for (const ward of wards) await lockWard(repo, ward);
    const now = new Date().toISOString();
    for (const ward of wards) await refreshWard(repo, ward, now);
  },
};
