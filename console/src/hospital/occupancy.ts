/**
 * A hospital's ward occupancy over the day, from its wards' bed-availability Observations: the
 * Observation of a ward is rewritten whenever its counts change (README, Hospital model), so its
 * version history is the ward's occupancy timeline.
 */
export const BED_AVAILABILITY_SYSTEM = 'https://passerelle.health/fhir/CodeSystem/bed-availability';

export interface BedAvailability {
  resourceType: 'Observation';
  id?: string;
  effectiveDateTime?: string;
  meta?: { lastUpdated?: string };
  subject?: { reference?: string; display?: string };
  component?: { code?: { coding?: { system?: string; code?: string }[] }; valueQuantity?: { value?: number } }[];
}

export interface OccupancyPoint {
  at: string;
  occupied: number;
  total: number;
}

export interface WardOccupancy {
  ward: string;
  name: string;
  /** Oldest first; the last is now. */
  points: OccupancyPoint[];
}

export function countOf(observation: BedAvailability, code: string): number {
  const component = observation.component?.find((c) => c.code?.coding?.some((coding) => coding.system === BED_AVAILABILITY_SYSTEM && coding.code === code));
  return component?.valueQuantity?.value ?? 0;
}

export function pointOf(observation: BedAvailability): OccupancyPoint {
  return { at: observation.effectiveDateTime ?? observation.meta?.lastUpdated ?? '', occupied: countOf(observation, 'occupied'), total: countOf(observation, 'total') };
}

/** The versions of one ward's Observation (any order) as its timeline, oldest first, one point per instant. */
export function timelineOf(versions: BedAvailability[]): OccupancyPoint[] {
  const byInstant = new Map(versions.map((v) => pointOf(v)).map((p) => [p.at, p]));
  return [...byInstant.values()].sort((a, b) => a.at.localeCompare(b.at));
}

/** An SVG polyline of occupancy (0 to total) across the day ending now, `width` by `height`. */
export function sparkline(points: OccupancyPoint[], now: Date, width: number, height: number): string {
  const start = now.getTime() - 24 * 3600_000;
  const max = Math.max(1, ...points.map((p) => p.total));
  const x = (at: string): number => Math.max(0, Math.min(width, ((Date.parse(at) - start) / (24 * 3600_000)) * width));
  const y = (occupied: number): number => height - (occupied / max) * height;
  // A step line: the count holds until the next change, and the last holds until now.
  const steps = points.flatMap((p, i) => {
    const next = points[i + 1];
    return [`${x(p.at).toFixed(1)},${y(p.occupied).toFixed(1)}`, `${(next ? x(next.at) : width).toFixed(1)},${y(p.occupied).toFixed(1)}`];
  });
  return steps.join(' ');
}
