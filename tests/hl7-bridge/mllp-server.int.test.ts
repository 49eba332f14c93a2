/**
 * The MLLP server over real TCP (and TLS) on 127.0.0.1: ordering on a pipelining connection,
 * independence of connections, a 100 MB message, garbage, idle timeout, handler failure,
 * graceful close, the connection limit, and client certificates.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { pino } from 'pino';
import { CR, FS, frame, VT } from '../../hl7-bridge/mllp/framer.ts';
import { connectMllp, type MllpClient, type MllpClientOptions } from '../../hl7-bridge/mllp/client.ts';
import { startMllpServer, type MllpHandler, type MllpPeer, type MllpServer, type MllpServerOptions } from '../../hl7-bridge/mllp/server.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const HOST = '127.0.0.1';
const PATIENT = 'DUPONT^MARIE';

/** Every log line of every server in this file, to check that no message content is ever logged. */
const logs: Array<Record<string, any>> = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
/** The log lines with this message, written since `mark` (a `logs.length` taken at the start of a test). */
const logged = (msg: string, mark = 0): Array<Record<string, any>> => logs.slice(mark).filter((line) => line.msg === msg);

/** A small ADT^A08 with its control id, naming a patient (who must never appear in the logs). */
const message = (id: string, extra = ''): Buffer =>
  Buffer.from(`MSH|^~\\&|EHR|HOSP|PASSERELLE|HOSP|20240101120000||ADT^A08|${id}|P|2.5\rPID|||4711^^^HOSP^MR||${PATIENT}${extra}\r`);
const controlId = (payload: Buffer): string => payload.toString('latin1').split('|')[9] ?? '';
/** The test handler's ACK: the control id it acknowledges. */
const ackFor = (id: string): Buffer => Buffer.from(`ACK:${id}`);

/** Resolves with the promise, or fails the test with `what` after `ms` (a guard against hanging, not a speed check). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (not within ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} (not within ${ms} ms)`);
    await sleep(10);
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A test handler: acknowledges with `ACK:<control id>`; `delayMs(payload)` makes it slow,
 * `fail(payload)` makes it reject; records the peers, the order and the concurrency.
 */
function testHandler(options: { delayMs?: (payload: Buffer) => number; wait?: (payload: Buffer) => Promise<void>; fail?: (payload: Buffer) => boolean; oversize?: MllpHandler['oversize'] } = {}) {
  const state = { peers: [] as MllpPeer[], handled: [] as string[], active: 0, maxActive: 0, oversize: [] as Array<{ head: Buffer; size: number }> };
  const handler: MllpHandler = {
    async handle(payload, peer) {
      state.active++;
      state.maxActive = Math.max(state.maxActive, state.active);
      state.peers.push(peer);
      try {
        const delay = options.delayMs?.(payload) ?? 0;
        if (delay > 0) await sleep(delay);
        await options.wait?.(payload);
        if (options.fail?.(payload)) throw new Error(`cannot map ${PATIENT}`);
        state.handled.push(controlId(payload));
        return ackFor(controlId(payload));
      } finally {
        state.active--;
      }
    },
    oversize(head, size, peer) {
      state.oversize.push({ head: Buffer.from(head), size });
      return options.oversize ? options.oversize(head, size, peer) : Buffer.from(`NAK:${size}`);
    },
  };
  return { handler, state };
}

const servers: MllpServer[] = [];
const clients: MllpClient[] = [];

async function start(handler: MllpHandler, options: Partial<MllpServerOptions> = {}): Promise<MllpServer> {
  const server = await startMllpServer({ host: HOST, port: 0, maxMessageBytes: 1 * MiB, idleTimeoutMs: 30_000, handler, logger, ...options });
  servers.push(server);
  return server;
}

async function connect(server: MllpServer, options: Partial<MllpClientOptions> = {}): Promise<MllpClient> {
  const client = await connectMllp({ host: HOST, port: server.port, ...options });
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close(200)));
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

describe('MLLP server', () => {
  it('acknowledges pipelined messages in order, handling one at a time', async () => {
    // Earlier messages are slower, so concurrent handling would answer out of order; the first
    // one is held until the others have arrived, in chunks of their own.
    const count = 30;
    const firstStarted = deferred();
    const release = deferred();
    const { handler, state } = testHandler({
      delayMs: (payload) => count - Number(controlId(payload).slice(3)),
      wait: (payload) => (controlId(payload) === 'MSG0' ? (firstStarted.resolve(), release.promise) : Promise.resolve()),
    });
    const client = await connect(await start(handler));
    const ids = Array.from({ length: count }, (_, i) => `MSG${i}`);
    const acks: Array<Promise<Buffer>> = [client.send(message('MSG0'))];
    await firstStarted.promise;
    for (const id of ids.slice(1)) {
      acks.push(client.send(message(id)));
      await sleep(2);
    }
    await sleep(50);
    release.resolve();
    assert.deepEqual(await Promise.all(acks), ids.map(ackFor));
    assert.deepEqual(state.handled, ids);
    assert.equal(state.maxActive, 1, 'one message at a time on a connection');
  });

  it('answers every block of one chunk, each ACK with one write of VT ack FS CR', async () => {
    const { handler } = testHandler();
    const server = await start(handler);
    const writes: Buffer[] = [];
    const write = net.Socket.prototype.write;
    (net.Socket.prototype as any).write = function (this: net.Socket, ...args: any[]) {
      if (this.localPort === server.port) writes.push(Buffer.from(args[0]));
      return (write as any).apply(this, args);
    };
    try {
      const client = await connect(server);
      const ids = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8'];
      await client.sendRaw(Buffer.concat(ids.map((id) => frame(message(id)))));
      for (const id of ids) assert.deepEqual(await within(client.receive(), 5000, `ACK of ${id}`), ackFor(id));
      assert.deepEqual(writes, ids.map((id) => frame(ackFor(id))));
    } finally {
      net.Socket.prototype.write = write;
    }
  });

  it('tells the handler who the peer is, and logs each message by size and time only', async () => {
    const { handler, state } = testHandler();
    const client = await connect(await start(handler));
    await client.send(message('P1'));
    const [peer] = state.peers;
    assert.equal(peer?.address, HOST);
    assert.ok((peer?.port ?? 0) > 0);
    assert.equal(peer?.tls, false);
    assert.equal(peer?.clientCertificate, undefined);
    const line = logged('mllp message handled').find((l) => l.peerPort === peer?.port);
    assert.equal(line?.bytes, message('P1').length);
    assert.equal(typeof line?.ms, 'number');
    assert.ok(logged('mllp connection opened').some((l) => l.peerPort === peer?.port));
  });

  it('serves 20 connections concurrently, each with its own ordered ACKs', async () => {
    const { handler, state } = testHandler({ delayMs: () => 5 });
    const server = await start(handler);
    const connections = await Promise.all(Array.from({ length: 20 }, () => connect(server)));
    await Promise.all(
      connections.map(async (client, c) => {
        for (let i = 0; i < 5; i++) assert.deepEqual(await client.send(message(`C${c}M${i}`)), ackFor(`C${c}M${i}`));
      }),
    );
    assert.equal(state.handled.length, 100);
    assert.ok(state.maxActive > 1, 'connections are handled concurrently');
    assert.equal(new Set(state.peers.map((peer) => peer.port)).size, 20);
  });

  it('stops reading a connection that queues more blocks than it handles, and loses none of them', async () => {
    const gate = deferred();
    const { handler } = testHandler({ wait: () => gate.promise });
    const client = await connect(await start(handler));
    const mark = logs.length;
    const count = 400; // 400 blocks of 100 KiB: far more than the socket buffers hold
    const padding = 'X'.repeat(100 * KiB);
    let written = false;
    const writing = client.sendRaw(Buffer.concat(Array.from({ length: count }, (_, i) => frame(message(`Q${i}`, padding))))).then(() => (written = true));
    await waitFor(() => logged('mllp reading paused', mark).length > 0, 'reading was never paused');
    await sleep(300);
    assert.equal(written, false, 'the server stopped taking bytes while the handler is stuck');
    gate.resolve();
    for (let i = 0; i < count; i++) assert.deepEqual(await within(client.receive(), 10_000, `ACK ${i}`), ackFor(`Q${i}`));
    await writing;
  });

  it('answers a 100 MB message with its NAK without buffering it, while another connection gets its ACKs', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (() => void) | undefined;
    const { handler, state } = testHandler();
    const server = await start(handler, { maxMessageBytes: 1 * MiB });
    const big = await connect(server);
    const small = await connect(server);
    gc?.();
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    const sampler = setInterval(() => {
      gc?.();
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }, 20);
    try {
      const order: string[] = [];
      const streaming = deferred();
      const msh = Buffer.from('MSH|^~\\&|PACS|HOSP|PASSERELLE|HOSP|20240101||ORU^R01|BIG1|P|2.5\rOBX|1|ED|||');
      const chunk = Buffer.alloc(MiB, 'A');
      const chunks = 100;
      const bigDone = (async () => {
        await big.sendRaw(Buffer.concat([Buffer.from([VT]), msh]));
        for (let i = 0; i < chunks; i++) {
          await big.sendRaw(chunk);
          if (i === 5) streaming.resolve();
        }
        await big.sendRaw(Buffer.from([FS, CR]));
        const nak = await big.receive();
        order.push('big answered');
        return nak;
      })();
      await streaming.promise;
      for (let i = 0; i < 20; i++) assert.deepEqual(await small.send(message(`S${i}`)), ackFor(`S${i}`));
      order.push('small answered');
      const size = msh.length + chunks * MiB;
      assert.deepEqual(await within(bigDone, 60_000, 'the big message was not answered'), Buffer.from(`NAK:${size}`));
      assert.deepEqual(order, ['small answered', 'big answered']);
      assert.equal(state.oversize.length, 1);
      assert.equal(state.oversize[0]?.size, size);
      assert.ok((state.oversize[0]?.head.length ?? Infinity) <= 64 * KiB);
      assert.deepEqual(state.oversize[0]?.head.subarray(0, msh.length), msh);
      assert.deepEqual(await big.send(message('AFTER')), ackFor('AFTER'), 'the connection goes on after a NAK');
    } finally {
      clearInterval(sampler);
    }
    assert.ok(peak - baseline < 64 * MiB, `memory grew by ${Math.round((peak - baseline) / MiB)} MiB`);
  });

  it('closes the connection when the oversize handler gives no NAK', async () => {
    const { handler } = testHandler({ oversize: () => undefined });
    const client = await connect(await start(handler, { maxMessageBytes: 1 * KiB }));
    await assert.rejects(client.send(message('BIG', 'Y'.repeat(10 * KiB))));
    await within(client.closed, 5000, 'the connection was not closed');
  });

  it('refuses peers outside MLLP_ALLOWED_PEERS before reading anything, and serves those inside', async () => {
    const { handler, state } = testHandler();
    const elsewhere = new net.BlockList();
    elsewhere.addSubnet('10.0.0.0', 8, 'ipv4');
    const refusing = await start(handler, { allowedPeers: elsewhere });
    const mark = logs.length;
    const refused = await connect(refusing);
    await assert.rejects(refused.send(message('NO1')));
    assert.equal(state.handled.length, 0, 'nothing was handled');
    assert.equal(logged('mllp connection refused: peer not in MLLP_ALLOWED_PEERS', mark).length, 1);

    const loopback = new net.BlockList();
    loopback.addSubnet('127.0.0.0', 8, 'ipv4');
    const client = await connect(await start(handler, { allowedPeers: loopback }));
    assert.deepEqual(await client.send(message('OK1')), ackFor('OK1'));
  });

  it('ignores garbage before a block and answers the block, logging only the byte count', async () => {
    const { handler } = testHandler();
    const client = await connect(await start(handler));
    const garbage = Buffer.from(`GET / HTTP/1.1\r\n${PATIENT}\r\n`);
    const mark = logs.length;
    await client.sendRaw(garbage);
    assert.deepEqual(await client.send(message('G1')), ackFor('G1'));
    assert.ok(logged('mllp bytes outside any block ignored', mark).some((line) => line.bytes === garbage.length && line.level === 40));
  });

  it('closes an idle connection, but not one whose message is being handled', async () => {
    const { handler } = testHandler({ delayMs: (payload) => (controlId(payload) === 'SLOW' ? 800 : 0) });
    const server = await start(handler, { idleTimeoutMs: 150 });
    const idle = await connect(server);
    const busy = await connect(server);
    let busyClosed = false;
    void busy.closed.then(() => (busyClosed = true));
    const ack = busy.send(message('SLOW'));
    await sleep(50);
    await busy.sendRaw(Buffer.from('\r\n')); // traffic while the message is handled
    await within(idle.closed, 5000, 'the idle connection was not closed');
    assert.deepEqual(await ack, ackFor('SLOW'));
    assert.equal(busyClosed, false, 'closed while its message was handled');
    await within(busy.closed, 5000, 'the connection was not closed once idle');
  });

  it('closes only the connection whose handler rejects, logging the error by kind', async () => {
    const { handler } = testHandler({ fail: (payload) => controlId(payload) === 'FAIL' });
    const server = await start(handler);
    const failing = await connect(server);
    const healthy = await connect(server);
    const mark = logs.length;
    await assert.rejects(failing.send(message('FAIL')));
    await within(failing.closed, 5000, 'the failing connection was not closed');
    assert.deepEqual(await healthy.send(message('OK1')), ackFor('OK1'));
    const errors = logged('mllp handler failed: closing the connection', mark);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.err?.type, 'Error');
  });

  it('closes only the connection whose handler returns something that is not a Buffer', async () => {
    const { handler } = testHandler();
    const server = await start({ ...handler, handle: async (payload, peer) => (controlId(payload) === 'BAD' ? ('AA' as unknown as Buffer) : handler.handle(payload, peer)) });
    const failing = await connect(server);
    const healthy = await connect(server);
    await assert.rejects(failing.send(message('BAD')));
    await within(failing.closed, 5000, 'the failing connection was not closed');
    assert.deepEqual(await healthy.send(message('OK2')), ackFor('OK2'));
  });

  it('on close, writes the ACK of the message in flight, then closes, and refuses new connections', async () => {
    const started = deferred();
    const { handler } = testHandler({ delayMs: () => 300, wait: async () => started.resolve() });
    const server = await start(handler);
    const client = await connect(server);
    const order: string[] = [];
    const ack = client.send(message('LAST')).then((a) => (order.push('ack'), a));
    await started.promise;
    const closing = server.close(5000).then(() => order.push('server closed'));
    await assert.rejects(connectMllp({ host: HOST, port: server.port }), 'no new connections while closing');
    assert.deepEqual(await ack, ackFor('LAST'));
    await within(closing, 5000, 'close did not finish');
    await within(client.closed, 5000, 'the connection was not closed');
    assert.deepEqual(order, ['ack', 'server closed']);
  });

  it('on close, gives up on a message still in flight when the grace period ends', async () => {
    const started = deferred();
    const { handler } = testHandler({ wait: () => (started.resolve(), new Promise<void>(() => {})) });
    const server = await start(handler);
    const client = await connect(server);
    const ack = client.send(message('STUCK'));
    await started.promise;
    await within(server.close(200), 5000, 'close did not end after the grace period');
    await assert.rejects(ack);
    await within(client.closed, 5000, 'the connection was not closed');
  });

  it('refuses connections over maxConnections, and takes new ones once there is room', async () => {
    const { handler, state } = testHandler();
    const server = await start(handler, { maxConnections: 2 });
    const mark = logs.length;
    const first = await connect(server);
    const second = await connect(server);
    assert.deepEqual(await first.send(message('M1')), ackFor('M1'));
    assert.deepEqual(await second.send(message('M2')), ackFor('M2'));
    const third = await connectMllp({ host: HOST, port: server.port }).catch(() => undefined);
    if (third) {
      await within(third.closed, 5000, 'the third connection was not closed');
      await assert.rejects(third.send(message('M3')));
    }
    assert.equal(logged('mllp connection refused: too many connections', mark).length, 1);
    const firstPort = state.peers[0]?.port;
    await first.close();
    await waitFor(() => logged('mllp connection closed', mark).some((line) => line.peerPort === firstPort), 'the server did not see the close');
    const fourth = await connect(server);
    assert.deepEqual(await within(fourth.send(message('M4')), 5000, 'no ACK after room was made'), ackFor('M4'));
  });
});

const openssl = spawnSync('openssl', ['version']).status === 0;

describe('MLLP server over TLS', { skip: !openssl && 'the openssl CLI is not installed' }, () => {
  let dir = '';
  const pem: Record<string, Buffer> = {};

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-mllp-tls-'));
    const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Passerelle Test CA');
    const leaf = (name: string, cn: string, extensions: string): void => {
      writeFileSync(join(dir, `${name}.ext`), extensions);
      run('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
    };
    leaf('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    leaf('client', 'lab-analyzer-01', 'extendedKeyUsage=clientAuth\n');
    // A client certificate no trusted CA signed.
    run('req', '-x509', ...ec, '-keyout', 'intruder.key', '-out', 'intruder.crt', '-days', '2', '-subj', '/CN=intruder');
    for (const name of ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key', 'intruder.crt', 'intruder.key']) pem[name] = readFileSync(join(dir, name));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const serverTls = (withCa: boolean): MllpServerOptions['tls'] => ({ cert: pem['server.crt'] as Buffer, key: pem['server.key'] as Buffer, ca: withCa ? pem['ca.crt'] : undefined });

  it('acknowledges a TLS client', async () => {
    const { handler, state } = testHandler();
    const server = await start(handler, { tls: serverTls(false) });
    const client = await connect(server, { tls: { ca: pem['ca.crt'] } });
    assert.deepEqual(await client.send(message('T1')), ackFor('T1'));
    assert.deepEqual(await client.send(message('T2')), ackFor('T2'));
    assert.equal(state.peers[0]?.tls, true);
    assert.equal(state.peers[0]?.clientCertificate, undefined);
  });

  it('with a CA, refuses clients without a certificate signed by it and names the one it accepts', async () => {
    const { handler, state } = testHandler();
    const server = await start(handler, { tls: serverTls(true) });
    const mark = logs.length;
    const attempt = async (options: MllpClientOptions['tls']): Promise<Buffer> => {
      const client = await connect(server, { tls: { ca: pem['ca.crt'], ...options } });
      return within(client.send(message('REFUSED')), 5000, 'neither answered nor closed');
    };
    await assert.rejects(attempt({}), 'no client certificate');
    await assert.rejects(attempt({ cert: pem['intruder.crt'], key: pem['intruder.key'] }), 'a certificate from no trusted CA');
    assert.equal(state.peers.length, 0, 'the handler never saw a refused client');
    assert.ok(logged('mllp TLS handshake failed', mark).length === 2);
    const client = await connect(server, { tls: { ca: pem['ca.crt'], cert: pem['client.crt'], key: pem['client.key'] } });
    assert.deepEqual(await client.send(message('T3')), ackFor('T3'));
    assert.equal(state.peers[0]?.tls, true);
    assert.equal(state.peers[0]?.clientCertificate, 'lab-analyzer-01');
  });
});

describe('MLLP server logs', () => {
  it('never contain message contents', () => {
    assert.ok(logs.length > 0);
    const text = JSON.stringify(logs);
    assert.doesNotMatch(text, /DUPONT|MSH\||ADT\^A08|GET \//);
  });
});
