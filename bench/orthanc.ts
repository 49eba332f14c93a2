/**
 * Orthanc with its DICOMweb plugin as the benchmarks' reference PACS: started on loopback from a
 * JSON configuration in a temporary directory (its database and files in there too), with
 * Orthanc's defaults for everything but the ports, the storage location, remote access (off),
 * authentication (off) and the DICOMweb plugin (on, at /dicom-web/). Stopped and removed on
 * `stop()`, and also when this process exits or is interrupted.
 * @see https://orthanc.uclouvain.be/book/users/configuration.html
 * @see https://orthanc.uclouvain.be/book/plugins/dicomweb.html
 */
import http from 'node:http';
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

export const ORTHANC_BINARY = process.env.ORTHANC_BINARY ?? 'Orthanc';
export const DICOMWEB_PLUGIN = process.env.ORTHANC_DICOMWEB_PLUGIN ?? '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

export interface RunningOrthanc {
  /** The HTTP port (REST API and DICOMweb). */
  port: number;
  /** `http://127.0.0.1:<port>/dicom-web` */
  dicomwebBase: string;
  /** `/dicom-web`: the DICOMweb root as a path, for clients that take a port and a path. */
  dicomwebPath: string;
  /** What `/system` answered (its Version, Name, ...). */
  system: Record<string, unknown>;
  /** The settings written to the configuration file (the rest are Orthanc's defaults). */
  settings: Record<string, unknown>;
  /** The last lines of Orthanc's log, for error messages. */
  logTail(lines?: number): string;
  /** Stops Orthanc (SIGTERM, then SIGKILL after 20 s) and removes its directory. */
  stop(): Promise<void>;
}

/** The Orthanc version line (`Orthanc 1.10.1`), or undefined when the binary is missing. */
export function orthancVersion(): string | undefined {
  const result = spawnSync(ORTHANC_BINARY, ['--version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.split('\n')[0]?.trim();
}

/** Starts Orthanc on free loopback ports and waits until `GET /system` answers. */
export async function startOrthanc(): Promise<RunningOrthanc> {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-bench-orthanc-'));
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const port = await freeLoopbackPort();
  let dicomPort = await freeLoopbackPort();
  while (dicomPort === port) dicomPort = await freeLoopbackPort();
  const settings = {
    Name: 'passerelle-bench',
    HttpPort: port,
    DicomPort: dicomPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    StorageDirectory: storage,
    IndexDirectory: storage,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
  };
  const configPath = join(dir, 'orthanc.json');
  writeFileSync(configPath, `${JSON.stringify(settings, null, 2)}\n`);
  const logPath = join(dir, 'orthanc.log');
  const logFd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(ORTHANC_BINARY, [configPath], { cwd: dir, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  const logTail = (lines = 20): string => {
    try {
      return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };

  let exited = false;
  // (A child that could not be spawned emits 'error' and perhaps no 'exit'.)
  for (const event of ['exit', 'error'] as const) {
    child.once(event, () => {
      exited = true;
    });
  }
  // Whatever happens to this process, Orthanc and its directory go with it.
  const onExit = (): void => {
    if (!exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        const gone = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await gone;
        clearTimeout(timer);
      }
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`cannot start ${ORTHANC_BINARY}: ${err.message}`))));
    spawnError.catch(() => undefined);
    const system = await Promise.race([waitForSystem(port, () => exited, logTail), spawnError]);
    return { port, dicomwebBase: `http://127.0.0.1:${port}/dicom-web`, dicomwebPath: '/dicom-web', system, settings, logTail, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls `GET /system` until it answers 200 (Orthanc takes a second or two to open its database and plugins). */
async function waitForSystem(port: number, hasExited: () => boolean, logTail: () => string): Promise<Record<string, unknown>> {
  const until = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < until) {
    if (hasExited()) throw new Error(`Orthanc exited during start-up:\n${logTail()}`);
    const answer = await getJson(port, '/system').catch(() => undefined);
    if (answer) return answer;
    await sleep(100);
  }
  throw new Error(`Orthanc did not answer /system within ${START_TIMEOUT_MS / 1000} s:\n${logTail()}`);
}

function getJson(port: number, path: string): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { accept: 'application/json' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', reject);
    });
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** A TCP port free on 127.0.0.1 right now (bound, then released). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
