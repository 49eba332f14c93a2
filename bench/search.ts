/**
 * `npm run bench:search`: search latency on a region-sized dataset.
 *
 * Loads 300 hospitals x 20 wards x 30 beds (180,000 bed Locations, their wards' bed-availability
 * Observations), 20,000 Patients and 200,000 heart-rate Observations into a throwaway database
 * (PostgreSQL when DATABASE_URL is set, else PGlite at a tenth of the size), then starts the real
 * `passerelle serve` on it and measures, one request at a time, p50/p95/p99 of:
 * `$find-available-beds` at random points and specialties, its standard-search equivalent
 * (`near` + `_has`), `Location?near`, token and string searches, a chained search and `_include`.
 *
 * Environment: DATABASE_URL, BENCH_SCALE (multiplies every size; default 1, or 0.1 on PGlite),
 * BENCH_QUERIES (requests per kind, default 200).
 */
import { performance } from 'node:perf_hooks';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { loadR4Definitions, ProfileRegistry, Repository, type Database } from '../fhir/index.ts';
import {
  bedAvailabilityRule, demoRegion, hospitalResources, loadProfiles, lockWard, PASSERELLE_SYSTEM, Prng, refreshWard, SPECIALTIES, SYSTEM,
} from '../profiles/index.ts';
import { benchDatabase, describeDatabaseUrl, percentile, positiveNumber, startServer, type Driver, type HttpClient } from './support.ts';

const DRIVER: Driver = process.env.DATABASE_URL ? 'postgres' : 'pglite';
const SCALE = positiveNumber('BENCH_SCALE', DRIVER === 'postgres' ? 1 : 0.1);
const QUERIES = Math.round(positiveNumber('BENCH_QUERIES', 200));
const SIZES = {
  hospitals: Math.max(2, Math.round(300 * SCALE)),
  wardsPerHospital: 20,
  bedsPerWard: 30,
  patients: Math.max(10, Math.round(20_000 * SCALE)),
  observations: Math.max(100, Math.round(200_000 * SCALE)),
};
const P95_TARGET_MS = 50;
const INS = 'urn:oid:1.2.250.1.213.1.4.8';
const FAMILIES = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier'];
const SPECIALTY_CODES = Object.keys(SPECIALTIES);
// The demo region's towns lie within this box (Nouvelle-Aquitaine and neighbours).
const REGION = { south: 43.2, north: 46.2, west: -1.6, east: 1.6 };

// ---------------------------------------------------------------------------------------------
// Loading

async function inBatches<T>(items: T[], size: number, parallel: number, work: (batch: T[]) => Promise<void>, label: string): Promise<void> {
  const started = performance.now();
  let next = 0;
  let done = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < items.length) {
      const batch = items.slice(next, next + size);
      next += size;
      await work(batch);
      done += batch.length;
    }
  }));
  console.error(`  ${label}: ${done} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function writeAll(repo: Repository, resources: Resource[]): Promise<void> {
  await repo.transaction(async (tx) => {
    await tx.insertPrepared(resources.map((resource) => ({ prepared: tx.prepare(resource), id: resource.id as string })));
  });
}

async function load(db: Database): Promise<{ patients: Patient[] }> {
  const profiles = new ProfileRegistry(loadProfiles());
  const plain = new Repository(db, profiles);
  const withRule = new Repository(db, profiles, { hooks: [bedAvailabilityRule] });
  const region = demoRegion({ hospitals: SIZES.hospitals, wardsPerHospital: SIZES.wardsPerHospital, bedsPerWard: SIZES.bedsPerWard, seed: 7 });
  console.error(`loading ${SIZES.hospitals} hospitals, ${SIZES.patients} patients, ${SIZES.observations} observations`);
  // Hospitals without the rule, then each ward's Observation once through the rule's own refresh
  // (with the rule live, every bed of a ward would recount it).
  await inBatches(region.hospitals, 1, 3, async ([h]) => writeAll(plain, hospitalResources(h as (typeof region.hospitals)[number])), 'hospitals');
  const wards = region.hospitals.flatMap((h) => h.wards.map((w) => w.id as string));
  await inBatches(wards, 20, 4, async (batch) => {
    await withRule.transaction(async (tx) => {
      for (const ward of batch) {
        await lockWard(tx, ward);
        await refreshWard(tx, ward);
      }
    });
  }, 'ward bed-availability Observations');

  const rng = new Prng(11);
  const patients: Patient[] = Array.from({ length: SIZES.patients }, (_, i) => ({
    resourceType: 'Patient',
    id: `pat-${i}`,
    identifier: [{ system: INS, value: `${String(1_000_000_000_000 + i)}` }],
    name: [{ family: `${FAMILIES[i % FAMILIES.length]}`, given: [`Prénom${i}`] }],
    gender: i % 2 === 0 ? 'female' : 'male',
    birthDate: `${1930 + (i % 90)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
  }));
  await inBatches(patients, 500, 3, (batch) => writeAll(plain, batch), 'patients');
  const observations: Observation[] = Array.from({ length: SIZES.observations }, (_, i) => ({
    resourceType: 'Observation',
    id: `hr-${i}`,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/pat-${Math.floor(rng.next() * SIZES.patients)}` },
    effectiveDateTime: new Date(Date.UTC(2026, 0, 1) + Math.floor(rng.next() * 320 * 86_400_000)).toISOString(),
    valueQuantity: { value: 50 + Math.floor(rng.next() * 80), unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  }));
  await inBatches(observations, 500, 3, (batch) => writeAll(plain, batch), 'observations');
  return { patients };
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface QueryKind {
  name: string;
  /** Held to the p95 target (operation and single-parameter searches). */
  target: boolean;
  path: (rng: Prng) => string;
}

function kinds(patients: Patient[]): QueryKind[] {
  const point = (rng: Prng): [string, string] => [
    (REGION.south + rng.next() * (REGION.north - REGION.south)).toFixed(4),
    (REGION.west + rng.next() * (REGION.east - REGION.west)).toFixed(4),
  ];
  const specialty = (rng: Prng): string => SPECIALTY_CODES[Math.floor(rng.next() * SPECIALTY_CODES.length)] as string;
  const patient = (rng: Prng): Patient => patients[Math.floor(rng.next() * patients.length)] as Patient;
  const ins = (rng: Prng): string => encodeURIComponent(`${INS}|${patient(rng).identifier?.[0]?.value}`);
  return [
    {
      name: '$find-available-beds (30 km)',
      target: true,
      path: (rng) => {
        const [lat, lon] = point(rng);
        return `/fhir/Location/$find-available-beds?latitude=${lat}&longitude=${lon}&radius=30&specialty=${specialty(rng)}&count=10`;
      },
    },
    {
      name: 'same with near + _has',
      target: false,
      path: (rng) => {
        const [lat, lon] = point(rng);
        const free = encodeURIComponent(`${PASSERELLE_SYSTEM.specialty}|${specialty(rng)}$gt0`);
        return `/fhir/Location?near=${lat}|${lon}|30|km&_has:Location:partof:_has:Observation:subject:component-code-value-quantity=${free}&_count=10`;
      },
    },
    {
      name: 'Location?near (20 km)',
      target: true,
      path: (rng) => {
        const [lat, lon] = point(rng);
        return `/fhir/Location?near=${lat}|${lon}|20|km&_count=20`;
      },
    },
    { name: 'Patient?identifier (token)', target: true, path: (rng) => `/fhir/Patient?identifier=${ins(rng)}` },
    {
      name: 'Location?operational-status (token)',
      target: true,
      path: () => `/fhir/Location?operational-status=${encodeURIComponent(`${SYSTEM.bedStatus}|U`)}&_count=20`,
    },
    { name: 'Patient?family (string)', target: true, path: (rng) => `/fhir/Patient?family=${encodeURIComponent((FAMILIES[Math.floor(rng.next() * FAMILIES.length)] as string).slice(0, 4))}&_count=20` },
    { name: 'Observation?subject:Patient.identifier', target: false, path: (rng) => `/fhir/Observation?subject:Patient.identifier=${ins(rng)}&_count=20` },
    { name: 'Observation?subject=...&_include', target: false, path: (rng) => `/fhir/Observation?subject=Patient/${patient(rng).id}&_include=Observation:subject` },
  ];
}

interface Row {
  name: string;
  target: boolean;
  latencies: Float64Array;
  errors: number;
}

async function measure(client: HttpClient, kind: QueryKind): Promise<Row> {
  const rng = new Prng(kind.name.length * 7919);
  for (let i = 0; i < 10; i++) await client.send('GET', kind.path(rng)); // warm-up
  const latencies = new Float64Array(QUERIES);
  let errors = 0;
  for (let i = 0; i < QUERIES; i++) {
    const path = kind.path(rng);
    const started = performance.now();
    const result = await client.send('GET', path);
    latencies[i] = performance.now() - started;
    if (result.status !== 200) {
      if (errors === 0) console.error(`  ${kind.name}: HTTP ${result.status} ${result.body.slice(0, 200)}`);
      errors++;
    }
  }
  return { name: kind.name, target: kind.target, latencies: latencies.sort(), errors };
}

function printTable(rows: Row[]): void {
  const header = ['query', 'n', 'errors', 'p50 ms', 'p95 ms', 'p99 ms', `p95 < ${P95_TARGET_MS} ms`];
  const lines = rows.map((r) => [
    r.name, String(r.latencies.length), String(r.errors),
    ...[50, 95, 99].map((p) => percentile(r.latencies, p).toFixed(1)),
    r.target ? (percentile(r.latencies, 95) < P95_TARGET_MS ? 'ok' : 'MISSED') : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(fmt(line));
}

async function main(): Promise<void> {
  loadR4Definitions();
  console.log(`Passerelle search bench on ${DRIVER}${process.env.DATABASE_URL ? ` (${describeDatabaseUrl(process.env.DATABASE_URL)})` : ' (set DATABASE_URL for PostgreSQL)'}, scale ${SCALE}`);
  const database = await benchDatabase(DRIVER);
  try {
    const db = await database.open();
    const started = performance.now();
    let patients: Patient[];
    try {
      ({ patients } = await load(db));
      await db.exec('ANALYZE');
    } finally {
      await db.close();
    }
    console.log(`loaded in ${((performance.now() - started) / 1000).toFixed(0)} s: ${SIZES.hospitals} hospitals, ${SIZES.hospitals * SIZES.wardsPerHospital * SIZES.bedsPerWard} beds, ${SIZES.patients} patients, ${SIZES.observations} observations\n`);
    const server = await startServer(database);
    const rows: Row[] = [];
    try {
      for (const kind of kinds(patients)) rows.push(await measure(server.client, kind));
    } finally {
      await server.stop();
    }
    printTable(rows);
    if (rows.some((r) => r.errors > 0)) process.exitCode = 1;
  } finally {
    await database.cleanup();
  }
}

await main();
