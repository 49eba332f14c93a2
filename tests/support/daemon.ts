/**
 * What the test daemons (kdc.ts, slapd.ts) share: the tests start real services, Debian's
 * krb5kdc and slapd, rather than mocks, because the behaviour under test is theirs.
 *
 * - `requireBinary` finds a daemon's binary or throws naming the Debian package to install:
 *   in CI a missing package is a failure, never a skip.
 * - `freePort` picks a loopback port for the daemon to listen on.
 * - `inDaemonDir` gives a daemon its temp dir and runs it so that it never outlives the test
 *   process: a shell watcher stops it when our pipe closes, even if we die by SIGKILL, and the
 *   dir is removed on stop, on a failed start-up and on exit.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Absolute path of a binary, looked up on PATH plus the sbin directories (daemons live in
 * /usr/sbin). `packages` maps binary names to the Debian packages that install them; `need`
 * says which tests need it (`the LDAP tests need a real OpenLDAP server`), for the error.
 */
export async function requireBinary(name: string, packages: Record<string, string>, need: string): Promise<string> {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await run('test', ['-x', candidate]);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} is not installed: ${need} (apt-get install ${packages[name] ?? name}; .ci/run installs it)`);
}

/**
 * A TCP port free on loopback; with `udp`, free for UDP too (a KDC listens on both). `daemon`
 * names what the port is for in the error (`the KDC`).
 */
export async function freePort(options: { udp?: boolean; daemon?: string } = {}): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    if (!options.udp) return port;
    const socket = dgram.createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    socket.close();
    if (free) return port;
  }
  throw new Error(`no free port for ${options.daemon ?? 'the daemon'}`);
}

/**
 * Runs the daemon under a shell that also watches our stdin pipe: if this test process dies,
 * even by SIGKILL, the pipe closes and the daemon is stopped, so no daemon outlives its test.
 * `env` defaults to this process's environment.
 */
function spawnWatched(dir: string, binary: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  // $1 is the temp dir, removed once the daemon has exited: nothing is left behind either.
  const script = 'dir=$1; shift; exec 3<&0; "$@" </dev/null & pid=$!; { read -r _ <&3; kill "$pid" 2>/dev/null; kill -CONT "$pid" 2>/dev/null; } & watcher=$!; wait "$pid"; code=$?; kill "$watcher" 2>/dev/null; rm -rf "$dir"; exit "$code"';
  return spawn('sh', ['-c', script, 'sh', dir, binary, ...args], { env, stdio: ['pipe', 'ignore', 'pipe'] });
}

export interface DaemonDir {
  /** The daemon's temp dir (configuration, database, logs), removed when it stops. */
  dir: string;
  /** Starts the daemon under the watcher (stdout ignored, stderr piped); call it once. */
  spawn(binary: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Stops the daemon by closing the watcher's pipe, waits for its exit and removes the dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Makes a temp dir named `prefix…` and runs `start` with it. If `start` throws, the daemon
 * (if spawned) is killed and the dir removed before the error goes on; otherwise its result
 * should call `stop()` when the test is done.
 */
export async function inDaemonDir<T>(prefix: string, start: (daemon: DaemonDir) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  let child: ChildProcess | undefined;
  // Safety net for a test process that ends without running its after() hooks.
  const onExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  let stopped: Promise<void> | undefined;
  const daemon: DaemonDir = {
    dir,
    spawn(binary, args, env) {
      child = spawnWatched(dir, binary, args, env);
      return child;
    },
    stop() {
      stopped ??= (async () => {
        const running = child;
        if (running && running.exitCode === null && running.signalCode === null) {
          const exited = once(running, 'exit');
          // Closing the watcher's pipe stops the daemon (and the shell with it).
          running.stdin?.end();
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
        process.removeListener('exit', onExit);
      })();
      return stopped;
    },
  };
  try {
    return await start(daemon);
  } catch (error) {
    onExit();
    process.removeListener('exit', onExit);
    throw error;
  }
}
