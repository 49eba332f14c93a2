/**
 * RabbitMQ for tests: the AMQP tests run against a real broker, never a mock.
 * - `requireBroker()` returns the shared broker's URL (127.0.0.1:5672, or AMQP_TEST_URL) or throws
 *   saying how to get one: a missing broker fails the suite, it never skips it.
 * - `testNames()` gives names unique to this run (the shared broker serves other suites and people)
 *   and `deleteTopology()` removes them afterwards.
 * - `startPrivateBroker()` runs a RabbitMQ node of our own (own node name, ports, data and log dirs
 *   in a temp dir, no plugins), so a test may take the broker down and up again without touching the
 *   shared one. "Restart" is `stop_app`/`start_app`: the node's AMQP side really stops (connections
 *   dropped, port closed) and comes back recovering durable queues and persistent messages from disk,
 *   while the Erlang VM stays up, which keeps it fast and lets one watcher own the process.
 * - `drain()` reads what a queue holds, with `basic.get`.
 */
import { execFile } from 'node:child_process';
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect, type GetMessage } from 'amqplib';
import { maskedUrl } from '../../events/amqp/index.ts';
import { freePort, inDaemonDir, requireBinary } from './daemon.ts';

const run = promisify(execFile);

export const DEFAULT_TEST_BROKER = 'amqp://guest:guest@127.0.0.1:5672';

/** The shared broker's URL, after proving it answers; throws a clear error if it does not. */
export async function requireBroker(): Promise<string> {
  const url = process.env.AMQP_TEST_URL ?? DEFAULT_TEST_BROKER;
  try {
    const connection = await connect(url, { timeout: 5000 });
    await connection.close();
  } catch (err) {
    throw new Error(
      `RabbitMQ is not reachable at ${maskedUrl(url)} (${(err as Error).message}): the AMQP tests need a real broker. `
      + 'Start it (apt-get install rabbitmq-server, then rabbitmq-server -detached) or point AMQP_TEST_URL at one.',
    );
  }
  return url;
}

/** `t3f9a1c2-<what>`: names no other run uses. */
export function testNames(): (what: string) => string {
  const id = `t${randomBytes(4).toString('hex')}`;
  return (what) => `${id}-${what}`;
}

/** Deletes test queues and exchanges (those absent are fine). */
export async function deleteTopology(url: string, topology: { queues?: string[]; exchanges?: string[] }): Promise<void> {
  const connection = await connect(url);
  try {
    for (const queue of topology.queues ?? []) {
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    for (const exchange of topology.exchanges ?? []) {
      const channel = await connection.createChannel();
      await channel.deleteExchange(exchange).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Every message a queue holds now, acknowledged (so removed). */
export async function drain(url: string, queue: string): Promise<GetMessage[]> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    const messages: GetMessage[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (!message) return messages;
      messages.push(message);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Polls `read` until `done` holds for what it returned, or throws after `ms`. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface PrivateBroker {
  url: string;
  /** Stops the node's AMQP side (clients are disconnected, the port refuses connections). */
  down(): Promise<void>;
  /** Brings it back, with its durable queues and persistent messages. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

const PACKAGES = { 'rabbitmq-server': 'rabbitmq-server', rabbitmqctl: 'rabbitmq-server' };
/** Debian's scripts under /usr/sbin switch to the rabbitmq user; these run as we are, with our HOME (and cookie). */
const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';

/** Starts a RabbitMQ node of our own on free loopback ports; it never outlives the test process. */
export async function startPrivateBroker(timeoutMs = 30_000): Promise<PrivateBroker> {
  await requireBinary('rabbitmq-server', PACKAGES, 'the AMQP broker-restart tests need a private RabbitMQ node');
  const server = path.join(RABBITMQ_BIN, 'rabbitmq-server');
  const ctl = path.join(RABBITMQ_BIN, 'rabbitmqctl');
  const port = await freePort({ daemon: 'RabbitMQ' });
  const distPort = await freePort({ daemon: 'the RabbitMQ distribution port' });
  const node = `passerelle-test-${randomBytes(4).toString('hex')}@localhost`;
  return inDaemonDir('passerelle-rabbitmq-', async (daemon) => {
    const dir = daemon.dir;
    // Our own config file: the system's /etc/rabbitmq one binds the shared broker's port.
    writeFileSync(path.join(dir, 'rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${port}\nloopback_users = none\n`);
    writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
    writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: dir, // the Erlang cookie, shared by the node and rabbitmqctl
      RABBITMQ_NODENAME: node,
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
      RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
      RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'),
      RABBITMQ_PID_FILE: path.join(dir, 'pid'),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    };
    const rabbitmqctl = (...args: string[]) => run(ctl, ['-n', node, ...args], { env, timeout: timeoutMs });
    const child = daemon.spawn(server, [], env);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const awaitStartup = async (what: string): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      // await_startup fails at once while the node has not registered with epmd yet: poll it.
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the private RabbitMQ node exited while ${what}: ${stderr.slice(-500)}`);
        try {
          await rabbitmqctl('await_startup', '--timeout', '10');
          return;
        } catch {
          if (Date.now() > deadline) throw new Error(`the private RabbitMQ node did not start within ${timeoutMs} ms (${what})`);
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      }
    };
    await awaitStartup('starting');
    const url = `amqp://guest:guest@127.0.0.1:${port}`;
    return {
      url,
      async down() {
        await rabbitmqctl('stop_app');
      },
      async up() {
        await rabbitmqctl('start_app');
        await awaitStartup('restarting');
      },
      async stop() {
        await rabbitmqctl('stop').catch(() => undefined);
        await daemon.stop();
      },
    };
  });
}

/**
 * The brokers of an AMQP test file, registered as file-level hooks: the shared one (required: the
 * file fails without it) and a private node, started at once so that it boots while the databases
 * are being migrated, and stopped at the end.
 */
export function useBrokers(): { sharedUrl(): string; privateBroker(): Promise<PrivateBroker> } {
  let shared: string | undefined;
  let started: Promise<PrivateBroker> | undefined;
  before(async () => {
    shared = await requireBroker();
    started = startPrivateBroker();
    started.catch(() => undefined);
  });
  after(async () => {
    await (await started?.catch(() => undefined))?.stop();
  });
  return {
    sharedUrl: () => shared as string,
    privateBroker: () => started as Promise<PrivateBroker>,
  };
}
