/**
 * A small MLLP client (tests, benchmarks, replay): sends framed messages on one connection and
 * pairs each with the next acknowledgement received, in order, so sends may be pipelined.
 * @see HL7 Version 2.x Transport Specification: MLLP, Release 2
 */
import net from 'node:net';
import tls from 'node:tls';
import { frame, MllpFramer } from './framer.ts';

export interface MllpClientOptions {
  host: string;
  port: number;
  /** Connect with TLS (certificate, key and CA for client verification go here). */
  tls?: tls.ConnectionOptions;
  /** Largest acknowledgement accepted; default 16 MiB. */
  maxAckBytes?: number;
}

export interface MllpClient {
  /** Sends one framed message; resolves with the payload of the next acknowledgement. Concurrent calls get their own ACKs, in call order. */
  send(payload: Buffer): Promise<Buffer>;
  /** The next acknowledgement not claimed by an earlier `send` or `receive` (after `sendRaw`). */
  receive(): Promise<Buffer>;
  /** Writes arbitrary bytes (unframed); resolves once they are handed to the operating system. */
  sendRaw(bytes: Buffer): Promise<void>;
  /** Ends our side and resolves once the connection is closed. */
  close(): Promise<void>;
  /** Resolves when the connection is closed, by either side. */
  readonly closed: Promise<void>;
}

const DEFAULT_MAX_ACK_BYTES = 16 * 1024 * 1024;
const CLOSE_WAIT_MS = 2000;

interface Waiter {
  resolve(ack: Buffer): void;
  reject(err: Error): void;
}

class Client implements MllpClient {
  readonly closed: Promise<void>;
  readonly #socket: net.Socket;
  readonly #framer: MllpFramer;
  readonly #waiters: Waiter[] = [];
  readonly #unclaimed: Buffer[] = [];
  #failure: Error | undefined;

  constructor(socket: net.Socket, maxAckBytes: number) {
    this.#socket = socket;
    this.#framer = new MllpFramer(maxAckBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.#framer.push(chunk)) {
        if (event.kind === 'frame') this.#deliver(event.payload);
        else if (event.kind === 'oversize') this.#waiters.shift()?.reject(new Error(`acknowledgement of ${event.size} bytes exceeds ${maxAckBytes}`));
      }
    });
    socket.on('error', (err) => {
      this.#failure ??= err;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#failure ??= new Error('MLLP connection closed');
        for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
        resolve();
      });
    });
  }

  send(payload: Buffer): Promise<Buffer> {
    const ack = this.receive();
    if (!this.#socket.destroyed) this.#socket.write(frame(payload));
    return ack;
  }

  receive(): Promise<Buffer> {
    const ready = this.#unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#socket.destroyed) return Promise.reject(this.#failure ?? new Error('MLLP connection closed'));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  sendRaw(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.#socket.end();
    const timer = setTimeout(() => this.#socket.destroy(), CLOSE_WAIT_MS).unref();
    await this.closed;
    clearTimeout(timer);
  }

  #deliver(ack: Buffer): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(ack);
    else this.#unclaimed.push(ack);
  }
}

/** Opens an MLLP connection (plain TCP, or TLS when `tls` is given); resolves once connected (TLS: handshake done). */
export function connectMllp(options: MllpClientOptions): Promise<MllpClient> {
  return new Promise((resolve, reject) => {
    const socket = options.tls ? tls.connect({ ...options.tls, host: options.host, port: options.port }) : net.connect({ host: options.host, port: options.port });
    socket.once('error', reject);
    socket.once(options.tls ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject);
      resolve(new Client(socket, options.maxAckBytes ?? DEFAULT_MAX_ACK_BYTES));
    });
  });
}
