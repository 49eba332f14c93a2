/**
 * `npm run bench:dicomweb`: DICOMweb against Orthanc with its DICOMweb plugin, side by side, in one
 * run, on the same files, with the same client (`dicomweb-http.ts`: a keep-alive agent,
 * multipart/related bodies built there, the Accept headers a viewer sends).
 *
 * Data, generated into a temporary directory (`dicom-data.ts`):
 *   - small CT studies: copies of the 39 KB CT fixture, one instance per study, new UIDs from
 *     `dcmodify -gin -gse -gst` (25 files per call: one patient's studies), each patient with its own
 *     PatientName (FAMILY^GIVEN), PatientID and StudyDate (3 days after the previous patient's);
 *   - large multi-frame instances: no fixture is large, so each is a Multi-frame Grayscale Word
 *     Secondary Capture written here (Explicit VR Little Endian, 100 frames of 512 x 512 x 16 bits
 *     native, about 52 MB), one per study, with fresh 2.25 UIDs.
 *
 * For Orthanc, then for Passerelle (the real `passerelle serve` on a throwaway database), it measures
 *   - STOW-RS instances/s and MB/s, one instance per request, sequential and at BENCH_CONCURRENCY,
 *     for the small CT studies (BENCH_STUDIES each) and the large ones (BENCH_LARGE_INSTANCES each);
 *   - then loads more small studies (25 per request, side figure) up to BENCH_QIDO_STUDIES in all,
 *     and measures QIDO-RS p50/p95/req/s, sequential: by StudyInstanceUID, PatientName prefix,
 *     `limit=100&includefield=all`, and a StudyDate range;
 *   - WADO-RS whole-study retrieve (studies/s, MB/s) and study /metadata (req/s), sequential and at
 *     BENCH_CONCURRENCY, on the small studies, and whole-study retrieve of the large ones.
 * Every answer is checked (status, ReferencedSOPSequence, result counts, parts that are Part 10
 * files), so a failing server cannot look fast. Prints figure | Passerelle | Orthanc | ratio.
 *
 * Environment:
 *   DATABASE_URL            PostgreSQL for Passerelle (a schema bench_<random>, dropped after); else PGlite
 *   BENCH_DRIVERS           comma-separated subset of pglite,postgres (default: postgres when DATABASE_URL is set, else pglite)
 *   BENCH_TARGETS           comma-separated subset of orthanc,passerelle (default: both)
 *   BENCH_STUDIES           small CT studies per STOW phase (default 400)
 *   BENCH_QIDO_STUDIES      studies stored when QIDO is measured (default 10000)
 *   BENCH_CONCURRENCY       the concurrent phases' and the loading's concurrency (default 8)
 *   BENCH_LARGE_INSTANCES   large instances per STOW phase (default 16); BENCH_LARGE_FRAMES (default 100)
 *   BENCH_QUERIES           QIDO requests per query kind (default 200)
 *   BENCH_MAX_PHASE_SECONDS time cap of each measured phase (default 20)
 * Quick run: BENCH_STUDIES=50 BENCH_QIDO_STUDIES=500 BENCH_LARGE_INSTANCES=4.
 *
 * Load generator, servers and PostgreSQL share this machine's cores; only one server runs at a time.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Prng } from '../profiles/index.ts';
import {
  daysAfter, LARGE_SIDE, largeInstance, largePixels, smallStudies, STUDIES_PER_PATIENT, type Instance, type SmallStudy,
} from './dicom-data.ts';
import { ACCEPT_JSON, ACCEPT_STUDY, dicomParts, DicomwebClient, first, jsonArray, stowBody, stowStored } from './dicomweb-http.ts';
import { DICOMWEB_PLUGIN, orthancVersion, startOrthanc } from './orthanc.ts';
import {
  benchDatabase, describeDatabaseUrl, listFromEnv, percentile, positiveNumber, selectedDrivers, startServer, type Driver,
} from './support.ts';

const count = (name: string, fallback: number): number => Math.round(positiveNumber(name, fallback));
const STUDIES = count('BENCH_STUDIES', 400);
const QIDO_STUDIES = count('BENCH_QIDO_STUDIES', 10_000);
const CONCURRENCY = count('BENCH_CONCURRENCY', 8);
const LARGE_INSTANCES = count('BENCH_LARGE_INSTANCES', 16);
const LARGE_FRAMES = count('BENCH_LARGE_FRAMES', 100);
const QUERIES = count('BENCH_QUERIES', 200);
const MAX_PHASE_SECONDS = positiveNumber('BENCH_MAX_PHASE_SECONDS', 20);
const WARM_UP_STUDIES = 8;
const WARM_UP_REQUESTS = 5;
const MB = 1e6;

// ---------------------------------------------------------------------------------------------
// Clean-up, also on SIGINT/SIGTERM

const cleanups = new Set<() => Promise<void>>();
function onCleanup(work: () => Promise<void>): () => Promise<void> {
  const once = async (): Promise<void> => {
    cleanups.delete(once);
    await work();
  };
  cleanups.add(once);
  return once;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers and removing the data`);
    setTimeout(() => process.exit(130), 30_000).unref();
    void Promise.allSettled([...cleanups].reverse().map((c) => c())).finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Phase {
  planned: number;
  completed: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  /** DICOM bytes sent or received. */
  bytes: number;
  /** Requests' latencies in ms, sorted. */
  latencies: Float64Array;
}

/** Runs `work` over the items, `concurrency` at a time, until done or the time cap; a thrown error is a failed request. */
async function measure<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<{ bytes: number; problem?: string }>, maxSeconds = MAX_PHASE_SECONDS): Promise<Phase> {
  const latencies = new Float64Array(items.length);
  let next = 0;
  let completed = 0;
  let errors = 0;
  let bytes = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + maxSeconds * 1000;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length && performance.now() < deadline) {
      const item = items[next++] as T;
      const sent = performance.now();
      let problem: string | undefined;
      try {
        const result = await work(item);
        bytes += result.bytes;
        problem = result.problem;
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      latencies[completed++] = performance.now() - sent;
      if (problem !== undefined) {
        if (errors < 3) console.error(`    error: ${problem}`);
        errors++;
        firstError ??= problem;
      }
    }
  }));
  return { planned: items.length, completed, errors, firstError, seconds: (performance.now() - start) / 1000, bytes, latencies: latencies.subarray(0, completed).sort() };
}

/** One figure's definition: its label and unit, which way is better, and the ratio the issue asks for. */
interface Figure {
  key: string;
  label: string;
  unit: string;
  lowerIsBetter?: boolean;
  /** Passerelle's advantage the issue asks for (1: ahead; 2: twice as fast); undefined for side figures. */
  target?: number;
}

interface Cell {
  value?: number;
  /** A second figure shown next to the value (MB/s next to instances/s). */
  shown?: string;
  failure?: string;
}

type Results = Map<string, Cell>;

const FIGURES: Figure[] = [];
const figure = (f: Figure): Figure => {
  FIGURES.push(f);
  return f;
};

const F = {
  stowSmall1: figure({ key: 'stow-small-1', label: 'STOW small CT, 1 instance/request, sequential', unit: 'inst/s', target: 1 }),
  stowSmallN: figure({ key: 'stow-small-n', label: `STOW small CT, 1 instance/request, concurrency ${CONCURRENCY}`, unit: 'inst/s', target: 1 }),
  stowLarge1: figure({ key: 'stow-large-1', label: 'STOW large multi-frame, 1 instance/request, sequential', unit: 'MB/s', target: 1 }),
  stowLargeN: figure({ key: 'stow-large-n', label: `STOW large multi-frame, 1 instance/request, concurrency ${CONCURRENCY}`, unit: 'MB/s', target: 1 }),
  load: figure({ key: 'load', label: `STOW small CT, ${STUDIES_PER_PATIENT} instances/request, concurrency ${CONCURRENCY} (loading; side figure)`, unit: 'inst/s' }),
  qido: {
    uid: qidoFigures('uid', 'QIDO /studies?StudyInstanceUID=<uid>'),
    name: qidoFigures('name', 'QIDO /studies?PatientName=<FAMILY^GIV>*'),
    all: qidoFigures('all', 'QIDO /studies?limit=100&includefield=all'),
    date: qidoFigures('date', 'QIDO /studies?StudyDate=<4-day range>'),
  },
  wado1: figure({ key: 'wado-1', label: 'WADO-RS whole study (small CT), sequential', unit: 'studies/s', target: 1 }),
  wadoN: figure({ key: 'wado-n', label: `WADO-RS whole study (small CT), concurrency ${CONCURRENCY}`, unit: 'studies/s', target: 1 }),
  metadata1: figure({ key: 'metadata-1', label: 'WADO-RS /studies/{uid}/metadata, sequential', unit: 'req/s', target: 2 }),
  metadataN: figure({ key: 'metadata-n', label: `WADO-RS /studies/{uid}/metadata, concurrency ${CONCURRENCY}`, unit: 'req/s', target: 2 }),
  wadoLarge: figure({ key: 'wado-large', label: 'WADO-RS whole study (large multi-frame), sequential', unit: 'MB/s', target: 1 }),
};

function qidoFigures(key: string, label: string): { p50: Figure; p95: Figure; rate: Figure } {
  return {
    p50: figure({ key: `qido-${key}-p50`, label: `${label} p50`, unit: 'ms', lowerIsBetter: true, target: 2 }),
    p95: figure({ key: `qido-${key}-p95`, label: `${label} p95`, unit: 'ms', lowerIsBetter: true, target: 2 }),
    rate: figure({ key: `qido-${key}-rate`, label: `${label} req/s`, unit: 'req/s', target: 2 }),
  };
}

const failure = (phase: Phase): string | undefined =>
  phase.completed === 0 ? 'nothing measured' : phase.errors > 0 ? `${phase.errors}/${phase.completed} failed` : undefined;
const megabytes = (phase: Phase): string => `${(phase.bytes / MB / phase.seconds).toFixed(1)} MB/s`;
const ms = (phase: Phase, p: number): number => percentile(phase.latencies, p);
const latencyDetail = (phase: Phase): string => `p50 ${ms(phase, 50).toFixed(1)} ms, p95 ${ms(phase, 95).toFixed(1)} ms`;

// ---------------------------------------------------------------------------------------------
// The suite, run on each server

interface Dataset {
  small: SmallStudy[];
  large: Instance[];
  warmUp: SmallStudy[];
  stowSequential: SmallStudy[];
  stowConcurrent: SmallStudy[];
  loading: SmallStudy[];
  largeWarmUp: Instance;
  largeSequential: Instance[];
  largeConcurrent: Instance[];
}

interface SuiteResult {
  results: Results;
  /** Studies stored when QIDO was measured. */
  studiesAtQido: number;
  notes: string[];
}

async function suite(name: string, client: DicomwebClient, data: Dataset): Promise<SuiteResult> {
  const results: Results = new Map();
  const notes: string[] = [];
  const stored = new Set<string>();
  const log = (text: string): void => console.error(`[${name}] ${text}`);
  const noted = new Set<Phase>();
  /** `shown` goes into the table after the value, `more` only into the progress log. */
  const record = (f: Figure, phase: Phase, value: number, shown?: string, more?: string): void => {
    const problem = failure(phase);
    results.set(f.key, problem ? { failure: problem } : { value, shown });
    const detail = [shown, more].filter((d) => d !== undefined).join(', ');
    if (phase.firstError && !noted.has(phase)) notes.push(`${f.label.replace(/ (p50|p95|req\/s)$/, '')}: ${phase.errors} of ${phase.completed} failed, first: ${phase.firstError}`);
    noted.add(phase);
    log(`${f.label}: ${problem ? `FAILED (${problem})` : `${format(value)} ${f.unit}${detail ? ` (${detail})` : ''}`}`);
  };

  const stow = async (instances: readonly Instance[]): Promise<{ bytes: number; problem?: string }> => {
    const { chunks, contentType } = await stowBody(instances);
    const reply = await client.send('POST', '/studies', { 'content-type': contentType, accept: ACCEPT_JSON }, chunks);
    const result = stowStored(reply, instances);
    for (const sop of result.stored) stored.add(sop);
    return { bytes: instances.reduce((sum, i) => sum + i.bytes, 0), ...(result.problem ? { problem: result.problem } : {}) };
  };
  // Small files in memory for the measured phases: the client reads no disk while it times.
  const inMemory = (studies: SmallStudy[]): SmallStudy[] => studies.map((s) => ({ ...s, file: [readFileSync(s.file as string)] }));

  // STOW
  const warm = await measure(data.warmUp, 1, (s) => stow([s]), Infinity);
  if (warm.errors > 0) {
    notes.push(`warm-up STOW (${data.warmUp.length} small CT): ${warm.errors} failed, first: ${warm.firstError}`);
    log(`warm-up STOW failed: ${warm.firstError}`);
  }
  let phase = await measure(inMemory(data.stowSequential), 1, (s) => stow([s]));
  record(F.stowSmall1, phase, phase.completed / phase.seconds, megabytes(phase));
  phase = await measure(inMemory(data.stowConcurrent), CONCURRENCY, (s) => stow([s]));
  record(F.stowSmallN, phase, phase.completed / phase.seconds, megabytes(phase));
  const warmLarge = await measure([data.largeWarmUp], 1, (i) => stow([i]), Infinity);
  if (warmLarge.errors > 0) notes.push(`warm-up STOW (1 large multi-frame): failed: ${warmLarge.firstError}`);
  phase = await measure(data.largeSequential, 1, (i) => stow([i]));
  record(F.stowLarge1, phase, phase.bytes / MB / phase.seconds, `${(phase.completed / phase.seconds).toFixed(2)} inst/s`);
  phase = await measure(data.largeConcurrent, CONCURRENCY, (i) => stow([i]));
  record(F.stowLargeN, phase, phase.bytes / MB / phase.seconds, `${(phase.completed / phase.seconds).toFixed(2)} inst/s`);

  // Loading for QIDO, one patient's studies per request
  const batches: SmallStudy[][] = [];
  for (let i = 0; i < data.loading.length; i += STUDIES_PER_PATIENT) batches.push(data.loading.slice(i, i + STUDIES_PER_PATIENT));
  if (batches.length > 0) {
    log(`loading ${data.loading.length} more studies`);
    phase = await measure(batches, CONCURRENCY, stow, Infinity);
    record(F.load, phase, data.loading.length / phase.seconds, megabytes(phase), `${phase.seconds.toFixed(1)} s`);
  }

  // QIDO, on what was stored
  const small = data.small.filter((s) => stored.has(s.sopUid));
  const studiesAtQido = small.length + [data.largeWarmUp, ...data.largeSequential, ...data.largeConcurrent].filter((i) => stored.has(i.sopUid)).length;
  log(`${studiesAtQido} studies stored; QIDO`);
  if (small.length === 0) {
    notes.push('no small study stored: QIDO and WADO not measured');
    return { results, studiesAtQido, notes };
  }
  const rng = new Prng(104);
  const pick = (): SmallStudy => small[Math.floor(rng.next() * small.length)] as SmallStudy;
  const qidoKinds: { figures: ReturnType<typeof qidoFigures>; query: () => { path: string; expected: number; uid?: string } }[] = [
    {
      figures: F.qido.uid,
      query: () => {
        const s = pick();
        return { path: `/studies?StudyInstanceUID=${s.studyUid}`, expected: 1, uid: s.studyUid };
      },
    },
    {
      figures: F.qido.name,
      query: () => {
        const [family, given] = pick().patientName.split('^') as [string, string];
        const prefix = `${family}^${given.slice(0, 3)}`;
        // Sent as is: Orthanc 1.10 does not percent-decode QIDO values (`GARCIA%5EALI*` matches nothing there).
        return { path: `/studies?PatientName=${prefix}*`, expected: small.filter((s) => s.patientName.startsWith(prefix)).length };
      },
    },
    { figures: F.qido.all, query: () => ({ path: '/studies?limit=100&includefield=all', expected: Math.min(100, studiesAtQido) }) },
    {
      figures: F.qido.date,
      query: () => {
        const from = pick().date;
        const to = daysAfter(from, 4);
        return { path: `/studies?StudyDate=${from}-${to}`, expected: small.filter((s) => s.date >= from && s.date <= to).length };
      },
    },
  ];
  for (const kind of qidoKinds) {
    const queries = Array.from({ length: QUERIES + WARM_UP_REQUESTS }, kind.query);
    let matched = 0;
    const qido = async (q: ReturnType<typeof kind.query>): Promise<{ bytes: number; problem?: string }> => {
      const reply = await client.send('GET', q.path, { accept: ACCEPT_JSON });
      const { items, problem } = jsonArray(reply);
      matched += items.length;
      if (problem) return { bytes: 0, problem: `GET ${q.path}: ${problem}` };
      if (items.length !== q.expected) return { bytes: 0, problem: `GET ${q.path}: ${items.length} studies, expected ${q.expected}` };
      if (q.uid && first(items[0], '0020000D') !== q.uid) return { bytes: 0, problem: `GET ${q.path}: another study answered` };
      return { bytes: reply.body.length };
    };
    await measure(queries.slice(0, WARM_UP_REQUESTS), 1, qido, Infinity);
    matched = 0;
    phase = await measure(queries.slice(WARM_UP_REQUESTS), 1, qido);
    const detail = `${phase.completed} queries, ${(matched / Math.max(1, phase.completed)).toFixed(1)} studies each`;
    record(kind.figures.p50, phase, ms(phase, 50));
    record(kind.figures.p95, phase, ms(phase, 95));
    record(kind.figures.rate, phase, phase.completed / phase.seconds, undefined, detail);
  }

  // WADO-RS
  const wadoStudies = data.stowSequential.filter((s) => stored.has(s.sopUid));
  const retrieve = async (i: Instance): Promise<{ bytes: number; problem?: string }> => {
    const reply = await client.send('GET', `/studies/${i.studyUid}`, { accept: ACCEPT_STUDY });
    const { parts, bytes, problem } = dicomParts(reply);
    if (problem) return { bytes, problem: `GET /studies/${i.studyUid}: ${problem}` };
    return parts === 1 ? { bytes } : { bytes, problem: `GET /studies/${i.studyUid}: ${parts} instances, expected 1` };
  };
  const metadata = async (i: Instance): Promise<{ bytes: number; problem?: string }> => {
    const path = `/studies/${i.studyUid}/metadata`;
    const reply = await client.send('GET', path, { accept: ACCEPT_JSON });
    const { items, problem } = jsonArray(reply);
    if (problem) return { bytes: 0, problem: `GET ${path}: ${problem}` };
    if (items.length !== 1 || first(items[0], '00080018') !== i.sopUid) return { bytes: 0, problem: `GET ${path}: ${items.length} instances, expected this study's 1` };
    return { bytes: reply.body.length };
  };
  await measure(wadoStudies.slice(0, WARM_UP_REQUESTS), 1, retrieve, Infinity);
  phase = await measure(wadoStudies, 1, retrieve);
  record(F.wado1, phase, phase.completed / phase.seconds, megabytes(phase), latencyDetail(phase));
  phase = await measure(wadoStudies, CONCURRENCY, retrieve);
  record(F.wadoN, phase, phase.completed / phase.seconds, megabytes(phase));
  await measure(wadoStudies.slice(0, WARM_UP_REQUESTS), 1, metadata, Infinity);
  phase = await measure(wadoStudies, 1, metadata);
  record(F.metadata1, phase, phase.completed / phase.seconds, undefined, latencyDetail(phase));
  phase = await measure(wadoStudies, CONCURRENCY, metadata);
  record(F.metadataN, phase, phase.completed / phase.seconds, undefined, latencyDetail(phase));
  const large = data.largeSequential.filter((i) => stored.has(i.sopUid));
  if (large.length > 0) {
    phase = await measure(large, 1, retrieve);
    record(F.wadoLarge, phase, phase.bytes / MB / phase.seconds, `${(phase.completed / phase.seconds).toFixed(2)} studies/s`);
  }
  if (client.retries > 0) notes.push(`${client.retries} requests sent again after the server had closed an idle kept-alive connection`);
  return { results, studiesAtQido, notes };
}

// ---------------------------------------------------------------------------------------------
// Running the servers

async function onOrthanc(data: Dataset): Promise<SuiteResult & { description: string }> {
  const orthanc = await startOrthanc();
  const stop = onCleanup(orthanc.stop);
  const client = new DicomwebClient(orthanc.port, orthanc.dicomwebPath);
  try {
    console.error(`[Orthanc] ${String(orthanc.system.Version)} listening on 127.0.0.1:${orthanc.port}`);
    const result = await suite('Orthanc', client, data);
    const description = `Orthanc ${String(orthanc.system.Version)} with its DICOMweb plugin (${DICOMWEB_PLUGIN}), on loopback; Orthanc's defaults (SQLite index, files on disk, `
      + 'no storage compression) except HttpPort/DicomPort (free ports), RemoteAccessAllowed false, AuthenticationEnabled false, StorageDirectory/IndexDirectory '
      + '(a temporary directory), Plugins [the DICOMweb plugin], DicomWeb { Enable: true, Root: "/dicom-web/" }';
    return { ...result, description };
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nOrthanc's log:\n${orthanc.logTail()}`, { cause: err });
  } finally {
    client.close();
    await stop();
  }
}

async function onPasserelle(driver: Driver, data: Dataset): Promise<SuiteResult> {
  const database = await benchDatabase(driver);
  const dropDatabase = onCleanup(database.cleanup);
  try {
    const server = await startServer(database);
    const stop = onCleanup(server.stop);
    const client = new DicomwebClient(server.port, '/dicomweb');
    try {
      console.error(`[Passerelle ${driver}] listening on 127.0.0.1:${server.port}`);
      return await suite(`Passerelle ${driver}`, client, data);
    } finally {
      client.close();
      await stop();
    }
  } finally {
    await dropDatabase();
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function format(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Passerelle's advantage: its rate over Orthanc's, or Orthanc's latency over its (above 1: ahead). */
function advantage(f: Figure, ours: Cell | undefined, theirs: Cell | undefined): number | undefined {
  if (ours?.value === undefined || theirs?.value === undefined || ours.value <= 0 || theirs.value <= 0) return undefined;
  return f.lowerIsBetter ? theirs.value / ours.value : ours.value / theirs.value;
}

function printTable(columns: { name: string; results: Results }[], orthanc: Results | undefined): { met: number; missed: string[] } {
  const cell = (f: Figure, c: Cell | undefined): string =>
    c === undefined ? 'n/a' : c.failure !== undefined ? `FAIL (${c.failure})` : `${format(c.value as number)} ${f.unit}${c.shown ? `, ${c.shown}` : ''}`;
  const header = ['figure', ...columns.flatMap((c) => [c.name, ...(orthanc ? [`ratio`] : [])]), ...(orthanc ? ['Orthanc', 'target'] : [])];
  const missed: string[] = [];
  let met = 0;
  const lines = FIGURES.filter((f) => columns.some((c) => c.results.has(f.key)) || orthanc?.has(f.key)).map((f) => {
    const row = [f.label];
    for (const c of columns) {
      row.push(cell(f, c.results.get(f.key)));
      if (!orthanc) continue;
      const ratio = advantage(f, c.results.get(f.key), orthanc.get(f.key));
      row.push(ratio === undefined ? '-' : `${ratio.toFixed(2)}x`);
      if (f.target === undefined) continue;
      if (ratio !== undefined && ratio >= f.target) met++;
      else missed.push(`${c.name}: ${f.label} (${ratio === undefined ? 'not measured' : `${ratio.toFixed(2)}x`}, target ${f.target}x)`);
    }
    if (orthanc) row.push(cell(f, orthanc.get(f.key)), f.target === undefined ? '-' : `>= ${f.target}x`);
    return row;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const formatRow = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ');
  console.log(formatRow(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const line of lines) console.log(formatRow(line));
  return { met, missed };
}

async function main(): Promise<void> {
  const targets = listFromEnv('BENCH_TARGETS', ['orthanc', 'passerelle'] as const) ?? ['orthanc', 'passerelle'];
  const drivers: Driver[] = !targets.includes('passerelle') ? [] : process.env.BENCH_DRIVERS ? selectedDrivers() : [process.env.DATABASE_URL ? 'postgres' : 'pglite'];
  if (targets.includes('orthanc') && !orthancVersion()) throw new Error('Orthanc is not installed (Debian packages orthanc and orthanc-dicomweb); BENCH_TARGETS=passerelle runs without it');
  const cpu = cpus();
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-bench-dicomweb-'));
  const removeDir = onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  try {
    // Data
    const totalSmall = Math.max(QIDO_STUDIES - 1 - 2 * LARGE_INSTANCES, WARM_UP_STUDIES + 2 * STUDIES);
    mkdirSync(join(dir, 'small'));
    let t = performance.now();
    const small = await smallStudies(join(dir, 'small'), totalSmall);
    console.error(`generated ${small.length} small CT studies (${Math.ceil(small.length / STUDIES_PER_PATIENT)} patients) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const pixels = largePixels(LARGE_FRAMES);
    const large = Array.from({ length: 1 + 2 * LARGE_INSTANCES }, (_, n) => largeInstance(pixels, LARGE_FRAMES, n));
    console.error(`generated ${large.length} large instances in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const data: Dataset = {
      small,
      large,
      warmUp: small.slice(0, WARM_UP_STUDIES),
      stowSequential: small.slice(WARM_UP_STUDIES, WARM_UP_STUDIES + STUDIES),
      stowConcurrent: small.slice(WARM_UP_STUDIES + STUDIES, WARM_UP_STUDIES + 2 * STUDIES),
      loading: small.slice(WARM_UP_STUDIES + 2 * STUDIES),
      largeWarmUp: large[0] as Instance,
      largeSequential: large.slice(1, 1 + LARGE_INSTANCES),
      largeConcurrent: large.slice(1 + LARGE_INSTANCES),
    };

    // Servers, one at a time
    const columns: { name: string; results: Results; studiesAtQido: number }[] = [];
    const notes: string[] = [];
    let orthanc: (SuiteResult & { description: string }) | undefined;
    if (targets.includes('orthanc')) {
      orthanc = await onOrthanc(data);
      notes.push(...orthanc.notes.map((n) => `Orthanc: ${n}`));
    }
    for (const driver of drivers) {
      const result = await onPasserelle(driver, data);
      columns.push({ name: `Passerelle ${driver}`, results: result.results, studiesAtQido: result.studiesAtQido });
      notes.push(...result.notes.map((n) => `Passerelle ${driver}: ${n}`));
    }

    // Report
    const largeBytes = (large[0] as Instance).bytes;
    console.log(`\nPasserelle DICOMweb bench against Orthanc: node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}`);
    console.log(`Passerelle: ${drivers.length === 0 ? 'not run' : drivers.map((d) => (d === 'postgres' && process.env.DATABASE_URL ? `postgres (${describeDatabaseUrl(process.env.DATABASE_URL)})` : d)).join(', ')}`);
    if (orthanc) console.log(`Orthanc: ${orthanc.description}`);
    console.log(`data: small CT ${(small[0] as SmallStudy).bytes} bytes, 1 instance/study, ${STUDIES} per STOW phase; large multi-frame ${(largeBytes / MB).toFixed(1)} MB `
      + `(${LARGE_FRAMES} frames of ${LARGE_SIDE}x${LARGE_SIDE}x16 bits, Explicit VR LE), ${LARGE_INSTANCES} per STOW phase; concurrency ${CONCURRENCY}; `
      + `${QUERIES} queries per QIDO kind; time cap ${MAX_PHASE_SECONDS} s per phase`);
    const atQido = [...columns.map((c) => `${c.name} ${c.studiesAtQido}`), ...(orthanc ? [`Orthanc ${orthanc.studiesAtQido}`] : [])];
    console.log(`studies stored at QIDO time: ${atQido.join(', ')}\n`);
    const { met, missed } = printTable(columns, orthanc?.results);
    if (orthanc && columns.length > 0) {
      console.log('ratio: Passerelle/Orthanc for rates, Orthanc/Passerelle for latencies (ms), so above 1x means Passerelle is ahead.');
      console.log('QIDO values go unencoded (`^`, `*`): Orthanc 1.10 does not percent-decode them (`PatientName=GARCIA%5EALI*`, as dicomweb-client sends it, matches nothing there).');
      console.log(`Targets: ${met} of ${met + missed.length} met (ahead of Orthanc on every figure, at least 2x on QIDO and /metadata)`);
      for (const m of missed) console.log(`  missed: ${m}`);
    }
    if (notes.length > 0) console.log('\nNotes:');
    for (const n of notes) console.log(`  ${n}`);
    console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const failed = [...columns.map((c) => c.results), ...(orthanc ? [orthanc.results] : [])].some((r) => [...r.values()].some((c) => c.failure !== undefined));
    if (failed) {
      console.log('FAILED: some requests were not answered as expected (see the notes)');
      process.exitCode = 1;
    }
  } finally {
    await removeDir();
  }
}

await main();
