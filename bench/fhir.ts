/**
 * `npm run bench:fhir`: FHIR REST throughput and latency over real HTTP, in process.
 *
 * For each storage driver (PGlite in a temporary DATA_DIR always; PostgreSQL when DATABASE_URL is
 * set, in a throwaway schema) it starts `passerelle serve` as its own process on an ephemeral
 * loopback port, with production settings (info logs), and measures creates,
 * reads and updates of Patients at concurrency 1 and 16, then transaction Bundles of 100
 * entries (50 Patients + 50 Observations referencing them by urn:uuid).
 *
 * Environment:
 *   DATABASE_URL             PostgreSQL to bench as well (a schema bench_<random> is created and dropped)
 *   BENCH_SCALE              multiplier on every request count (default 1)
 *   BENCH_MAX_PHASE_SECONDS  time cap of each measured phase (default 12)
 *   BENCH_DRIVERS            comma-separated subset of pglite,postgres (default: all available)
 *   BENCH_OPERATIONS         comma-separated subset of create,read,update,transaction (default: all)
 *
 * The load generator runs in this process, the server in its own, and PostgreSQL in its backends,
 * all on the same machine: on 2 cores they compete for CPU, so the numbers are a floor.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  benchDatabase, describeDatabaseUrl, listFromEnv, percentile, positiveNumber, selectedDrivers, startServer,
  type Driver, type HttpClient, type HttpResult, type RunningServer,
} from './support.ts';

const SCALE = positiveNumber('BENCH_SCALE', 1);
const MAX_PHASE_SECONDS = positiveNumber('BENCH_MAX_PHASE_SECONDS', 12);
const CONCURRENCIES = [1, 16] as const;
const BUNDLE_SIZE = 100;
const WARMUP_REQUESTS = 300;

/** Requests per phase at BENCH_SCALE=1, by operation and concurrency. */
const COUNTS: Record<Operation, Record<(typeof CONCURRENCIES)[number], number>> = {
  create: { 1: 600, 16: 2000 },
  read: { 1: 1000, 16: 4000 },
  update: { 1: 600, 16: 2000 },
  transaction: { 1: 32, 16: 64 },
  'transaction-minimal': { 1: 32, 16: 64 },
};

const TARGETS = {
  /** creates/s at concurrency 16 on PostgreSQL */
  postgresCreates: 1500,
  /** resources/s through transaction Bundles */
  bundleResources: 5000,
};

// `transaction-minimal` posts the same Bundles with `Prefer: return=minimal`, as bulk loaders do:
// the response then lists each entry's status and location without the resources.
const OPERATIONS = ['create', 'read', 'update', 'transaction', 'transaction-minimal'] as const;
type Operation = (typeof OPERATIONS)[number];

/** Resources written by one request (0: a read). */
const RESOURCES_PER_OP: Record<Operation, number> = { create: 1, read: 0, update: 1, transaction: BUNDLE_SIZE, 'transaction-minimal': BUNDLE_SIZE };

// ---------------------------------------------------------------------------------------------
// Test data: small, realistic French patients and heart-rate observations

const FAMILIES = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent'];
const GIVEN_F = ['Camille', 'Léa', 'Manon', 'Chloé', 'Inès', 'Jeanne', 'Louise', 'Élise'];
const GIVEN_M = ['Lucas', 'Hugo', 'Louis', 'Gabriel', 'Arthur', 'Jules', 'Théo', 'Raphaël'];
const CITIES = [
  { city: 'Lyon', postalCode: '69003', dept: '69', commune: '383' },
  { city: 'Bordeaux', postalCode: '33000', dept: '33', commune: '063' },
  { city: 'Lille', postalCode: '59000', dept: '59', commune: '350' },
  { city: 'Nantes', postalCode: '44000', dept: '44', commune: '109' },
  { city: 'Toulouse', postalCode: '31000', dept: '31', commune: '555' },
  { city: 'Rennes', postalCode: '35000', dept: '35', commune: '238' },
];
const STREETS = ['rue de la République', 'avenue Jean Jaurès', 'boulevard Victor Hugo', 'rue Pasteur', 'place de la Mairie'];

/** A cheap deterministic generator, so runs produce the same kind of data. */
function pick<T>(list: readonly T[], seed: number, salt: number): T {
  const mixed = Math.imul(seed ^ (seed >>> 15), 2246822519) ^ Math.imul(salt + 1, 3266489917);
  return list[((mixed ^ (mixed >>> 13)) >>> 0) % list.length] as T;
}

/** A 15-digit NIR-shaped identifier (sex, year, month, place, order) with its mod-97 key. */
function nir(seed: number, female: boolean, birthDate: string, place: { dept: string; commune: string }): string {
  const order = String(seed % 1000).padStart(3, '0');
  const body = `${female ? 2 : 1}${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${place.dept}${place.commune}${order}`;
  const key = 97n - (BigInt(body) % 97n);
  return body + String(key).padStart(2, '0');
}

function makePatient(seed: number): Record<string, unknown> {
  const female = seed % 2 === 0;
  const place = pick(CITIES, seed, 1);
  const birthDate = `${1930 + (seed % 90)}-${String(1 + (seed % 12)).padStart(2, '0')}-${String(1 + (seed % 28)).padStart(2, '0')}`;
  return {
    resourceType: 'Patient',
    identifier: [{ use: 'official', system: 'urn:oid:1.2.250.1.213.1.4.8', value: nir(seed, female, birthDate, place) }],
    name: [{ use: 'official', family: pick(FAMILIES, seed, 2), given: [pick(female ? GIVEN_F : GIVEN_M, seed, 3)] }],
    gender: female ? 'female' : 'male',
    birthDate,
    address: [{ use: 'home', line: [`${1 + (seed % 120)} ${pick(STREETS, seed, 4)}`], city: place.city, postalCode: place.postalCode, country: 'FR' }],
  };
}

function makeHeartRate(seed: number, subject: string): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], text: 'Fréquence cardiaque' },
    subject: { reference: subject },
    effectiveDateTime: new Date(Date.UTC(2024, 0, 1) + seed * 60_000).toISOString(),
    valueQuantity: { value: 50 + (seed % 60), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

function makeTransaction(seed: number): Record<string, unknown> {
  const entry: unknown[] = [];
  for (let i = 0; i < BUNDLE_SIZE / 2; i++) {
    const patientUrl = `urn:uuid:${randomUUID()}`;
    entry.push({ fullUrl: patientUrl, resource: makePatient(seed * BUNDLE_SIZE + i), request: { method: 'POST', url: 'Patient' } });
    entry.push({ fullUrl: `urn:uuid:${randomUUID()}`, resource: makeHeartRate(seed * BUNDLE_SIZE + i, patientUrl), request: { method: 'POST', url: 'Observation' } });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

// ---------------------------------------------------------------------------------------------
// Requests: each resolves to a failure description, or undefined when the request succeeded

type RequestFn = (index: number) => Promise<string | undefined>;

const failure = (result: HttpResult): string => `HTTP ${result.status}: ${result.body.slice(0, 300)}`;

/** POST Patient; remembers the new id in `ids`. */
function createPatient(client: HttpClient, ids: string[], seedBase: number): RequestFn {
  return async (i) => {
    const result = await client.send('POST', '/fhir/Patient', makePatient(seedBase + i));
    if (result.status !== 201) return failure(result);
    const id = (JSON.parse(result.body) as { id?: unknown }).id;
    if (typeof id !== 'string') return `201 without an id: ${result.body.slice(0, 200)}`;
    ids.push(id);
    return undefined;
  };
}

function readPatient(client: HttpClient, ids: readonly string[]): RequestFn {
  return async (i) => {
    const result = await client.send('GET', `/fhir/Patient/${ids[(i * 7919) % ids.length]}`);
    return result.status === 200 ? undefined : failure(result);
  };
}

/** PUT Patient with a new phone number each time (an identical update would be a no-op). */
function updatePatient(client: HttpClient, ids: readonly string[], tag: string): RequestFn {
  return async (i) => {
    // Consecutive indices hit distinct patients, so concurrent updates do not queue on one row.
    const id = ids[i % ids.length] as string;
    const resource = { ...makePatient(i), id, telecom: [{ system: 'phone', use: 'mobile', value: `+33 6 ${tag} ${String(i).padStart(8, '0')}` }] };
    const result = await client.send('PUT', `/fhir/Patient/${id}`, resource);
    return result.status === 200 ? undefined : failure(result);
  };
}

function postTransaction(client: HttpClient, seedBase: number, prefer?: string): RequestFn {
  return async (i) => {
    const result = await client.send('POST', '/fhir', makeTransaction(seedBase + i), prefer ? { prefer } : undefined);
    if (result.status !== 200) return failure(result);
    const bundle = JSON.parse(result.body) as { type?: string; entry?: { response?: { status?: string } }[] };
    const created = (bundle.entry ?? []).filter((e) => e.response?.status?.startsWith('201')).length;
    if (bundle.type !== 'transaction-response' || created !== BUNDLE_SIZE) return `transaction-response with ${created}/${BUNDLE_SIZE} entries created`;
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement

interface PhaseResult {
  completed: number;
  planned: number;
  errors: number;
  firstError?: string;
  seconds: number;
  /** Latencies of every completed request (successful or not), in milliseconds, sorted. */
  latencies: Float64Array;
}

/** Runs `count` requests with `concurrency` workers, stopping early at `maxSeconds`. */
async function runPhase(concurrency: number, count: number, request: RequestFn, maxSeconds = MAX_PHASE_SECONDS): Promise<PhaseResult> {
  const latencies = new Float64Array(count);
  let next = 0;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + maxSeconds * 1000;

  async function worker(): Promise<void> {
    while (next < count && performance.now() < deadline) {
      const index = next++;
      const t0 = performance.now();
      let problem: string | undefined;
      try {
        problem = await request(index);
      } catch (err) {
        problem = `request failed: ${(err as Error).message}`;
      }
      latencies[completed++] = performance.now() - t0;
      if (problem !== undefined) {
        errors++;
        firstError ??= problem;
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  const measured = latencies.subarray(0, completed).sort();
  return { completed, planned: count, errors, firstError, seconds, latencies: measured };
}

interface Row {
  driver: Driver;
  operation: Operation;
  concurrency: number;
  /** Resources written per request (0 for reads). */
  resourcesPerOp: number;
  result: PhaseResult;
}

async function warmUp(driver: Driver, server: RunningServer): Promise<void> {
  const ids: string[] = [];
  const { client } = server;
  const creates = await runPhase(4, WARMUP_REQUESTS / 2, createPatient(client, ids, 900_000_000), 30);
  const reads = await runPhase(4, WARMUP_REQUESTS / 2, readPatient(client, ids.length > 0 ? ids : ['none']), 30);
  const updates = await runPhase(4, 50, updatePatient(client, ids.length > 0 ? ids : ['none'], 'warm'), 30);
  const bundles = await runPhase(2, 4, postTransaction(client, 9_000_000), 30);
  const errors = creates.errors + reads.errors + updates.errors + bundles.errors;
  if (errors > 0) {
    const first = creates.firstError ?? reads.firstError ?? updates.firstError ?? bundles.firstError;
    console.error(`[${driver}] warm-up: ${errors} errors, first: ${first}`);
  }
}

/** The request each operation sends; `ids` are the Patients created so far. */
function requestFor(operation: Operation, concurrency: number, client: HttpClient, ids: string[]): RequestFn {
  switch (operation) {
    case 'create':
      return createPatient(client, ids, concurrency * 10_000_000);
    case 'read':
      return readPatient(client, ids);
    case 'update':
      return updatePatient(client, ids, `c${concurrency}`);
    case 'transaction':
      return postTransaction(client, concurrency * 100_000);
    case 'transaction-minimal':
      return postTransaction(client, concurrency * 100_000 + 50_000, 'return=minimal');
  }
}

/** Reads and updates need Patients: when creates were not measured, make some first (unmeasured). */
async function ensurePatients(driver: Driver, client: HttpClient, ids: string[]): Promise<void> {
  if (ids.length > 0) return;
  const seeding = await runPhase(4, 256, createPatient(client, ids, 5_000_000), 60);
  if (ids.length === 0) throw new Error(`[${driver}] no Patient could be created, so reads and updates cannot be measured: ${seeding.firstError}`);
}

async function benchDriver(driver: Driver, operations: readonly Operation[]): Promise<Row[]> {
  console.error(`[${driver}] starting server`);
  const database = await benchDatabase(driver);
  const server = await startServer(database).catch(async (err: unknown) => {
    await database.cleanup();
    throw err;
  });
  const rows: Row[] = [];
  try {
    await warmUp(driver, server);
    const { client } = server;
    const ids: string[] = [];
    for (const operation of operations) {
      if (operation === 'read' || operation === 'update') await ensurePatients(driver, client, ids);
      for (const concurrency of CONCURRENCIES) {
        const count = Math.max(1, Math.round(COUNTS[operation][concurrency] * SCALE));
        const result = await runPhase(concurrency, count, requestFor(operation, concurrency, client, ids));
        rows.push({ driver, operation, concurrency, resourcesPerOp: RESOURCES_PER_OP[operation], result });
        const capped = result.completed < result.planned ? ` (time cap: ${result.completed}/${result.planned})` : '';
        console.error(`[${driver}] ${operation} c=${concurrency}: ${(result.completed / result.seconds).toFixed(0)} ops/s, ${result.errors} errors${capped}`);
      }
    }
  } finally {
    await server.stop();
    await database.cleanup();
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Report

function printTable(rows: readonly Row[]): void {
  const header = ['driver', 'operation', 'concurrency', 'count', 'errors', 'ops/s', 'resources/s', 'p50 ms', 'p95 ms', 'p99 ms'];
  const ms = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(value < 10 ? 2 : 1));
  const lines = rows.map(({ driver, operation, concurrency, resourcesPerOp, result }) => {
    const rate = result.completed / result.seconds;
    return [
      driver,
      operation,
      String(concurrency),
      result.completed < result.planned ? `${result.completed}*` : String(result.completed),
      String(result.errors),
      rate.toFixed(1),
      resourcesPerOp > 0 ? (rate * resourcesPerOp).toFixed(0) : '-',
      ms(percentile(result.latencies, 50)),
      ms(percentile(result.latencies, 95)),
      ms(percentile(result.latencies, 99)),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => (line[i] ?? '').length)));
  const format = (cells: string[]): string => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
  if (rows.some((r) => r.result.completed < r.result.planned)) console.log(`* stopped by the ${MAX_PHASE_SECONDS} s time cap before the planned count`);
  for (const row of rows) {
    if (row.result.firstError) console.log(`first error, ${row.driver} ${row.operation} c=${row.concurrency}: ${row.result.firstError}`);
  }
}

function printTargets(rows: readonly Row[]): void {
  const rate = (r: Row): number => r.result.completed / r.result.seconds;
  console.log('\nTargets:');
  const pgCreates = rows.find((r) => r.driver === 'postgres' && r.operation === 'create' && r.concurrency === 16);
  console.log(
    pgCreates
      ? `  creates/s at concurrency 16 on PostgreSQL >= ${TARGETS.postgresCreates}: ${rate(pgCreates).toFixed(0)} ${verdict(pgCreates, rate(pgCreates) >= TARGETS.postgresCreates)}`
      : `  creates/s at concurrency 16 on PostgreSQL >= ${TARGETS.postgresCreates}: not measured${process.env.DATABASE_URL ? '' : ' (set DATABASE_URL)'}`,
  );
  for (const driver of new Set(rows.map((r) => r.driver))) {
    for (const operation of ['transaction', 'transaction-minimal'] as const) {
      const best = rows.filter((r) => r.driver === driver && r.operation === operation).sort((a, b) => rate(b) - rate(a))[0];
      if (!best) continue;
      const resources = rate(best) * best.resourcesPerOp;
      console.log(
        `  resources/s via ${operation} Bundles >= ${TARGETS.bundleResources} (${driver}, best at c=${best.concurrency}): ${resources.toFixed(0)} ${verdict(best, resources >= TARGETS.bundleResources)}`,
      );
    }
  }
}

function verdict(row: Row, met: boolean): string {
  if (row.result.errors > 0) return `FAIL (${row.result.errors} errors)`;
  return met ? 'ok' : 'MISSED';
}

// ---------------------------------------------------------------------------------------------

function selectedOperations(): Operation[] {
  const wanted = listFromEnv('BENCH_OPERATIONS', OPERATIONS);
  return OPERATIONS.filter((op) => !wanted || wanted.includes(op));
}

async function main(): Promise<void> {
  const drivers = selectedDrivers();
  const operations = selectedOperations();
  const cpu = cpus();
  console.log(`Passerelle FHIR bench: node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}`);
  console.log(
    `scale ${SCALE}, phase cap ${MAX_PHASE_SECONDS} s, operations ${operations.join(', ')}, drivers ${drivers.join(', ')}` +
      (process.env.DATABASE_URL ? ` (PostgreSQL at ${describeDatabaseUrl(process.env.DATABASE_URL)})` : ' (set DATABASE_URL to bench PostgreSQL too)'),
  );
  const rows: Row[] = [];
  const started = performance.now();
  for (const driver of drivers) rows.push(...(await benchDriver(driver, operations)));
  console.log('');
  printTable(rows);
  printTargets(rows);
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (rows.some((r) => r.result.errors > 0)) process.exitCode = 1;
}

await main();
