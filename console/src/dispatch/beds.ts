/**
 * Dispatch's question to Passerelle: the hospitals with a free bed of a specialty around a
 * point, nearest first, from `$find-available-beds` (README, Hospital model).
 */
import type { Resource } from '../fhir.ts';

const AVAILABLE_BEDS = 'https://passerelle.health/fhir/StructureDefinition/available-beds';
const TOTAL_BEDS = 'https://passerelle.health/fhir/StructureDefinition/total-beds';
const DISTANCE = 'http://hl7.org/fhir/StructureDefinition/location-distance';
export const SPECIALTY_SYSTEM = 'https://passerelle.health/fhir/CodeSystem/specialty';

export interface BedQuery {
  latitude: number;
  longitude: number;
  radiusKm: number;
  /** A code of the specialty system; any ward when empty. */
  specialty: string;
}

export interface HospitalBeds {
  id: string;
  name: string;
  distanceKm: number;
  available: number;
  total: number;
  position?: { latitude: number; longitude: number };
}

interface Extension {
  url: string;
  valueInteger?: number;
  valueDistance?: { value?: number };
}

interface Entry {
  resource?: Resource & { name?: string; managingOrganization?: { reference?: string }; position?: { latitude: number; longitude: number } };
  search?: { mode?: string; extension?: Extension[] };
}

export function bedsUrl(query: BedQuery): string {
  const params = new URLSearchParams({ latitude: String(query.latitude), longitude: String(query.longitude), radius: String(query.radiusKm), count: '100' });
  if (query.specialty) params.set('specialty', query.specialty);
  return `/fhir/Location/$find-available-beds?${params}`;
}

/** The matches of a `$find-available-beds` Bundle, each with its site's position. */
export function hospitalsOf(bundle: { entry?: Entry[] }): HospitalBeds[] {
  const entries = bundle.entry ?? [];
  const sites = new Map<string, { latitude: number; longitude: number }>();
  for (const { resource } of entries) {
    if (resource?.resourceType === 'Location' && resource.position && resource.managingOrganization?.reference) sites.set(resource.managingOrganization.reference, resource.position);
  }
  return entries.flatMap(({ resource, search }): HospitalBeds[] => {
    if (search?.mode !== 'match' || !resource?.id) return [];
    const extension = (url: string): Extension | undefined => search.extension?.find((e) => e.url === url);
    const position = sites.get(`${resource.resourceType}/${resource.id}`) ?? resource.position;
    return [{
      id: resource.id,
      name: resource.name ?? resource.id,
      distanceKm: extension(DISTANCE)?.valueDistance?.value ?? 0,
      available: extension(AVAILABLE_BEDS)?.valueInteger ?? 0,
      total: extension(TOTAL_BEDS)?.valueInteger ?? 0,
      ...(position ? { position } : {}),
    }];
  });
}
