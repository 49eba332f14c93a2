/**
 * `npm run bench:events`: the change feed and the AMQP bridge, end to end against `passerelle
 * serve` and the real RabbitMQ.
 *
 * For each storage driver (PGlite always; PostgreSQL when DATABASE_URL is set) it starts the
 * server with AMQP_URL (an exchange and inbound queues of its own, deleted afterwards) and
 * measures:
 *   - notification latency at a steady offered rate (default 500 changes/s): Device updates over
 *     FHIR REST (transaction Bundles of BENCH_CHANGES_PER_WRITE), from the write's response (sent
 *     right after its commit) to each version's arrival on an `/events` WebSocket and on an AMQP
 *     queue bound to the exchange (a message reaches a consumer once the broker has routed it,
 *     which is when it confirms it);
 *   - inbound FHIR: Observations published one per message on the FHIR queue, then transaction
 *     Bundles of 100, until every reply (reply_to, correlation id) is back: resources/s applied;
 *   - inbound HL7 v2: ADT^A28 (add person) messages on the HL7 queue: messages/s acknowledged AA.
 * Every notification must arrive and every reply must say applied; the counts are checked by FHIR
 * search at the end.
 *
 * Environment:
 *   DATABASE_URL        PostgreSQL to bench as well (schema bench_<random>, dropped after)
 *   AMQP_BENCH_URL      the broker (default amqp://guest:guest@127.0.0.1:5672)
 *   BENCH_DRIVERS       comma-separated subset of pglite,postgres (default: all available)
 *   BENCH_PHASES        comma-separated subset of latency,fhir,bundles,hl7 (default: all)
 *   BENCH_RATE, BENCH_RATE_SECONDS   offered changes/s and duration of the latency phase (default 500, 10)
 *   BENCH_CHANGES_PER_WRITE  changes per write then (default 10: transaction Bundles of 10 Device updates,
 *                       as feeds write; 1: a PUT each, which on 2 cores saturates the write path itself)
 *   BENCH_FHIR_MESSAGES, BENCH_BUNDLES, BENCH_HL7_MESSAGES   inbound volumes (default 6000, 60, 2000)
 *
 * Load generator, server, PostgreSQL and RabbitMQ share this machine's cores: the numbers are a floor.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import WebSocket from 'ws';
import type { Bundle, Device, Observation } from '@medplum/fhirtypes';
import { benchDatabase, describeDatabaseUrl, listFromEnv, percentile, positiveNumber, selectedDrivers, type Driver, type RunningServer, startServer } from './support.ts';

const AMQP_URL = process.env.AMQP_BENCH_URL || 'amqp://guest:guest@127.0.0.1:5672';
const RATE = positiveNumber('BENCH_RATE', 500);
const RATE_SECONDS = positiveNumber('BENCH_RATE_SECONDS', 10);
const FHIR_MESSAGES = Math.round(positiveNumber('BENCH_FHIR_MESSAGES', 6000));
const BUNDLES = Math.round(positiveNumber('BENCH_BUNDLES', 60));
const BUNDLE_SIZE = 100;
const HL7_MESSAGES = Math.round(positiveNumber('BENCH_HL7_MESSAGES', 2000));
const DEVICES = 200;
/** Changes per write in the latency phase: 1 is a PUT each, more a transaction Bundle of that many PUTs. */
const CHANGES_PER_WRITE = Math.round(positiveNumber('BENCH_CHANGES_PER_WRITE', 10));
const DELIVERY_TIMEOUT_MS = 60_000;
const TARGETS = { inboundFhirPerSecond: 2000, notificationP99Ms: 100 };
const PHASES = ['latency', 'fhir', 'bundles', 'hl7'] as const;
const selectedPhases = new Set(listFromEnv('BENCH_PHASES', PHASES) ?? PHASES);

interface Names {
  exchange: string;
  fhirQueue: string;
  hl7Queue: string;
}

// ---------------------------------------------------------------------------------------------
// Latency: commit -> /events and commit -> AMQP

interface Latencies {
  /** The PUTs themselves, request to response. */
  write: Float64Array;
  websocket: Float64Array;
  amqp: Float64Array;
  sent: number;
  lost: { websocket: number; amqp: number };
  achievedRate: number;
}

/** Records arrival latencies of `<id>/<version>` keys against when their write was acknowledged. */
class Arrivals {
  readonly written = new Map<string, number>();
  readonly arrived = new Map<string, number>();
  /** Arrivals seen before the write's response told us its lastUpdated. */
  readonly early = new Map<string, number>();

  wrote(key: string, committedAt: number): void {
    this.written.set(key, committedAt);
    const early = this.early.get(key);
    if (early !== undefined) {
      this.early.delete(key);
      this.arrived.set(key, Math.max(0, early - committedAt));
    }
  }

  arrive(key: string): void {
    if (this.arrived.has(key)) return; // at least once: a duplicate does not count twice
    const now = Date.now();
    const written = this.written.get(key);
    if (written === undefined) this.early.set(key, now);
    else this.arrived.set(key, now - written);
  }

  sorted(): Float64Array {
    return Float64Array.from(this.arrived.values()).sort();
  }
}

async function measureLatency(server: RunningServer, channel: Channel, names: Names): Promise<Latencies> {
  const ws = new Arrivals();
  const broker = new Arrivals();
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}/events?type=Device`);
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { event: string; id?: string; versionId?: string };
    if (message.event === 'change') ws.arrive(`${message.id}/${message.versionId}`);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve()); // the `open` message: the stream is live
    socket.once('error', reject);
  });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, names.exchange, 'fhir.Device.*');
  await channel.consume(queue, (message) => {
    if (!message) return;
    const headers = message.properties.headers ?? {};
    broker.arrive(`${String(headers.id)}/${String(headers.versionId)}`);
  }, { noAck: true });

  // Every device exists before timing starts: the phase measures updates.
  for (let i = 0; i < DEVICES; i += 1) await server.client.send('PUT', `/fhir/Device/bench-${i}`, device(i, 0));
  await sleep(500);
  ws.written.clear();
  broker.written.clear();
  ws.arrived.clear();
  broker.arrived.clear();

  const total = Math.round(RATE * RATE_SECONDS / CHANGES_PER_WRITE) * CHANGES_PER_WRITE;
  const interval = (1000 * CHANGES_PER_WRITE) / RATE;
  const started = performance.now();
  const writes: Promise<void>[] = [];
  const writeMs: number[] = [];
  for (let w = 0; w < total / CHANGES_PER_WRITE; w += 1) {
    const due = started + w * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const devices = Array.from({ length: CHANGES_PER_WRITE }, (_, k) => device((w * CHANGES_PER_WRITE + k) % DEVICES, w + 1));
    writes.push((async () => {
      const sent = performance.now();
      const written = await writeDevices(server, devices);
      // The response comes right after the commit: from here is the feed's own delay (a
      // notification that beats the response counts as 0).
      const committed = Date.now();
      writeMs.push(performance.now() - sent);
      for (const resource of written) {
        const key = `${resource.id}/${resource.meta?.versionId}`;
        ws.wrote(key, committed);
        broker.wrote(key, committed);
      }
    })());
  }
  await Promise.all(writes);
  const achievedRate = total / ((performance.now() - started) / 1000);
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while ((ws.arrived.size < total || broker.arrived.size < total) && Date.now() < deadline) await sleep(50);
  socket.close();
  return {
    write: Float64Array.from(writeMs).sort(),
    websocket: ws.sorted(),
    amqp: broker.sorted(),
    sent: total,
    lost: { websocket: total - ws.arrived.size, amqp: total - broker.arrived.size },
    achievedRate,
  };
}

/** One PUT, or a transaction Bundle of PUTs: the versions written. */
async function writeDevices(server: RunningServer, devices: Device[]): Promise<Device[]> {
  if (devices.length === 1) {
    const only = devices[0] as Device;
    const result = await server.client.send('PUT', `/fhir/Device/${only.id}`, only);
    if (result.status !== 200) throw new Error(`PUT Device answered ${result.status}: ${result.body.slice(0, 200)}`);
    return [JSON.parse(result.body) as Device];
  }
  const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: devices.map((d) => ({ resource: d, request: { method: 'PUT' as const, url: `Device/${d.id}` } })) };
  const result = await server.client.send('POST', '/fhir', bundle);
  if (result.status !== 200) throw new Error(`the transaction answered ${result.status}: ${result.body.slice(0, 200)}`);
  return ((JSON.parse(result.body) as Bundle).entry ?? []).map((e) => e.resource as Device);
}

function device(i: number, round: number): Device {
  return {
    resourceType: 'Device',
    id: `bench-${i}`,
    status: round % 2 === 0 ? 'active' : 'inactive',
    deviceName: [{ name: `Pousse-seringue ${i}`, type: 'user-friendly-name' }],
    location: { reference: `Location/or-${i % 10}` },
    note: [{ text: `round ${round}` }],
  };
}

// ---------------------------------------------------------------------------------------------
// Inbound: publish, then wait for every reply

interface Inbound {
  messages: number;
  resources: number;
  seconds: number;
  failed: number;
  replyMs: Float64Array;
}

async function publishAndAwaitReplies(
  channel: Channel, queue: string, bodies: Buffer[], resourcesPerMessage: number, contentType: string, applied: (reply: ConsumeMessage) => boolean,
): Promise<Inbound> {
  const { queue: replyQueue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  const sentAt = new Float64Array(bodies.length);
  const replyMs: number[] = [];
  let replies = 0;
  let failed = 0;
  const seen = new Set<number>();
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const { consumerTag } = await channel.consume(replyQueue, (reply) => {
    if (!reply) return;
    const index = Number(reply.properties.correlationId);
    if (seen.has(index)) return; // a redelivery's second reply
    seen.add(index);
    replies += 1;
    replyMs.push(performance.now() - (sentAt[index] ?? 0));
    if (!applied(reply)) failed += 1;
    if (replies === bodies.length) done();
  }, { noAck: true });
  const started = performance.now();
  for (const [index, body] of bodies.entries()) {
    sentAt[index] = performance.now();
    const ok = channel.sendToQueue(queue, body, { persistent: true, contentType, replyTo: replyQueue, correlationId: String(index) });
    if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
  }
  const giveUp = new AbortController();
  const timeout = sleep(DELIVERY_TIMEOUT_MS * 3, undefined, { signal: giveUp.signal }).then(() => {
    throw new Error(`only ${replies} of ${bodies.length} replies on ${queue}`);
  });
  timeout.catch(() => undefined);
  await Promise.race([finished, timeout]);
  giveUp.abort(); // or its timer keeps the process alive
  const seconds = (performance.now() - started) / 1000;
  await channel.cancel(consumerTag);
  return { messages: bodies.length, resources: bodies.length * resourcesPerMessage, seconds, failed, replyMs: Float64Array.from(replyMs).sort() };
}

const runId = randomBytes(3).toString('hex');

function observation(i: number): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/bench-${i % 500}` },
    effectiveDateTime: new Date(Date.UTC(2026, 11, 2, 8, 0, i % 3600)).toISOString(),
    valueQuantity: { value: 60 + (i % 60), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

function transaction(b: number): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: BUNDLE_SIZE }, (_, i) => ({ resource: observation(b * BUNDLE_SIZE + i), request: { method: 'POST' as const, url: 'Observation' } })),
  };
}

/** An ADT^A28 (add person information) for patient `i`: one Patient, its own transaction. */
function adtA28(i: number): string {
  const stamp = '20261202100000';
  return [
    `MSH|^~\\&|BENCH|CHU-BENCH|PASSERELLE|CHU-BENCH|${stamp}||ADT^A28^ADT_A05|B${runId}${i}|P|2.5||||||8859/1`,
    `EVN|A28|${stamp}`,
    `PID|1||IPP${runId}${i}^^^CHU-BENCH&1.2.250.1.71.4.2.7&ISO^PI||Lefèvre^Amélie^^^Mme||19${String(50 + (i % 50))}0101|F|||12 rue des Lilas^^Lyon^^69003^FRA`,
    'PV1|1|N',
  ].join('\r');
}

// ---------------------------------------------------------------------------------------------
// Driver run and report

interface DriverResult {
  driver: Driver;
  latency?: Latencies;
  fhir?: Inbound;
  bundles?: Inbound;
  hl7?: Inbound;
}

async function runDriver(driver: Driver, connection: ChannelModel): Promise<DriverResult> {
  const names: Names = { exchange: `bench.${runId}.${driver}.events`, fhirQueue: `bench.${runId}.${driver}.fhir`, hl7Queue: `bench.${runId}.${driver}.hl7v2` };
  const database = await benchDatabase(driver);
  const channel = await connection.createChannel();
  let server: RunningServer | undefined;
  try {
    server = await startServer(database, {
      env: { AMQP_URL, AMQP_EXCHANGE: names.exchange, AMQP_INBOUND_FHIR_QUEUE: names.fhirQueue, AMQP_INBOUND_HL7_QUEUE: names.hl7Queue, MLLP_PORT: '0', ...(process.env.AMQP_PREFETCH ? { AMQP_PREFETCH: process.env.AMQP_PREFETCH } : {}) },
    });
    await channel.assertExchange(names.exchange, 'topic', { durable: true });
    await waitForQueues(connection, [names.fhirQueue, names.hl7Queue]);
    const result: DriverResult = { driver };
    if (selectedPhases.has('latency')) {
      process.stdout.write(`  ${driver}: latency at ${RATE}/s for ${RATE_SECONDS} s ...\n`);
      result.latency = await measureLatency(server, channel, names);
    }
    if (selectedPhases.has('fhir')) {
      process.stdout.write(`  ${driver}: ${FHIR_MESSAGES} inbound FHIR messages ...\n`);
      const applied = (reply: ConsumeMessage): boolean => (JSON.parse(reply.content.toString('utf8')) as { resourceType?: string }).resourceType === 'Observation';
      result.fhir = await publishAndAwaitReplies(channel, names.fhirQueue, Array.from({ length: FHIR_MESSAGES }, (_, i) => Buffer.from(JSON.stringify(observation(i)))), 1, 'application/fhir+json', applied);
    }
    if (selectedPhases.has('bundles')) {
      process.stdout.write(`  ${driver}: ${BUNDLES} transaction Bundles of ${BUNDLE_SIZE} ...\n`);
      const applied = (reply: ConsumeMessage): boolean => (JSON.parse(reply.content.toString('utf8')) as Bundle).type === 'transaction-response';
      result.bundles = await publishAndAwaitReplies(channel, names.fhirQueue, Array.from({ length: BUNDLES }, (_, b) => Buffer.from(JSON.stringify(transaction(b)))), BUNDLE_SIZE, 'application/fhir+json', applied);
    }
    if (selectedPhases.has('hl7')) {
      process.stdout.write(`  ${driver}: ${HL7_MESSAGES} inbound HL7 v2 messages ...\n`);
      const applied = (reply: ConsumeMessage): boolean => /\rMSA\|AA\|/.test(reply.content.toString('latin1'));
      result.hl7 = await publishAndAwaitReplies(channel, names.hl7Queue, Array.from({ length: HL7_MESSAGES }, (_, i) => Buffer.from(adtA28(i), 'latin1')), 1, 'x-application/hl7-v2+er7', applied);
    }
    await checkCounts(server, (result.fhir ? FHIR_MESSAGES : 0) + (result.bundles ? BUNDLES * BUNDLE_SIZE : 0), result.hl7 ? HL7_MESSAGES : 0);
    return result;
  } finally {
    await server?.stop();
    for (const queue of [names.fhirQueue, `${names.fhirQueue}.dead`, names.hl7Queue, `${names.hl7Queue}.dead`]) await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteExchange(names.exchange).catch(() => undefined);
    await channel.close().catch(() => undefined);
    await database.cleanup();
  }
}

/** Waits until the server has declared its inbound queues (a message sent before would be dropped). */
async function waitForQueues(connection: ChannelModel, queues: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const queue of queues) {
    for (;;) {
      // checkQueue closes its channel when the queue is missing: one channel per try.
      const probe = await connection.createChannel();
      probe.on('error', () => undefined);
      const found = await probe.checkQueue(queue).then(() => true, () => false);
      if (found) {
        await probe.close();
        break;
      }
      if (Date.now() > deadline) throw new Error(`the server did not declare ${queue}`);
      await sleep(100);
    }
  }
}

async function checkCounts(server: RunningServer, observations: number, patients: number): Promise<void> {
  const count = async (query: string): Promise<number> => {
    const result = await server.client.send('GET', `/fhir/${query}&_summary=count`);
    return (JSON.parse(result.body) as Bundle).total ?? -1;
  };
  const stored = await count('Observation?code=http://loinc.org|8867-4');
  if (stored !== observations) throw new Error(`${stored} Observations stored, ${observations} sent`);
  const people = await count('Patient?identifier=urn:oid:1.2.250.1.71.4.2.7|');
  if (people < patients) throw new Error(`${people} Patients stored, ${patients} sent`);
}

const ms = (sorted: Float64Array, p: number): string => (sorted.length ? percentile(sorted, p).toFixed(1) : '-');
const pad = (text: string, width: number): string => text.padEnd(width);

function report(results: DriverResult[]): void {
  process.stdout.write(`\nbench:events — ${cpus().length} CPUs, node ${process.version}, offered ${RATE} changes/s for ${RATE_SECONDS} s\n\n`);
  process.stdout.write(`${pad('driver', 10)}${pad('path', 34)}${pad('count', 9)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('max ms', 9)}lost\n`);
  for (const r of results) {
    const { latency } = r;
    if (!latency) continue;
    const row = (name: string, sorted: Float64Array, lost: number | string): string =>
      `${pad(r.driver, 10)}${pad(name, 34)}${pad(String(sorted.length), 9)}${pad(ms(sorted, 50), 9)}${pad(ms(sorted, 99), 9)}${pad(ms(sorted, 100), 9)}${lost}\n`;
    process.stdout.write(row(`writes of ${CHANGES_PER_WRITE} (at ${latency.achievedRate.toFixed(0)} changes/s)`, latency.write, '-'));
    process.stdout.write(row('commit -> /events', latency.websocket, latency.lost.websocket));
    process.stdout.write(row('commit -> AMQP consumer', latency.amqp, latency.lost.amqp));
  }
  process.stdout.write(`\n${pad('driver', 10)}${pad('inbound', 34)}${pad('messages', 10)}${pad('resources/s', 13)}${pad('messages/s', 12)}${pad('reply p50/p99 ms', 18)}failed\n`);
  for (const r of results) {
    for (const [name, inbound] of [['FHIR, one resource per message', r.fhir], [`FHIR, transaction Bundles of ${BUNDLE_SIZE}`, r.bundles], ['HL7 v2 ADT^A28', r.hl7]] as const) {
      if (!inbound) continue;
      process.stdout.write(`${pad(r.driver, 10)}${pad(name, 34)}${pad(String(inbound.messages), 10)}${pad((inbound.resources / inbound.seconds).toFixed(0), 13)}${pad((inbound.messages / inbound.seconds).toFixed(0), 12)}${pad(`${ms(inbound.replyMs, 50)}/${ms(inbound.replyMs, 99)}`, 18)}${inbound.failed}\n`);
    }
  }
  process.stdout.write(`\ntargets: >= ${TARGETS.inboundFhirPerSecond} inbound FHIR resources/s; notification p99 < ${TARGETS.notificationP99Ms} ms at ${RATE} changes/s\n`);
  const failures = results.flatMap((r) => [r.latency?.lost.websocket, r.latency?.lost.amqp, r.fhir?.failed, r.bundles?.failed, r.hl7?.failed]).filter((n) => (n ?? 0) > 0);
  if (failures.length > 0) {
    process.stdout.write('FAILED: notifications lost or messages not applied (see the table)\n');
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  const drivers = selectedDrivers();
  if (process.env.DATABASE_URL) process.stdout.write(`PostgreSQL: ${describeDatabaseUrl(process.env.DATABASE_URL)}\n`);
  const connection = await amqp.connect(AMQP_URL).catch((err: unknown) => {
    throw new Error(`RabbitMQ is not reachable at ${AMQP_URL.replace(/\/\/[^@]*@/, '//')}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const results: DriverResult[] = [];
  try {
    for (const driver of drivers) results.push(await runDriver(driver, connection));
  } finally {
    await connection.close();
  }
  report(results);
}

await main();
