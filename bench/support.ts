/**
 * What the benchmarks share: a throwaway database per driver, the real `passerelle serve` process
 * on it, a keep-alive HTTP client, percentiles and environment knobs.
 */
import http from 'node:http';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../fhir/index.ts';
import { openPGlite } from '../server/database/pglite.ts';
import { openPostgres } from '../server/database/postgres.ts';
import { migrate } from '../server/migrations.ts';

export type Driver = 'pglite' | 'postgres';

const REQUEST_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// HTTP client

export interface HttpResult {
  status: number;
  body: string;
}

export interface HttpClient {
  send(method: string, path: string, body?: unknown, extraHeaders?: http.OutgoingHttpHeaders): Promise<HttpResult>;
  close(): void;
}

export function httpClient(port: number): HttpClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return {
    send(method, path, body, extraHeaders) {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: http.OutgoingHttpHeaders = { accept: 'application/fhir+json', ...extraHeaders };
      if (payload) {
        headers['content-type'] = 'application/fhir+json';
        headers['content-length'] = payload.length;
      }
      return new Promise<HttpResult>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------
// Databases and the server

/** A throwaway database: PGlite in a temporary DATA_DIR, or a fresh schema on DATABASE_URL. */
export interface BenchDatabase {
  driver: Driver;
  /** Environment for `passerelle serve` to use this database. */
  serverEnv: Record<string, string>;
  /** Opens it in this process (for loading data); migrated. */
  open(): Promise<Database>;
  /** Removes it. */
  cleanup(): Promise<void>;
}

export async function benchDatabase(driver: Driver): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-bench-'));
  const removeDir = async (): Promise<void> => rmSync(dataDir, { recursive: true, force: true });
  if (driver === 'pglite') {
    return {
      driver,
      serverEnv: { DATA_DIR: dataDir, DATABASE_URL: '' },
      async open() {
        const db = await openPGlite(join(dataDir, 'pglite'));
        await migrate(db);
        return db;
      },
      cleanup: removeDir,
    };
  }
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new Error('DATABASE_URL is not set');
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  await withPgClient(connectionString, (client) => client.query(`CREATE SCHEMA ${schema}`));
  return {
    driver,
    serverEnv: {
      DATA_DIR: dataDir,
      DATABASE_URL: `${connectionString}${connectionString.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    },
    async open() {
      const db = await openPostgres({ connectionString, schema, maxConnections: 16 });
      await migrate(db);
      return db;
    },
    async cleanup() {
      await withPgClient(connectionString, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
      await removeDir();
    },
  };
}

export interface RunningServer {
  client: HttpClient;
  /** The HTTP port. */
  port: number;
  /** The MLLP listener's port (from its "mllp listening" log line), when `mllp` was asked for. */
  mllpPort: number | undefined;
  /** The server process's id (for its CPU time). */
  pid: number;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** More environment for the server (after the database's). */
  env?: Record<string, string>;
  /**
   * Start the HL7 v2 MLLP listener too, on a free loopback port, and wait for it. (`serve` reads
   * MLLP_PORT=0 as "no MLLP listener", so a free port is found here; MLLP_PORT in `env` wins.)
   */
  mllp?: boolean;
  /** Called with every JSON log line the server writes once it listens (e.g. "hl7 message" lines). */
  onLog?: (entry: Record<string, unknown>) => void;
}

/**
 * The real `passerelle serve` process on the database, with production settings (info logs), so
 * that the load generator's own work stays out of the server's event loop.
 */
export async function startServer(database: BenchDatabase, options: ServerOptions = {}): Promise<RunningServer> {
  const mllpEnv = options.mllp && !options.env?.MLLP_PORT ? { MLLP_PORT: String(await freeLoopbackPort()) } : {};
  // BENCH_SERVER_NODE_ARGS: more Node.js options for the server only (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ...nodeArgs, 'server/main.ts', 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', IGTL_PORT: '0', ...database.serverEnv, ...mllpEnv, ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let ports: { http: number; mllp: number | undefined };
  try {
    ports = await listeningPorts(child, options.mllp === true, options.onLog);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const client = httpClient(ports.http);
  return {
    client,
    port: ports.http,
    mllpPort: ports.mllp,
    pid: child.pid as number,
    async stop() {
      client.close();
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A TCP port free on 127.0.0.1 right now (bound, then released). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Reads the server's JSON log lines until the "listening" one (and "mllp listening" when `mllp`),
 * then keeps draining them, handing each to `onLog` if given.
 */
function listeningPorts(child: ChildProcess, mllp: boolean, onLog?: (entry: Record<string, unknown>) => void): Promise<{ http: number; mllp: number | undefined }> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let found = false;
    let httpPort: number | undefined;
    let mllpPort: number | undefined;
    const timer = setTimeout(() => reject(new Error(`the server did not start${mllp ? ' its MLLP listener' : ''} within 60 s`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (found && !onLog) return;
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (found) {
          if (line.startsWith('{')) onLog?.(JSON.parse(line) as Record<string, unknown>);
          continue;
        }
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'mllp listening' && entry.port) mllpPort = entry.port;
        else if (entry.msg?.startsWith('listening') && entry.port) httpPort = entry.port;
        if (httpPort !== undefined && (!mllp || mllpPort !== undefined)) {
          found = true;
          clearTimeout(timer);
          resolve({ http: httpPort, mllp: mllpPort });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code} before listening`)));
  });
}

async function withPgClient<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers and settings

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${raw}`);
  return value;
}

/** A comma-separated environment variable whose items must be among `allowed`; undefined when unset. */
/** The drivers to bench: both when DATABASE_URL is set, else PGlite; BENCH_DRIVERS narrows them. */
export function selectedDrivers(): Driver[] {
  const available: Driver[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
  const wanted = listFromEnv('BENCH_DRIVERS', ['pglite', 'postgres'] as const);
  if (!wanted) return available;
  for (const d of wanted) if (!available.includes(d)) throw new Error(`BENCH_DRIVERS: ${d} needs DATABASE_URL`);
  return available.filter((d) => wanted.includes(d));
}

export function listFromEnv<T extends string>(name: string, allowed: readonly T[]): T[] | undefined {
  const items = process.env[name]?.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (!items || items.length === 0) return undefined;
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`${name}: unknown value ${item} (expected ${allowed.join(', ')})`);
  }
  return items as T[];
}

export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
