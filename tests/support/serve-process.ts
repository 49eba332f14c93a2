/** The real `passerelle serve` process for tests: started on free ports, its JSON log lines kept. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

export interface ServeProcess {
  child: ChildProcess;
  base: string;
  /** The MLLP listener's port. */
  mllpPort: number;
  /** The OpenIGTLink listener's port. */
  igtlPort: number;
  logs: string[];
}

/** A port free on loopback now (MLLP_PORT=0 means no MLLP listener, so tests pick one). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `passerelle serve` with `env` on free ports (HTTP, MLLP, OpenIGTLink) and resolves once it listens on all. */
export async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  const mllpPort = await freePort();
  const igtlPort = await freePort();
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'server/main.ts', 'serve'], {
    env: { ...process.env, PORT: '0', DATABASE_URL: '', LOG_LEVEL: 'info', MLLP_PORT: String(mllpPort), IGTL_PORT: String(igtlPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let buffered = '';
  let port: number | undefined;
  let mllpListening = false;
  let igtlListening = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${logs.join('\n')}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        const entry = JSON.parse(line) as { msg: string; port?: number };
        if (entry.msg.startsWith('listening')) port = entry.port;
        if (entry.msg === 'mllp listening') mllpListening = true;
        if (entry.msg === 'OpenIGTLink listening') igtlListening = true;
        if (port !== undefined && mllpListening && igtlListening) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${logs.join('\n')}`)));
  });
  return { child, base: `http://127.0.0.1:${port}`, mllpPort, igtlPort, logs };
}

/** SIGTERM, then the exit code once the process has ended and its output has been read ('close'). */
export async function stopServe(running: ServeProcess): Promise<number | null> {
  const closed = once(running.child, 'close');
  running.child.kill('SIGTERM');
  const [code] = await closed;
  return code as number | null;
}

/** `passerelle seed --demo --hospitals <n>` into the PGlite database of `dataDir`. */
export function seedDemo(dataDir: string, hospitals = 1): void {
  const seeded = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'server/main.ts', 'seed', '--demo', '--hospitals', String(hospitals)], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 120_000,
  });
  if (seeded.status !== 0) throw new Error(`seeding the demo region failed: ${seeded.stderr}`);
}
