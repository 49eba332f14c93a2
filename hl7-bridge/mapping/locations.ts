/**
 * PL (person location: point of care, room, bed, facility) to the hospital model's Locations.
 * The facility (PL.4, else MSH-4) names the hospital by its FINESS; the point of care (PL.1) is a
 * ward of it and the bed (PL.3, with the room PL.2 when given) a bed of that ward. Ids follow
 * `seed --demo`'s natural keys (`ward-<FINESS>-<point of care>`, `bed-<FINESS>-<point of care>-<bed>`),
 * and Locations created elsewhere can be matched by adding the identifier
 * `https://passerelle.health/fhir/NamingSystem/hl7v2-location|<FINESS>/<point of care>[/<room>]/<bed>`.
 * Unknown wards and beds are created (or refused with AE, per the bridge's options); unknown
 * hospitals never are: a hospital is set up with its FINESS, site and position, not by a feed.
 * @see HL7 v2.5 section 2.A.53 (PL)
 */
import type { Location, Organization, Reference } from '@medplum/fhirtypes';
import {
  BED_STATUS, bedStatusCoding, OPERATING_ROOM_TYPE, PHYSICAL_TYPE, physicalTypeCoding, PROFILE, SPECIALTIES, specialtyCoding, SYSTEM, isSite, type Specialty,
} from '../../profiles/index.ts';
import type { Repository } from '../../fhir/index.ts';
import type { Er7Location, Er7Repetition, Er7Segment } from '../er7/index.ts';
import { ERROR_CODE, applicationError } from '../errors.ts';
import type { MappingContext } from './context.ts';
import { locationIdFor } from './ids.ts';
import { searchAll, searchFirst } from './resources.ts';

export const HL7_LOCATION_SYSTEM = 'https://passerelle.health/fhir/NamingSystem/hl7v2-location';

/** Table 0069 (hospital service) codes that name one of our ward specialties. */
const SERVICE_SPECIALTY: Record<string, Specialty> = {
  CAR: 'cardiology', MED: 'internal-medicine', PUL: 'pneumology', SUR: 'general-surgery', NEU: 'neurology', PED: 'pediatrics',
  ONC: 'oncology', GER: 'geriatrics', PSY: 'psychiatry', OBS: 'maternity', ICU: 'intensive-care', ORT: 'orthopedics', EME: 'emergency',
};

export interface Place {
  hospital: Organization;
  ward: Location;
  /** The bed, when PL.3 names one. */
  bed?: Location;
}

const ref = <T extends Location | Organization>(resource: T): Reference<T> => ({ reference: `${resource.resourceType}/${resource.id}`, display: resource.name });

/** The hospital a facility (HD) names: FINESS in HD.2 or HD.1, tried in order with the fallbacks. */
async function findHospital(repo: Repository, candidates: string[]): Promise<Organization | undefined> {
  for (const value of candidates.map((c) => c.trim()).filter(Boolean)) {
    const found = await searchFirst<Organization>(repo, 'Organization', { identifier: `${SYSTEM.finess}|${value}` });
    if (found) return found;
  }
  return undefined;
}

/** The site a created ward or room belongs to: the hospital's Location without `partOf` of physical type site. */
async function findSite(repo: Repository, hospital: Organization): Promise<Location | undefined> {
  const roots = await searchAll<Location>(repo, 'Location', { organization: `Organization/${hospital.id}`, 'partof:missing': 'true' }, 20);
  return roots.find(isSite);
}

/**
 * A Location by natural id (locked for an update when `forUpdate`), else by our identifier, else
 * created by `make` (if the options allow).
 */
async function findOrCreate(
  ctx: MappingContext, id: string, key: string, where: Er7Location, what: string, make: () => Promise<Location>, forUpdate = false,
): Promise<Location> {
  const byId = forUpdate ? ctx.repo.readForUpdate<Location>('Location', id) : ctx.repo.readIfExists<Location>('Location', id);
  const found = (await byId) ?? (await searchFirst<Location>(ctx.repo, 'Location', { identifier: `${HL7_LOCATION_SYSTEM}|${key}` }));
  if (found) return found;
  if (ctx.options.unknownLocations === 'reject') {
    throw applicationError(ERROR_CODE.unknownKey, `${what} ${key} is not known (unknown locations are refused)`, where);
  }
  const { resource } = await ctx.repo.update(await make());
  return resource as Location;
}

/** The hospital of a PL: its facility (PL.4), else the sending facility (MSH-4), by FINESS. */
async function hospitalOf(ctx: MappingContext, pl: Er7Repetition, where: Er7Location): Promise<{ hospital: Organization; finess: string }> {
  const hospital = await findHospital(ctx.repo, [pl.get(4, 2), pl.get(4, 1), ctx.message.header.get(4, 2), ctx.message.header.get(4, 1)]);
  if (!hospital) {
    throw applicationError(ERROR_CODE.unknownKey, `The facility of ${where.segment}-${where.field} (PL.4, else MSH-4) is not a hospital known by its FINESS`, { ...where, component: 4 });
  }
  return { hospital, finess: hospital.identifier?.find((i) => i.system === SYSTEM.finess)?.value as string };
}

/** A new Location under a hospital: with its profile when it has what the profile needs (a site, a specialty). */
async function newLocation(ctx: MappingContext, hospital: Organization, fields: Partial<Location> & { id: string; name: string }, profile: string | undefined, needsSite: boolean): Promise<Location> {
  const site = needsSite ? await findSite(ctx.repo, hospital) : undefined;
  return {
    resourceType: 'Location',
    ...(profile && (site || !needsSite) ? { meta: { profile: [profile] } } : {}),
    status: 'active',
    mode: 'instance',
    managingOrganization: ref(hospital),
    ...(site ? { partOf: ref(site) } : {}),
    ...fields,
  };
}

/**
 * The ward and bed a PL names, created when unknown; undefined when the PL names no point of care.
 * `service` is PV1-10 (hospital service, table 0069), the specialty of a ward created here.
 */
export async function resolvePlace(ctx: MappingContext, pl: Er7Repetition, where: Er7Location, service = ''): Promise<Place | undefined> {
  const pointOfCare = pl.get(1).trim();
  const room = pl.get(2).trim();
  const bedCode = pl.get(3).trim();
  if (!pointOfCare) {
    if (bedCode) throw applicationError(ERROR_CODE.requiredFieldMissing, `${where.segment}-${where.field}.1 (point of care) is required with a bed`, { ...where, component: 1 });
    return undefined;
  }
  const { hospital, finess } = await hospitalOf(ctx, pl, where);
  const wardKey = `${finess}/${pointOfCare}`;
  const wardId = locationIdFor('ward', finess, pointOfCare);
  const specialty = SERVICE_SPECIALTY[service.trim().toUpperCase()];
  const ward = await findOrCreate(ctx, wardId, wardKey, { ...where, component: 1 }, 'Ward', () => newLocation(ctx, hospital, {
    id: wardId,
    identifier: [{ system: HL7_LOCATION_SYSTEM, value: wardKey }],
    name: pointOfCare,
    physicalType: { coding: [physicalTypeCoding(PHYSICAL_TYPE.ward)] },
    ...(specialty ? { type: [{ coding: [specialtyCoding(specialty)], text: SPECIALTIES[specialty] }] } : {}),
  }, specialty ? PROFILE.ward : undefined, true));
  if (!bedCode) return { hospital, ward };
  const bedParts = room ? [pointOfCare, room, bedCode] : [pointOfCare, bedCode];
  const bedKey = `${finess}/${bedParts.join('/')}`;
  const bedId = locationIdFor('bed', finess, ...bedParts);
  // The bed is locked as found: the message is about to occupy or free it.
  const bed = await findOrCreate(ctx, bedId, bedKey, { ...where, component: 3 }, 'Bed', () => newLocation(ctx, hospital, {
    id: bedId,
    identifier: [{ system: HL7_LOCATION_SYSTEM, value: bedKey }],
    operationalStatus: bedStatusCoding(BED_STATUS.unoccupied),
    name: pl.get(9).trim() || [pointOfCare, room, bedCode].filter(Boolean).join(' '),
    physicalType: { coding: [physicalTypeCoding(PHYSICAL_TYPE.bed)] },
    partOf: ref(ward),
  }, PROFILE.bed, false), true);
  return { hospital, ward, bed };
}

/** Where PV1 puts the patient: the ward and bed of PV1-3, the ward's specialty from PV1-10. */
export function assignedPlace(ctx: MappingContext, pv1: Er7Segment): Promise<Place | undefined> {
  const pl = pv1.field(3).repetitions[0];
  return pl ? resolvePlace(ctx, pl, { segment: 'PV1', field: 3 }, pv1.get(10)) : Promise.resolve(undefined);
}

/** The operating room a PL names (AIL-3: PL.2 room, else PL.1), as `or-<FINESS>-<room>` like `seed --demo`; created when unknown. */
export async function resolveOperatingRoom(ctx: MappingContext, pl: Er7Repetition, where: Er7Location): Promise<Location | undefined> {
  const code = pl.get(2).trim() || pl.get(1).trim();
  if (!code) return undefined;
  const { hospital, finess } = await hospitalOf(ctx, pl, where);
  const key = `${finess}/${code}`;
  const id = locationIdFor('or', finess, code);
  return findOrCreate(ctx, id, key, { ...where, component: pl.get(2).trim() ? 2 : 1 }, 'Operating room', () => newLocation(ctx, hospital, {
    id,
    identifier: [{ system: HL7_LOCATION_SYSTEM, value: key }],
    name: pl.get(9).trim() || code,
    type: [{ coding: [OPERATING_ROOM_TYPE] }],
    physicalType: { coding: [physicalTypeCoding(PHYSICAL_TYPE.room)] },
  }, PROFILE.operatingRoom, true));
}
