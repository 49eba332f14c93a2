/**
 * One AMQP connection that keeps itself open: it connects, and whenever the broker goes away
 * (restart, network cut, missed heartbeats) it connects again with back-off, 0.5 s doubling to
 * 30 s. Users either ask for the current connection (`current()`, undefined while down: the
 * publisher then fails its delivery and the outbox keeps the changes) or register a set-up that
 * runs on every (re)connect (`onConnect`: the inbound side declares its topology and consumes).
 * The URL's password never reaches a log line.
 */
import { connect, type ChannelModel } from 'amqplib';

export interface AmqpLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AmqpConnectionOptions {
  url: string;
  logger: AmqpLogger;
  /** Heartbeat in seconds: a broker that stops answering is noticed after about two of them. */
  heartbeatSeconds?: number;
  /** First and largest wait between connection attempts, in ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Told of failures of a set-up; the connection is then closed and made again. */
  onError?: (err: unknown, where: string) => void;
}

/** Runs on each new connection; throwing closes that connection so that the next try starts afresh. */
export type ConnectionSetup = (connection: ChannelModel) => Promise<void>;

/** `amqp://user:***@host:port/vhost`: the URL as it may be logged. */
export function maskedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable AMQP URL)';
  }
}

/** The URL with `heartbeat` (seconds) unless it sets one: amqplib reads the heartbeat from the URL only. */
export function withHeartbeat(url: string, seconds: number): string {
  try {
    const parsed = new URL(url);
    if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
    return parsed.toString();
  } catch {
    return url; // amqplib will say what is wrong with it
  }
}

export class AmqpConnection {
  readonly #options: AmqpConnectionOptions;
  readonly #setups: ConnectionSetup[] = [];
  #current: ChannelModel | undefined;
  #stopped = false;
  #started = false;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #connecting: Promise<void> | undefined;
  #waiters: (() => void)[] = [];

  constructor(options: AmqpConnectionOptions) {
    this.#options = options;
  }

  /** Starts connecting in the background; does not wait for the broker (it may be down). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#connecting = this.#attempt();
  }

  /** The open connection, or undefined while the broker is unreachable. */
  current(): ChannelModel | undefined {
    return this.#current;
  }

  /** Registers a set-up for every (re)connection; runs at once if connected now. */
  onConnect(setup: ConnectionSetup): void {
    this.#setups.push(setup);
    const connection = this.#current;
    if (connection) void this.#runSetup(connection, setup);
  }

  /** Resolves once connected and set up (for tests and start-up checks), or rejects after `timeoutMs`. */
  async connected(timeoutMs = 10_000): Promise<void> {
    if (this.#current) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#waiters.push(resolve)),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no AMQP connection to ${maskedUrl(this.#options.url)} within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#connecting;
    const connection = this.#current;
    this.#current = undefined;
    await connection?.close().catch(() => undefined);
  }

  async #attempt(): Promise<void> {
    const { url, logger } = this.#options;
    let connection: ChannelModel;
    try {
      // No Nagle: acks and replies are small writes, and Nagle waiting for the broker's delayed
      // TCP ack held each one about 40 ms (a tenth of the throughput at a small prefetch).
      connection = await connect(withHeartbeat(url, this.#options.heartbeatSeconds ?? 10), { noDelay: true, keepAlive: true });
    } catch (err) {
      this.#failures += 1;
      const wait = this.#backoff();
      if (this.#failures === 1 || this.#failures % 10 === 0) {
        logger.warn({ broker: maskedUrl(url), attempt: this.#failures, retryInMs: wait, error: errorKind(err) }, 'AMQP broker unreachable');
      }
      this.#schedule(wait);
      return;
    }
    if (this.#stopped) {
      await connection.close().catch(() => undefined);
      return;
    }
    // 'error' always precedes 'close' on a failure; listening to it keeps it from being thrown.
    connection.on('error', (err: unknown) => logger.warn({ broker: maskedUrl(url), error: errorKind(err) }, 'AMQP connection error'));
    connection.on('close', () => this.#lost(connection));
    this.#current = connection;
    try {
      for (const setup of this.#setups) await setup(connection);
    } catch (err) {
      this.#options.onError?.(err, 'amqp set-up');
      // Closing fires 'close', which schedules the next attempt.
      await connection.close().catch(() => undefined);
      return;
    }
    this.#failures = 0;
    logger.info({ broker: maskedUrl(url) }, 'AMQP connected');
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  async #runSetup(connection: ChannelModel, setup: ConnectionSetup): Promise<void> {
    try {
      await setup(connection);
    } catch (err) {
      this.#options.onError?.(err, 'amqp set-up');
      await connection.close().catch(() => undefined);
    }
  }

  #lost(connection: ChannelModel): void {
    if (this.#current !== connection) return;
    this.#current = undefined;
    if (this.#stopped) return;
    this.#options.logger.warn({ broker: maskedUrl(this.#options.url) }, 'AMQP connection lost; reconnecting');
    this.#failures += 1;
    this.#schedule(this.#backoff());
  }

  #backoff(): number {
    const min = this.#options.minBackoffMs ?? 500;
    const max = this.#options.maxBackoffMs ?? 30_000;
    return Math.min(max, min * 2 ** Math.max(0, this.#failures - 1));
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#connecting = this.#attempt();
    }, ms);
  }
}

/** What may be logged of a connection error: its kind and code, not its message (it may hold the URL). */
export function errorKind(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const code = (err as { code?: unknown }).code;
  return { type: err.name, ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}) };
}
