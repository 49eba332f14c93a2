/**
 * `npm run bench:hl7`: HL7 v2 ADT throughput and latency over MLLP, end to end (sent, stored,
 * mapped to FHIR in one transaction with the ward counts, committed, acknowledged).
 *
 * For each storage driver (PGlite always; PostgreSQL when DATABASE_URL is set) it loads a demo
 * region (4 hospitals x 10 wards x 30 beds) into a throwaway database, starts `passerelle serve`
 * with its MLLP listener, and sends ADT messages about distinct patients, each patient's stay on
 * one connection and in order: A01 admit into a free bed, A08 update, A02 transfer to another
 * free bed of the hospital, A03 discharge. Every ACK must be MSA|AA|<the MSH-10 sent>. It measures
 *   - closed loop on 1 and 8 connections (the next message goes as soon as the ACK is back);
 *   - open loop at a fixed rate spread over 8 connections (sent on schedule, pipelined);
 * then checks that the wards' `occupied` counts add up to the beds with status O, and that every
 * bed the benchmark took has been freed again.
 *
 * Environment:
 *   DATABASE_URL             PostgreSQL to bench as well (schema bench_<random>, dropped after)
 *   BENCH_DRIVERS            comma-separated subset of pglite,postgres (default: all available)
 *   BENCH_PHASES             comma-separated subset of c1,c8,rate (default: all)
 *   BENCH_MESSAGES           messages per closed-loop phase (default 4000 on PostgreSQL, 1000 on PGlite)
 *   BENCH_MAX_PHASE_SECONDS  time cap of each closed-loop phase (default 30)
 *   BENCH_RATE, BENCH_RATE_SECONDS  the open loop's offered messages/s and duration (default 200, 10)
 *   BENCH_HOSPITALS          hospitals of the region (default 4)
 *
 * Load generator, server and PostgreSQL share this machine's cores, so the numbers are a floor.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bundle, Location, Observation } from '@medplum/fhirtypes';
import { loadR4Definitions, ProfileRegistry, Repository } from '../fhir/index.ts';
import { connectMllp, type MllpClient } from '../hl7-bridge/index.ts';
import {
  BED_AVAILABILITY_CODE, BED_STATUS, bedAvailabilityRule, demoRegion, hospitalResources, isBed, loadProfiles, locationId, PASSERELLE_SYSTEM, Prng, SYSTEM,
} from '../profiles/index.ts';
import { ackOf } from '../tests/support/hl7.ts';
import {
  benchDatabase, describeDatabaseUrl, listFromEnv, percentile, positiveNumber, selectedDrivers, startServer, type BenchDatabase, type Driver, type HttpClient,
} from './support.ts';

const PHASES = ['c1', 'c8', 'rate'] as const;
type Phase = (typeof PHASES)[number];
const MAX_PHASE_SECONDS = positiveNumber('BENCH_MAX_PHASE_SECONDS', 30);
const RATE = positiveNumber('BENCH_RATE', 200);
const RATE_SECONDS = positiveNumber('BENCH_RATE_SECONDS', 10);
const RATE_CONNECTIONS = 8;
const REGION = { hospitals: Math.round(positiveNumber('BENCH_HOSPITALS', 4)), wards: 10, beds: 30 };
const ACK_TIMEOUT_MS = 30_000;
const TARGETS = { messagesPerSecond: 1000, p99Ms: 50, atRate: 200 };

// ---------------------------------------------------------------------------------------------
// Beds and stays

interface Bed {
  finess: string;
  /** PL.1 and PL.3: the last dash-parts of the ward and bed ids (`bed-<FINESS>-07-012`). */
  ward: string;
  bed: string;
}

/** The free (unoccupied) beds of each hospital: a stay takes one, and gives it back once its release is acknowledged. */
class BedPool {
  readonly #free: Bed[][];
  readonly #rng = new Prng(2575);

  constructor(free: Bed[][]) {
    this.#free = free;
  }

  get hospitals(): number {
    return this.#free.length;
  }

  take(hospital: number): Bed {
    const beds = this.#free[hospital] as Bed[];
    if (beds.length === 0) throw new Error(`no free bed left in hospital #${hospital}`);
    const at = Math.floor(this.#rng.next() * beds.length);
    const bed = beds[at] as Bed;
    beds[at] = beds[beds.length - 1] as Bed;
    beds.pop();
    return bed;
  }

  hasFree(hospital: number): boolean {
    return (this.#free[hospital]?.length ?? 0) > 0;
  }

  give(hospital: number, bed: Bed): void {
    this.#free[hospital]?.push(bed);
  }
}

interface Outgoing {
  event: string;
  controlId: string;
  payload: Buffer;
  /** Called once the message's AA is received. */
  acked(): void;
}

const FAMILIES = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Lefèvre', 'Fournier'];
const GIVEN = { F: ['Camille', 'Léa', 'Manon', 'Chloé', 'Inès', 'Hélène'], M: ['Lucas', 'Hugo', 'Louis', 'Gabriel', 'Jérôme', 'Théo'] };
const SERVICES = ['CAR', 'MED', 'PUL', 'SUR', 'NEU', 'GER', 'ORT', 'ONC'];
const AUTHORITY = 'HOSP&1.2.250.1.999.1&ISO';
const EVENTS = ['A01', 'A08', 'A02', 'A03'] as const;
const STRUCTURE: Record<(typeof EVENTS)[number], string> = { A01: 'ADT_A01', A08: 'ADT_A01', A02: 'ADT_A02', A03: 'ADT_A03' };
/** When each event of a stay happens, in minutes after admission. */
const AT_MINUTES = { A01: 0, A08: 30, A02: 1440, A03: 4320 };

/** `YYYYMMDDHHMMSS`, local time of the sender. */
const dtm = (date: Date): string => date.toISOString().slice(0, 19).replace(/[-:T]/g, '');

/** One patient's stay: A01, A08, A02, A03 in that order, beds taken when each message is built. */
class Stay {
  readonly #n: number;
  readonly #tag: string;
  readonly #pool: BedPool;
  readonly #hospital: number;
  #step = 0;
  #bed: Bed | undefined;

  constructor(n: number, tag: string, pool: BedPool) {
    this.#n = n;
    this.#tag = tag;
    this.#pool = pool;
    this.#hospital = n % pool.hospitals;
  }

  /** Whether `next()` can be called now: false while the next event needs a bed and the hospital has none free. */
  ready(): boolean {
    const event = EVENTS[this.#step];
    return !(event === 'A01' || event === 'A02') || this.#pool.hasFree(this.#hospital);
  }

  /** The next message, undefined once discharged. Throws when the hospital has no free bed (see `ready`). */
  next(): Outgoing | undefined {
    const event = EVENTS[this.#step];
    if (!event) return undefined;
    this.#step++;
    const hospital = this.#hospital;
    const current = this.#bed;
    let acked = (): void => {};
    if (event === 'A01' || event === 'A02') this.#bed = this.#pool.take(hospital);
    if (event === 'A02' && current) acked = () => this.#pool.give(hospital, current);
    const bed = this.#bed as Bed;
    if (event === 'A03') acked = () => this.#pool.give(hospital, bed);
    const controlId = `${this.#tag}-${this.#n}-${event}`;
    return { event, controlId, payload: Buffer.from(this.#message(event, controlId, bed, event === 'A02' ? current : undefined), 'utf8'), acked };
  }

  #message(event: (typeof EVENTS)[number], controlId: string, bed: Bed, prior: Bed | undefined): string {
    const n = this.#n;
    const admitted = new Date(Date.UTC(2026, 2, 1, 6) + n * 60_000);
    const at = dtm(new Date(admitted.getTime() + AT_MINUTES[event] * 60_000));
    const sex = n % 2 === 0 ? 'F' : 'M';
    const family = FAMILIES[n % FAMILIES.length] as string;
    const given = GIVEN[sex][Math.floor(n / 2) % GIVEN[sex].length] as string;
    const birth = `${1930 + (n % 85)}${String(1 + (n % 12)).padStart(2, '0')}${String(1 + (n % 28)).padStart(2, '0')}`;
    const phone = `05560${String(n % 100_000).padStart(5, '0')}`;
    const pl = (b: Bed): string => `${b.ward}^^${b.bed}^HOSP&${b.finess}&M`;
    const pv1: string[] = ['PV1', '1', 'I', pl(bed)];
    pv1[6] = prior ? pl(prior) : '';
    pv1[7] = '123^Martin^Paul^^^Dr';
    pv1[10] = SERVICES[n % SERVICES.length] as string;
    pv1[19] = `V${this.#tag}${n}^^^${AUTHORITY}^VN`;
    pv1[44] = dtm(admitted);
    pv1[45] = event === 'A03' ? at : '';
    return [
      `MSH|^~\\&|EHR|HOSP|PASSERELLE|HOSP|${at}||ADT^${event}^${STRUCTURE[event]}|${controlId}|P|2.5|||||FRA|UNICODE UTF-8`,
      `EVN|${event}|${at}`,
      `PID|1||${this.#tag}${n}^^^${AUTHORITY}^PI||${family}^${given}^^^^^L||${birth}|${sex}|||${1 + (n % 120)} rue Sainte-Catherine^^Bordeaux^^33000^FRA^H||${event === 'A01' ? phone : `06${phone.slice(2)}`}^PRN^PH`,
      Array.from(pv1, (field) => field ?? '').join('|'),
    ].join('\r') + '\r';
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

interface Loaded {
  pool: BedPool;
  /** Beds of the demo data with status O, and U. */
  occupied: number;
  available: number;
  wards: number;
}

async function load(database: BenchDatabase): Promise<Loaded> {
  const db = await database.open();
  try {
    const region = demoRegion({ hospitals: REGION.hospitals, wardsPerHospital: [REGION.wards, REGION.wards], bedsPerWard: [REGION.beds, REGION.beds], seed: 33 });
    const repo = new Repository(db, new ProfileRegistry(loadProfiles()), { hooks: [bedAvailabilityRule] });
    let occupied = 0;
    let available = 0;
    const free: Bed[][] = [];
    for (const hospital of region.hospitals) {
      await repo.transaction(async (tx) => {
        for (const resource of hospitalResources(hospital)) await tx.update(resource);
      });
      const finess = hospital.organization.identifier?.[0]?.value as string;
      const beds: Bed[] = [];
      for (const bed of hospital.beds) {
        const status = bed.operationalStatus?.code;
        if (status === BED_STATUS.occupied) occupied++;
        if (status !== BED_STATUS.unoccupied) continue;
        available++;
        const parts = (bed.id as string).split('-');
        beds.push({ finess, ward: parts.at(-2) as string, bed: parts.at(-1) as string });
      }
      free.push(beds);
    }
    await db.exec('ANALYZE');
    return { pool: new BedPool(free), occupied, available, wards: region.hospitals.length * REGION.wards };
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Sending

interface PhaseResult {
  phase: Phase | 'warm-up';
  connections: number;
  planned: number;
  completed: number;
  errors: number;
  firstError?: string;
  seconds: number;
  /** Time to ACK of every completed message, ms, sorted. */
  latencies: Float64Array;
  /** The server's own `ms` of its "hl7 message" log lines, sorted. */
  serverMs: Float64Array;
  /** Open loop: the most a send was late on its schedule (waiting for a freed bed), ms. */
  maxLagMs?: number;
}

/** Sends one message and checks its ACK; a failure description, or undefined when it was AA for it. */
async function exchange(client: MllpClient, out: Outgoing): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ACK within ${ACK_TIMEOUT_MS} ms`)), ACK_TIMEOUT_MS);
  });
  try {
    const ack = ackOf(await Promise.race([client.send(out.payload), timeout]));
    if (ack.code !== 'AA' || ack.controlId !== out.controlId) {
      return `${out.event} ${out.controlId}: MSA-1 ${ack.code || '(none)'}, MSA-2 ${ack.controlId || '(none)'}; ${ack.err ?? 'no ERR segment'}`;
    }
    out.acked();
    return undefined;
  } catch (err) {
    return `${out.event} ${out.controlId}: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

/** Collects a phase's latencies and errors. */
class Recorder {
  readonly latencies: Float64Array;
  completed = 0;
  errors = 0;
  firstError: string | undefined;

  constructor(capacity: number) {
    this.latencies = new Float64Array(capacity);
  }

  record(ms: number, problem: string | undefined): void {
    if (this.completed < this.latencies.length) this.latencies[this.completed] = ms;
    this.completed++;
    if (problem === undefined) return;
    if (this.errors < 3) console.error(`  error: ${problem}`);
    this.errors++;
    this.firstError ??= problem;
  }
}

interface Bench {
  mllpPort: number;
  newStay(): Stay;
  /** Server `ms` values logged since the last call. */
  takeServerMs(): number[];
}

/**
 * Waits until the stay can take its next message (a bed is freed once a release is acknowledged);
 * false after ACK_TIMEOUT_MS. Only an overloaded open loop ever waits here.
 */
async function whenReady(stay: Stay): Promise<boolean> {
  for (const until = performance.now() + ACK_TIMEOUT_MS; !stay.ready(); ) {
    if (performance.now() > until) return false;
    await sleep(2);
  }
  return true;
}

const connectAll = (port: number, count: number): Promise<MllpClient[]> =>
  Promise.all(Array.from({ length: count }, () => connectMllp({ host: '127.0.0.1', port })));

/** Closed loop: `connections` senders, each sending its next message when the previous ACK is in. */
async function closedLoop(bench: Bench, phase: PhaseResult['phase'], connections: number, messages: number): Promise<PhaseResult> {
  const stays = Math.ceil(messages / EVENTS.length);
  const recorder = new Recorder(stays * EVENTS.length);
  const clients = await connectAll(bench.mllpPort, connections);
  bench.takeServerMs();
  let started = 0;
  const start = performance.now();
  const deadline = start + MAX_PHASE_SECONDS * 1000;
  await Promise.all(clients.map(async (client) => {
    while (started < stays && performance.now() < deadline) {
      started++;
      const stay = bench.newStay();
      for (;;) {
        if (!(await whenReady(stay))) {
          recorder.record(0, `no free bed for ${ACK_TIMEOUT_MS} ms`);
          break;
        }
        const out = stay.next();
        if (!out) break;
        const sent = performance.now();
        const problem = await exchange(client, out);
        recorder.record(performance.now() - sent, problem);
      }
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return finish(bench, { phase, connections, planned: stays * EVENTS.length, recorder, seconds });
}

/**
 * Open loop: `rate` messages/s over `connections`, each connection sending on its own schedule
 * (pipelined, whether or not earlier ACKs are back). Time to ACK counts from the scheduled send, so
 * a server that falls behind is charged for the wait. No new stay starts after the phase's time cap.
 */
async function openLoop(bench: Bench, rate: number, seconds: number, connections: number): Promise<PhaseResult> {
  const interval = (1000 * connections) / rate;
  const perConnection = Math.ceil((seconds * 1000) / interval / EVENTS.length) * EVENTS.length;
  const recorder = new Recorder(perConnection * connections);
  const clients = await connectAll(bench.mllpPort, connections);
  bench.takeServerMs();
  const acks: Promise<void>[] = [];
  const start = performance.now() + 20;
  const deadline = start + MAX_PHASE_SECONDS * 1000;
  let maxLagMs = 0;
  await Promise.all(clients.map(async (client, c) => {
    let stay = bench.newStay();
    for (let i = 0; i < perConnection; i++) {
      const at = start + (i + c / connections) * interval;
      const wait = at - performance.now();
      if (wait > 0.5) await sleep(wait);
      if (i % EVENTS.length === 0) {
        if (i > 0 && performance.now() > deadline) break;
        if (i > 0) stay = bench.newStay();
      }
      if (!(await whenReady(stay))) {
        recorder.record(performance.now() - at, `no free bed for ${ACK_TIMEOUT_MS} ms`);
        break;
      }
      const out = stay.next() as Outgoing;
      maxLagMs = Math.max(maxLagMs, performance.now() - at);
      acks.push(exchange(client, out).then((problem) => recorder.record(performance.now() - at, problem)));
    }
  }));
  await Promise.all(acks);
  const elapsed = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  const row = await finish(bench, { phase: 'rate', connections, planned: perConnection * connections, recorder, seconds: elapsed });
  return { ...row, maxLagMs };
}

async function finish(bench: Bench, r: { phase: PhaseResult['phase']; connections: number; planned: number; recorder: Recorder; seconds: number }): Promise<PhaseResult> {
  // The server's log lines of the phase may still be in the pipe.
  const serverMs: number[] = [];
  for (let waited = 0; waited < 2000 && serverMs.length < r.recorder.completed; waited += 50) {
    serverMs.push(...bench.takeServerMs());
    if (serverMs.length < r.recorder.completed) await sleep(50);
  }
  const { recorder } = r;
  return {
    phase: r.phase, connections: r.connections, planned: r.planned, completed: recorder.completed, errors: recorder.errors, firstError: recorder.firstError, seconds: r.seconds,
    latencies: recorder.latencies.subarray(0, Math.min(recorder.completed, recorder.latencies.length)).sort(),
    serverMs: Float64Array.from(serverMs).sort(),
  };
}

// ---------------------------------------------------------------------------------------------
// Consistency of the bed counts

async function getJson<T>(client: HttpClient, path: string): Promise<T> {
  const result = await client.send('GET', path);
  if (result.status !== 200) throw new Error(`GET ${path}: HTTP ${result.status} ${result.body.slice(0, 300)}`);
  return JSON.parse(result.body) as T;
}

/** Every page of a search. */
async function searchAll<T>(client: HttpClient, path: string): Promise<T[]> {
  const found: T[] = [];
  for (let next: string | undefined = path, pages = 0; next && pages < 1000; pages++) {
    const bundle: Bundle = await getJson<Bundle>(client, next);
    found.push(...(bundle.entry ?? []).map((e) => e.resource as T));
    const url = bundle.link?.find((l) => l.relation === 'next')?.url;
    next = url ? `${new URL(url, 'http://x').pathname}${new URL(url, 'http://x').search}` : undefined;
  }
  return found;
}

/** Per ward, the `occupied` count against the beds with status O; totals against the demo data. */
async function checkBeds(client: HttpClient, loaded: Loaded): Promise<{ ok: boolean; text: string }> {
  const code = encodeURIComponent(`${BED_AVAILABILITY_CODE.system}|${BED_AVAILABILITY_CODE.code}`);
  const observations = await searchAll<Observation>(client, `/fhir/Observation?code=${code}&_count=1000`);
  const count = (o: Observation, c: string): number =>
    (o.component ?? []).find((x) => x.code.coding?.some((k) => k.system === PASSERELLE_SYSTEM.bedAvailability && k.code === c))?.valueQuantity?.value ?? 0;
  const occupiedBeds = (await searchAll<Location>(client, `/fhir/Location?operational-status=${encodeURIComponent(`${SYSTEM.bedStatus}|${BED_STATUS.occupied}`)}&_count=1000`))
    .filter((l) => isBed(l) && l.status !== 'inactive');
  const perWard = new Map<string, number>();
  for (const bed of occupiedBeds) perWard.set(locationId(bed.partOf) ?? '', (perWard.get(locationId(bed.partOf) ?? '') ?? 0) + 1);
  let occupiedSum = 0;
  let availableSum = 0;
  let wrongWards = 0;
  for (const o of observations) {
    occupiedSum += count(o, 'occupied');
    availableSum += count(o, 'available');
    if (count(o, 'occupied') !== (perWard.get(locationId(o.subject) ?? '') ?? 0)) wrongWards++;
  }
  const ok = observations.length === loaded.wards && wrongWards === 0 && occupiedSum === occupiedBeds.length
    && occupiedBeds.length === loaded.occupied && availableSum === loaded.available;
  const text = `${observations.length}/${loaded.wards} ward Observations, occupied components sum ${occupiedSum}, beds with status O ${occupiedBeds.length} `
    + `(demo data ${loaded.occupied}), available ${availableSum} (demo data ${loaded.available}), wards whose count is off ${wrongWards}: ${ok ? 'ok' : 'INCONSISTENT'}`;
  return { ok, text };
}

// ---------------------------------------------------------------------------------------------

async function benchDriver(driver: Driver, phases: readonly Phase[]): Promise<{ rows: PhaseResult[]; consistent: boolean }> {
  const messages = Math.round(positiveNumber('BENCH_MESSAGES', driver === 'postgres' ? 4000 : 1000));
  const database = await benchDatabase(driver);
  const rows: PhaseResult[] = [];
  try {
    const started = performance.now();
    const loaded = await load(database);
    console.error(`[${driver}] loaded ${REGION.hospitals} hospitals x ${REGION.wards} wards x ${REGION.beds} beds (${loaded.available} free, ${loaded.occupied} occupied) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    let serverMs: number[] = [];
    const server = await startServer(database, {
      mllp: true,
      onLog: (entry) => {
        if (entry.msg === 'hl7 message' && typeof entry.ms === 'number') serverMs.push(entry.ms);
      },
    });
    try {
      const tag = `B${Date.now().toString(36)}`;
      let stays = 0;
      const bench: Bench = {
        mllpPort: server.mllpPort as number,
        newStay: () => new Stay(stays++, tag, loaded.pool),
        takeServerMs: () => {
          const taken = serverMs;
          serverMs = [];
          return taken;
        },
      };
      const warm = await closedLoop(bench, 'warm-up', 8, 128);
      if (warm.errors > 0) console.error(`[${driver}] warm-up: ${warm.errors} errors, first: ${warm.firstError}`);
      for (const phase of phases) {
        const row = phase === 'rate' ? await openLoop(bench, RATE, RATE_SECONDS, RATE_CONNECTIONS) : await closedLoop(bench, phase, phase === 'c1' ? 1 : 8, messages);
        rows.push(row);
        const lag = row.maxLagMs !== undefined && row.maxLagMs > 100 ? `, sends up to ${(row.maxLagMs / 1000).toFixed(1)} s late (the server fell behind)` : '';
        console.error(`[${driver}] ${phase}: ${(row.completed / row.seconds).toFixed(0)} msg/s, p99 ${percentile(row.latencies, 99).toFixed(1)} ms, ${row.errors} errors${lag}`);
      }
      const check = await checkBeds(server.client, loaded);
      console.log(`[${driver}] bed counts: ${check.text}`);
      return { rows, consistent: check.ok && warm.errors === 0 };
    } finally {
      await server.stop();
    }
  } finally {
    await database.cleanup();
  }
}

function printTable(rows: readonly (PhaseResult & { driver: Driver })[]): void {
  const ms = (sorted: Float64Array, p: number): string => {
    const value = percentile(sorted, p);
    return Number.isNaN(value) ? '-' : value.toFixed(value < 10 ? 2 : 1);
  };
  const header = ['driver', 'phase', 'conns', 'messages', 'errors', 'msg/s', 'p50 ms', 'p95 ms', 'p99 ms', 'server p50', 'server p99'];
  const lines = rows.map((r) => [
    r.driver, r.phase === 'rate' ? `${RATE}/s offered` : `closed loop`, String(r.connections),
    r.completed < r.planned ? `${r.completed}*` : String(r.completed), String(r.errors), (r.completed / r.seconds).toFixed(0),
    ms(r.latencies, 50), ms(r.latencies, 95), ms(r.latencies, 99), ms(r.serverMs, 50), ms(r.serverMs, 99),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
  if (rows.some((r) => r.completed < r.planned)) console.log(`* stopped by the ${MAX_PHASE_SECONDS} s time cap before the planned count`);
  console.log('server p50/p99: the `ms` of the server\'s "hl7 message" log lines (receive to ACK built, without the MLLP queue)');
  for (const r of rows) {
    if (r.maxLagMs !== undefined && r.maxLagMs > 100) console.log(`${r.driver}: the offered rate outran the server (free beds ran out; sends up to ${(r.maxLagMs / 1000).toFixed(1)} s late, counted in the latencies)`);
  }
  for (const r of rows) if (r.firstError) console.log(`first error, ${r.driver} ${r.phase}: ${r.firstError}`);
}

function printTargets(rows: readonly (PhaseResult & { driver: Driver })[]): void {
  const verdict = (r: PhaseResult, met: boolean): string => (r.errors > 0 ? `FAIL (${r.errors} errors)` : met ? 'ok' : 'MISSED');
  const pg = (phase: Phase): PhaseResult | undefined => rows.find((r) => r.driver === 'postgres' && r.phase === phase);
  const unmeasured = `not measured${process.env.DATABASE_URL ? '' : ' (set DATABASE_URL)'}`;
  console.log('\nTargets (PostgreSQL):');
  const c8 = pg('c8');
  const rate = c8 && c8.completed / c8.seconds;
  console.log(`  ADT messages/s over 8 connections >= ${TARGETS.messagesPerSecond}: ${c8 && rate !== undefined ? `${rate.toFixed(0)} ${verdict(c8, rate >= TARGETS.messagesPerSecond)}` : unmeasured}`);
  const open = pg('rate');
  const p99 = open && percentile(open.latencies, 99);
  const offRate = RATE === TARGETS.atRate ? '' : ` (measured at ${RATE}/s, not ${TARGETS.atRate}/s)`;
  console.log(`  p99 time to ACK at ${TARGETS.atRate} messages/s < ${TARGETS.p99Ms} ms: ${open && p99 !== undefined ? `${p99.toFixed(1)} ms ${verdict(open, p99 < TARGETS.p99Ms)}${offRate}` : unmeasured}`);
}

async function main(): Promise<void> {
  loadR4Definitions();
  const drivers = selectedDrivers();
  const wanted = listFromEnv('BENCH_PHASES', PHASES);
  const phases = PHASES.filter((p) => !wanted || wanted.includes(p));
  const cpu = cpus();
  console.log(`Passerelle HL7 v2 bench: node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}`);
  console.log(`ADT A01/A08/A02/A03 stays over MLLP, phases ${phases.join(', ')}, drivers ${drivers.join(', ')}`
    + (process.env.DATABASE_URL ? ` (PostgreSQL at ${describeDatabaseUrl(process.env.DATABASE_URL)})` : ' (set DATABASE_URL to bench PostgreSQL too)'));
  const started = performance.now();
  const rows: (PhaseResult & { driver: Driver })[] = [];
  let consistent = true;
  for (const driver of drivers) {
    const result = await benchDriver(driver, phases);
    rows.push(...result.rows.map((r) => ({ ...r, driver })));
    consistent &&= result.consistent;
  }
  console.log('');
  printTable(rows);
  printTargets(rows);
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const errors = rows.reduce((sum, r) => sum + r.errors, 0);
  if (!consistent || errors > 0) {
    console.log(`FAILED: ${errors} messages not acknowledged with AA in measured phases${consistent ? '' : '; bed counts inconsistent or errors in a warm-up (see above)'}`);
    process.exitCode = 1;
  }
}

await main();
