/**
 * `npm run bench:anon`: de-identification throughput, in process (no server, no database), on one
 * core: the anonymisers are synchronous, so this is what one export worker can do.
 *
 * Phases:
 *   - dicom: `anonymizeDicom` (PS3.15 Annex E, burned-in annotation allowed) over every file of
 *     the DICOM fixtures, read once into memory, round after round for BENCH_SECONDS after a 1 s
 *     warm-up: instances/s and input MB/s;
 *   - fhir: `deidentifyResources` over a synthetic cohort of BENCH_PATIENTS patients, each a
 *     Patient and 4 resources about it (2 Observations, an Encounter, a Condition), in batches
 *     of 1000 resources (whole patients per batch, as the export pages them): resources/s;
 *   - openehr: `anonymizeComposition` over the openEHR composition fixtures, round after round
 *     for BENCH_SECONDS after a 1 s warm-up: compositions/s;
 *   - export: the real server (`passerelle serve`, on PGlite or, with DATABASE_URL, PostgreSQL)
 *     holding BENCH_EXPORT_PATIENTS patients of the same cohort (default 10,000: 50,000
 *     resources), a de-identified `Patient/$export` from kick-off to the last NDJSON file
 *     downloaded: resources/s end to end (this phase's CPU is the load generator's only).
 * Each phase also reports its CPU time over wall time (above 1: the GC's and libuv's threads
 * worked alongside) and the process's peak RSS once it is done.
 *
 * Environment:
 *   BENCH_PHASES    comma-separated subset of dicom,fhir,openehr,export (default: all)
 *   BENCH_EXPORT_PATIENTS  patients in the exported store (default 10000)
 *   BENCH_SECONDS   measured time of the dicom and openehr phases (default 10)
 *   BENCH_PATIENTS  patients in the FHIR cohort (default 2000: 10,000 resources)
 *   ANON_SECRET     the pseudonymisation key (default: a fixed bench key)
 *   FIXTURES_DIR    where dicom/ and openehr/ are (default /work/shared/fixtures)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Condition, Encounter, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { patientIdentity, Pseudonymizer } from '../anonymizer/index.ts';
import { anonymizeDicom } from '../anonymizer/dicom/index.ts';
import { deidentifyResources } from '../anonymizer/fhir/index.ts';
import { anonymizeComposition } from '../anonymizer/openehr/index.ts';
import { loadR4Definitions, ProfileRegistry, Repository } from '../fhir/index.ts';
import { benchDatabase, listFromEnv, positiveNumber, selectedDrivers, startServer } from './support.ts';

const PHASES = ['dicom', 'fhir', 'openehr', 'export'] as const;
type Phase = (typeof PHASES)[number];
const selectedPhases = PHASES.filter((p) => (listFromEnv('BENCH_PHASES', PHASES) ?? PHASES).includes(p));
const SECONDS = positiveNumber('BENCH_SECONDS', 10);
const WARM_UP_SECONDS = 1;
const PATIENTS = Math.round(positiveNumber('BENCH_PATIENTS', 2000));
const EXPORT_PATIENTS = Math.round(positiveNumber('BENCH_EXPORT_PATIENTS', 10_000));
const BATCH_SIZE = 1000;
const RESOURCES_PER_PATIENT = 5;
const FIXTURES_DIR = process.env.FIXTURES_DIR || '/work/shared/fixtures';
/** 40 characters, above MIN_SECRET_LENGTH; the cost of an HMAC does not depend on which key. */
const BENCH_SECRET = 'passerelle-bench-anon-secret-0123456789a';
/** INS-NIR, the French national health identifier: the system the cohort's Patients are known by. */
const INS_NIR = 'urn:oid:1.2.250.1.213.1.4.8';

interface Result {
  phase: Phase;
  unit: string;
  count: number;
  /** Input bytes processed, when the unit has a meaningful size (DICOM files). */
  bytes?: number;
  seconds: number;
  cpuSeconds: number;
  /** The process's high-water mark once the phase is done (it never goes down). */
  peakRssMB: number;
}

/** Times `work`, which returns how many units (and input bytes) it did, in wall and CPU time. */
function measure(phase: Phase, unit: string, work: () => { count: number; bytes?: number }): Result {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const done = work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { phase, unit, ...done, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1024 };
}

/** Runs `each` over `items` round after round until `seconds` have passed (checked after each item). */
function forSeconds<T>(seconds: number, items: readonly T[], each: (item: T, n: number) => number): { count: number; bytes: number } {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  let bytes = 0;
  while (performance.now() < deadline) {
    bytes += each(items[count % items.length] as T, count);
    count += 1;
  }
  return { count, bytes };
}

// ---------------------------------------------------------------------------------------------
// DICOM

function benchDicom(pseudonymizer: Pseudonymizer): Result {
  const dir = join(FIXTURES_DIR, 'dicom');
  // Read once: the phase measures the anonymiser, not the disk.
  const files = readdirSync(dir).filter((name) => name.endsWith('.dcm')).sort().map((name) => readFileSync(join(dir, name)));
  if (files.length === 0) throw new Error(`no .dcm files in ${dir}`);
  const each = (bytes: Buffer): number => {
    anonymizeDicom(bytes, pseudonymizer, { allowBurnedInAnnotation: true });
    return bytes.length;
  };
  forSeconds(WARM_UP_SECONDS, files, each);
  return measure('dicom', 'instances', () => forSeconds(SECONDS, files, each));
}

// ---------------------------------------------------------------------------------------------
// FHIR: a synthetic cohort

const FAMILIES = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau'];
const GIVEN = ['Camille', 'Léa', 'Manon', 'Lucas', 'Hugo', 'Louis', 'Jeanne', 'Arthur'];
const CITIES = [{ city: 'Lyon', postalCode: '69003' }, { city: 'Bordeaux', postalCode: '33000' }, { city: 'Lille', postalCode: '59000' }, { city: 'Nantes', postalCode: '44000' }];

/** Patient `i` and the 4 resources about it, every one with an id as the store gives them. */
function patientRecord(i: number): Resource[] {
  const family = FAMILIES[i % FAMILIES.length] as string;
  const given = GIVEN[(i * 7) % GIVEN.length] as string;
  const place = CITIES[i % CITIES.length] as (typeof CITIES)[number];
  const birthDate = `${1930 + (i % 90)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
  const subject = { reference: `Patient/p${i}` };
  const day = `2025-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
  const patient: Patient = {
    resourceType: 'Patient',
    id: `p${i}`,
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${given} ${family.toUpperCase()}, né(e) le ${birthDate}, ${place.city}</div>` },
    identifier: [{ use: 'official', system: INS_NIR, value: String(100000000000000 + i * 7919) }],
    name: [{ use: 'official', family, given: [given] }],
    telecom: [{ system: 'phone', value: `06${String(10000000 + i).slice(-8)}`, use: 'mobile' }],
    gender: i % 2 === 0 ? 'female' : 'male',
    birthDate,
    address: [{ use: 'home', line: [`${1 + (i % 120)} rue Pasteur`], city: place.city, postalCode: place.postalCode, country: 'FR' }],
  };
  const encounter: Encounter = {
    resourceType: 'Encounter',
    id: `e${i}`,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
    subject,
    period: { start: `${day}T08:30:00+01:00`, end: `${day}T09:15:00+01:00` },
  };
  const observation = (k: number, code: string, display: string, value: number, unit: string): Observation => ({
    resourceType: 'Observation',
    id: `o${i}-${k}`,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code, display }] },
    subject,
    encounter: { reference: `Encounter/e${i}` },
    effectiveDateTime: `${day}T08:4${k}:00+01:00`,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  });
  const condition: Condition = {
    resourceType: 'Condition',
    id: `c${i}`,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertensive disorder' }] },
    subject,
    onsetDateTime: `${2015 + (i % 10)}-03-14`,
    note: [{ text: `Suivi par le Dr ${FAMILIES[(i + 3) % FAMILIES.length]}, appeler Mme ${family} au 06 12 34 56 78.` }],
  };
  return [patient, observation(1, '8867-4', 'Heart rate', 50 + (i % 60), '/min'), observation(2, '29463-7', 'Body weight', 50 + (i % 50), 'kg'), encounter, condition];
}

function benchFhir(pseudonymizer: Pseudonymizer): Result {
  const resources = Array.from({ length: PATIENTS }, (_, i) => patientRecord(i)).flat();
  const batches: Resource[][] = [];
  for (let start = 0; start < resources.length; start += BATCH_SIZE) batches.push(resources.slice(start, start + BATCH_SIZE));
  // The first call loads the R4 definitions and the research profile: not part of the throughput.
  deidentifyResources(batches[0] ?? [], pseudonymizer);
  return measure('fhir', 'resources', () => {
    let count = 0;
    for (const batch of batches) {
      const output = deidentifyResources(batch, pseudonymizer);
      if (output.length !== batch.length) throw new Error(`${output.length} resources out of ${batch.length}`);
      count += output.length;
    }
    return { count };
  });
}

// ---------------------------------------------------------------------------------------------
// openEHR

function benchOpenEhr(pseudonymizer: Pseudonymizer): Result {
  const dir = join(FIXTURES_DIR, 'openehr');
  // Parsed once: the phase measures the anonymiser, not JSON.parse (it returns a copy, the input stays).
  const compositions: unknown[] = readdirSync(dir).filter((name) => /^composition_.*\.json$/.test(name)).sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')));
  if (compositions.length === 0) throw new Error(`no composition_*.json in ${dir}`);
  // A patient per composition, as an export over a cohort sees them.
  const each = (json: unknown, n: number): number => {
    anonymizeComposition(json, pseudonymizer, { identity: patientIdentity(INS_NIR, String(n)) });
    return 0;
  };
  forSeconds(WARM_UP_SECONDS, compositions, each);
  return measure('openehr', 'compositions', () => ({ count: forSeconds(SECONDS, compositions, each).count }));
}

// ---------------------------------------------------------------------------------------------
// Export end to end

/** The cohort written straight through the repository (validated and indexed as any write), 200 patients a transaction. */
async function loadCohort(database: Awaited<ReturnType<typeof benchDatabase>>): Promise<void> {
  loadR4Definitions();
  const db = await database.open();
  const profiles = new ProfileRegistry([]);
  try {
    for (let start = 0; start < EXPORT_PATIENTS; start += 200) {
      const records = Array.from({ length: Math.min(200, EXPORT_PATIENTS - start) }, (_, k) => patientRecord(start + k)).flat();
      await db.transaction(async (tx) => {
        const repo = new Repository(db, profiles, { tx });
        await repo.insertPrepared(records.map((resource) => ({ prepared: repo.prepare(resource), id: resource.id as string })));
      });
    }
  } finally {
    await db.close();
  }
}

async function benchExport(pseudonymizer: Pseudonymizer): Promise<Result> {
  void pseudonymizer; // the server holds its own, from ANON_SECRET
  const driver = selectedDrivers().includes('postgres') ? 'postgres' : 'pglite';
  const database = await benchDatabase(driver);
  try {
    process.stdout.write(`    loading ${EXPORT_PATIENTS} patients (${EXPORT_PATIENTS * RESOURCES_PER_PATIENT} resources) into ${driver} ...\n`);
    await loadCohort(database);
    const server = await startServer(database, { env: { ANON_SECRET: process.env.ANON_SECRET || BENCH_SECRET } });
    try {
      const base = `http://127.0.0.1:${server.port}/fhir`;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const kickOff = await fetch(`${base}/Patient/$export?deidentify=true`, { headers: { prefer: 'respond-async', accept: 'application/fhir+json' } });
      if (kickOff.status !== 202) throw new Error(`kick-off answered ${kickOff.status}: ${await kickOff.text()}`);
      const status = kickOff.headers.get('content-location') as string;
      let manifest: { output: { url: string; count: number }[] } | undefined;
      while (!manifest) {
        const poll = await fetch(status);
        if (poll.status === 200) manifest = (await poll.json()) as typeof manifest;
        else if (poll.status === 202) await new Promise((resolve) => setTimeout(resolve, 100));
        else throw new Error(`status answered ${poll.status}: ${await poll.text()}`);
      }
      let count = 0;
      let bytes = 0;
      for (const output of manifest.output) {
        const body = await (await fetch(output.url)).text();
        count += body.split('\n').filter((line) => line !== '').length;
        bytes += Buffer.byteLength(body);
      }
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      if (count !== EXPORT_PATIENTS * RESOURCES_PER_PATIENT) throw new Error(`exported ${count} resources, expected ${EXPORT_PATIENTS * RESOURCES_PER_PATIENT}`);
      return { phase: 'export', unit: 'resources', count, bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1024 };
    } finally {
      await server.stop();
    }
  } finally {
    await database.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function printTable(results: readonly Result[]): void {
  const header = ['phase', 'unit', 'count', 'seconds', 'units/s', 'MB/s', 'cpu/wall', 'peak RSS MB'];
  const lines = results.map((r) => [
    r.phase,
    r.unit,
    String(r.count),
    r.seconds.toFixed(2),
    (r.count / r.seconds).toFixed(0),
    r.bytes === undefined ? '-' : (r.bytes / 1e6 / r.seconds).toFixed(1),
    (r.cpuSeconds / r.seconds).toFixed(2),
    r.peakRssMB.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => (line[i] ?? '').length)));
  const format = (cells: string[]): string => cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(`Passerelle de-identification bench: node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}`);
  console.log(`phases ${selectedPhases.join(', ')}, ${SECONDS} s per timed phase, ${PATIENTS} FHIR patients (${PATIENTS * RESOURCES_PER_PATIENT} resources, batches of ${BATCH_SIZE})`);
  const pseudonymizer = new Pseudonymizer(process.env.ANON_SECRET || BENCH_SECRET);
  const run: Record<Phase, (p: Pseudonymizer) => Result | Promise<Result>> = { dicom: benchDicom, fhir: benchFhir, openehr: benchOpenEhr, export: benchExport };
  const results: Result[] = [];
  for (const phase of selectedPhases) {
    process.stdout.write(`  ${phase} ...\n`);
    results.push(await run[phase](pseudonymizer));
  }
  console.log('');
  printTable(results);
  console.log(`\npeak RSS is the process's high-water mark after each phase; MB/s counts input bytes (export: NDJSON downloaded)`);
}

await main();
