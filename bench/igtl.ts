/**
 * `npm run bench:igtl`: the OpenIGTLink bridge under an operating room's load, against `passerelle
 * serve` on each storage driver (PGlite always; PostgreSQL when DATABASE_URL is set).
 *
 * One OR of the demo region; 20 tools, each its own connection sending TRANSFORM at 60 Hz, and
 * one ultrasound stream sending 512x512 8-bit IMAGE at 15 Hz, for BENCH_SECONDS (default 20),
 * paced by the clock (a late tick sends what is due, so the offered rate holds). A subscriber on
 * `/events?location=<the room>` receives every pose and frame; latency is from the moment the
 * message was written to the client socket to its arrival on that WebSocket. Reported: messages/s
 * offered and delivered live, p50/p95/p99/max latency (poses and frames apart), the server's CPU
 * (user + system time of its process over the run, in % of one core), and the record at the end:
 * tool-tracking Observations (1 Hz per tool, the default) and DICOM instances stored (1 a second:
 * IGTL_IMAGE_INTERVAL_MS=1000, ten times the default, so that the store is under load too).
 * "Sustained without backlog" means every message delivered and the last within a second of the end.
 *
 * Environment: DATABASE_URL, BENCH_DRIVERS, BENCH_SECONDS, BENCH_TOOLS (20), BENCH_TOOL_HZ (60),
 * BENCH_IMAGE_HZ (15), BENCH_IMAGE_SIZE (512).
 * The load generator, the server and PostgreSQL share this machine's cores: the numbers are a floor.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { Bundle, Observation } from '@medplum/fhirtypes';
import { ProfileRegistry, Repository } from '../fhir/index.ts';
import { encodeMessage, timestampFromMillis, type IgtlContent } from '../igtlink/index.ts';
import { bedAvailabilityRule, demoRegion, hospitalResources, loadProfiles } from '../profiles/index.ts';
import { benchDatabase, describeDatabaseUrl, freeLoopbackPort, percentile, positiveNumber, selectedDrivers, startServer, type BenchDatabase, type Driver } from './support.ts';

const SECONDS = positiveNumber('BENCH_SECONDS', 20);
const TOOLS = Math.round(positiveNumber('BENCH_TOOLS', 20));
const TOOL_HZ = positiveNumber('BENCH_TOOL_HZ', 60);
const IMAGE_HZ = positiveNumber('BENCH_IMAGE_HZ', 15);
const IMAGE_SIZE = Math.round(positiveNumber('BENCH_IMAGE_SIZE', 512));
const TARGET_P99_MS = 20;
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS_PER_SECOND = 100;

interface Result {
  driver: Driver;
  offered: number;
  delivered: number;
  pose: Float64Array;
  frame: Float64Array;
  cpuPercent: number;
  lastAfterEndMs: number;
  persistedPoses: number;
  storedImages: number;
}

async function loadRoom(database: BenchDatabase): Promise<string> {
  const db = await database.open();
  try {
    const [hospital] = demoRegion({ hospitals: 1, seed: 7 }).hospitals;
    if (!hospital) throw new Error('the demo region has no hospital');
    const repo = new Repository(db, new ProfileRegistry(loadProfiles()), { hooks: [bedAvailabilityRule] });
    await repo.transaction(async (tx) => {
      for (const resource of hospitalResources(hospital)) await tx.update(resource);
    });
    return hospital.operatingRooms[0]?.id as string;
  } finally {
    await db.close();
  }
}

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

async function connect(port: number): Promise<net.Socket> {
  for (let attempt = 0; ; attempt++) {
    try {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.setNoDelay(true);
      return socket;
    } catch (err) {
      if (attempt > 100) throw err;
      await sleep(50);
    }
  }
}

async function run(driver: Driver): Promise<Result> {
  const database = await benchDatabase(driver);
  const room = await loadRoom(database);
  const igtlPort = await freeLoopbackPort();
  let igtlListening: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (igtlListening = resolve));
  const server = await startServer(database, {
    // One image a second kept as DICOM: ten times the default, to load the store as well.
    env: { IGTL_PORT: String(igtlPort), IGTL_ROOM_MAP: `name:BENCH=${room}`, IGTL_IMAGE_INTERVAL_MS: '1000' },
    // The OpenIGTLink listener starts after the /events stream: once it listens, both are up.
    onLog: (entry) => entry.msg === 'OpenIGTLink listening' && igtlListening(),
  });
  const listeningAt = Date.now();
  try {
    await ready;
    const sentAt = new Map<string, number>();
    const pose: number[] = [];
    const frame: number[] = [];
    let delivered = 0;
    let lastArrival = 0;
    const subscriber = new WebSocket(`ws://127.0.0.1:${server.port}/events?location=Location/${room}`);
    subscriber.on('message', (data) => {
      const arrived = performance.now();
      const message = JSON.parse(String(data)) as { event: string; tool?: string; deviceTime?: string; resource?: Observation };
      let key: string | undefined;
      if (message.event === 'pose') key = `${message.tool}|${message.resource?.component?.[0]?.valueQuantity?.value}`;
      else if (message.event === 'frame') key = `image|${message.deviceTime}`;
      const sent = key === undefined ? undefined : sentAt.get(key);
      if (sent === undefined) return;
      sentAt.delete(key as string);
      (message.event === 'pose' ? pose : frame).push(arrived - sent);
      delivered++;
      lastArrival = arrived;
    });
    await new Promise<void>((resolve, reject) => subscriber.once('open', resolve).once('error', reject));

    const tools = await Promise.all(Array.from({ length: TOOLS }, () => connect(igtlPort)));
    const imageSocket = await connect(igtlPort);
    const pixels = Buffer.alloc(IMAGE_SIZE * IMAGE_SIZE);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) & 0xff;
    const imageContent = (): IgtlContent => ({
      type: 'IMAGE', components: 1, scalarType: 3, endian: 'little', coordinate: 'RAS', size: [IMAGE_SIZE, IMAGE_SIZE, 1],
      matrix: [0.2, 0, 0, 0, 0.2, 0, 0, 0, 1, 0, 0, 0], subvolumeOffset: [0, 0, 0], subvolumeSize: [IMAGE_SIZE, IMAGE_SIZE, 1], pixels,
    });

    // Warm-up, not measured: each device's first message creates its Device record.
    for (const [t, socket] of tools.entries()) {
      socket.write(encodeMessage({ version: 2, deviceName: `BENCH-Tool-${String(t).padStart(2, '0')}`, timestamp: timestampFromMillis(Date.now() - 60_000), content: { type: 'TRANSFORM', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0] } }));
    }
    imageSocket.write(encodeMessage({ version: 2, deviceName: 'BENCH-Echo', timestamp: timestampFromMillis(Date.now() - 60_000), content: imageContent() }));
    // PGlite refreshes its planner statistics 5 s after opening (then every 5 minutes), a stall of
    // the server's thread of some 300 ms that a 20 s run would count 15 times over its weight.
    await sleep(Math.max(2000, listeningAt + 6000 - Date.now()));

    const toolSent = new Array<number>(TOOLS).fill(0);
    let imagesSent = 0;
    const wallStart = Date.now();
    const start = performance.now();
    const cpuStart = cpuSeconds(server.pid);
    const end = start + SECONDS * 1000;
    while (performance.now() < end) {
      const elapsed = (performance.now() - start) / 1000;
      for (let t = 0; t < TOOLS; t++) {
        const due = Math.floor(elapsed * TOOL_HZ) + 1;
        while ((toolSent[t] as number) < due) {
          const seq = (toolSent[t] as number) + 1;
          toolSent[t] = seq;
          const tool = `BENCH-Tool-${String(t).padStart(2, '0')}`;
          const bytes = encodeMessage({
            version: 2, deviceName: tool, timestamp: timestampFromMillis(wallStart + (seq * 1000) / TOOL_HZ),
            // The sequence number rides in the x translation, to match the pose that comes back.
            content: { type: 'TRANSFORM', matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1, seq, 20, 30] },
          });
          (tools[t] as net.Socket).write(bytes);
          sentAt.set(`${tool}|${seq}`, performance.now());
        }
      }
      const imagesDue = Math.floor(elapsed * IMAGE_HZ) + 1;
      while (imagesSent < imagesDue) {
        imagesSent++;
        const deviceTime = wallStart + Math.round((imagesSent * 1000) / IMAGE_HZ);
        imageSocket.write(encodeMessage({ version: 2, deviceName: 'BENCH-Echo', timestamp: timestampFromMillis(deviceTime), content: imageContent() }));
        sentAt.set(`image|${new Date(deviceTime).toISOString()}`, performance.now());
      }
      await sleep(2);
    }
    const offered = toolSent.reduce((a, b) => a + b, 0) + imagesSent;
    const cpuPercent = ((cpuSeconds(server.pid) - cpuStart) / ((performance.now() - start) / 1000)) * 100;
    const drainUntil = performance.now() + 10_000;
    while (delivered < offered && performance.now() < drainUntil) await sleep(10);
    const lastAfterEndMs = Math.max(0, lastArrival - end);
    for (const socket of [...tools, imageSocket]) socket.end();
    subscriber.close();
    await sleep(1500); // the last persisted pose and image reach the database

    const total = async (query: string): Promise<number> => {
      const response = await server.client.send('GET', `/fhir/${query}&_summary=count`);
      return (JSON.parse(response.body) as Bundle).total ?? 0;
    };
    const qido = await server.client.send('GET', '/dicomweb/instances?Modality=US&limit=100000', undefined, { accept: 'application/dicom+json' });
    const storedImages = qido.status === 200 ? (JSON.parse(qido.body) as unknown[]).length : 0;
    return {
      driver, offered, delivered, cpuPercent, lastAfterEndMs, storedImages,
      pose: Float64Array.from(pose).sort(), frame: Float64Array.from(frame).sort(),
      persistedPoses: await total('Observation?code=tool-pose'),
    };
  } finally {
    await server.stop();
    await database.cleanup();
  }
}

function report(r: Result): void {
  const ms = (values: Float64Array, p: number): string => (values.length ? `${percentile(values, p).toFixed(1)} ms` : '-');
  const name = r.driver === 'postgres' ? 'PostgreSQL' : 'PGlite';
  console.log(`\n${name}: ${TOOLS} tools × ${TOOL_HZ} Hz TRANSFORM + ${IMAGE_SIZE}×${IMAGE_SIZE} IMAGE × ${IMAGE_HZ} Hz, ${SECONDS} s`);
  console.log(`  offered   ${r.offered} messages, ${(r.offered / SECONDS).toFixed(0)}/s (${((IMAGE_SIZE * IMAGE_SIZE * IMAGE_HZ) / 1e6).toFixed(1)} MB/s of pixels)`);
  console.log(`  delivered ${r.delivered} on /events (${r.offered === r.delivered ? 'all' : `${r.offered - r.delivered} missing`}), the last ${r.lastAfterEndMs.toFixed(0)} ms after the end`);
  console.log(`  | stream | n | p50 | p95 | p99 | max |`);
  console.log(`  | pose  | ${r.pose.length} | ${ms(r.pose, 50)} | ${ms(r.pose, 95)} | ${ms(r.pose, 99)} | ${ms(r.pose, 100)} |`);
  console.log(`  | frame | ${r.frame.length} | ${ms(r.frame, 50)} | ${ms(r.frame, 95)} | ${ms(r.frame, 99)} | ${ms(r.frame, 100)} |`);
  console.log(`  server CPU ${r.cpuPercent.toFixed(0)}% of one core; recorded ${r.persistedPoses} tool poses (about ${TOOLS * (SECONDS + 1)} with the warm-up's) and ${r.storedImages} DICOM images (about ${SECONDS + 1})`);
  const backlog = r.delivered < r.offered || r.lastAfterEndMs > 1000;
  const p99 = r.pose.length ? percentile(r.pose, 99) : Infinity;
  console.log(`  target: sustained without backlog ${backlog ? 'MISSED' : 'met'}, pose p99 < ${TARGET_P99_MS} ms ${p99 < TARGET_P99_MS ? 'met' : 'MISSED'}`);
}

if (process.env.DATABASE_URL) console.log(`PostgreSQL: ${describeDatabaseUrl(process.env.DATABASE_URL)}`);
for (const driver of selectedDrivers()) report(await run(driver));
