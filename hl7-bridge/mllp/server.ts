/**
 * The MLLP listener (plain TCP or TLS): one framer per connection, the messages of a connection
 * handled strictly one at a time in arrival order, each acknowledgement written as one block
 * with one write. Connections are independent: a slow or huge one never holds up the others.
 * @see HL7 Version 2.x Transport Specification: MLLP, Release 2
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { frame, MllpFramer, type FrameEvent } from './framer.ts';

export interface MllpPeer {
  address: string;
  port: number;
  tls: boolean;
  /** Verified client certificate subject CN, when TLS with client verification. */
  clientCertificate?: string;
}

export interface MllpHandler {
  /** One received message → the acknowledgement bytes to send back (unframed; empty when none is due). May reject (a bug): then the connection is closed and the error logged by kind only. */
  handle(payload: Buffer, peer: MllpPeer): Promise<Buffer>;
  /** A message over the size limit: its first bytes → the NAK bytes to send (unframed), or undefined to close the connection. */
  oversize(head: Buffer, size: number, peer: MllpPeer): Buffer | undefined;
}

export interface MllpServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  maxConnections?: number;
  /** With `ca`, client certificates are required and verified against it. */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer };
  /** Peers allowed to connect (checked before any TLS handshake); absent: any. */
  allowedPeers?: net.BlockList;
  handler: MllpHandler;
  logger: Logger;
}

export interface MllpServer {
  readonly port: number;
  /** Stop accepting, let in-flight messages finish and their ACKs be written (up to graceMs), then close every connection. */
  close(graceMs?: number): Promise<void>;
}

/** Reading pauses when this many received blocks wait on a connection, and resumes at QUEUE_LOW. */
const QUEUE_HIGH = 4;
const QUEUE_LOW = 1;
const DEFAULT_GRACE_MS = 5000;
/** How long a connection we ended may wait for the peer to close its side. */
const LINGER_MS = 5000;

type Block = Exclude<FrameEvent, { kind: 'garbage' }>;

/** What may be logged of a handler's error: its kind, never its message (it may quote the message). */
function errorKind(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const code = (err as { code?: unknown }).code;
  return { type: err.name, code: typeof code === 'string' ? code : undefined };
}

/** Ends our side, and destroys the socket if the peer has not closed its side within `lingerMs`. */
function endGently(socket: net.Socket, lingerMs: number): void {
  if (socket.destroyed || socket.writableEnded) return;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), lingerMs).unref();
  socket.once('close', () => clearTimeout(timer));
}

/** Resolves once the socket can take more writes (or is gone). */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

class MllpConnection {
  readonly #socket: net.Socket;
  readonly #peer: MllpPeer;
  readonly #options: MllpServerOptions;
  readonly #log: Logger;
  readonly #framer: MllpFramer;
  readonly #queue: Block[] = [];
  readonly #opened = Date.now();
  #busy = false;
  #closing = false;
  #peerEnded = false;
  #warnedGarbage = false;
  #messages = 0;
  #idle: NodeJS.Timeout | undefined;

  constructor(socket: net.Socket, peer: MllpPeer, options: MllpServerOptions) {
    this.#socket = socket;
    this.#peer = peer;
    this.#options = options;
    this.#log = options.logger.child({ peer: peer.address, peerPort: peer.port });
    this.#framer = new MllpFramer(options.maxMessageBytes);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => this.#received(chunk));
    socket.on('end', () => this.#ended());
    socket.on('error', (err: Error & { code?: string }) => this.#log.debug({ code: err.code }, 'mllp socket error'));
    socket.on('close', () => this.#closed());
    this.#log.debug({ tls: peer.tls, clientCertificate: peer.clientCertificate }, 'mllp connection opened');
    this.#armIdle();
  }

  /**
   * No more messages on this connection (server shutdown, or an oversize message without NAK):
   * the message being handled finishes and its ACK is written, queued ones are dropped (never
   * acknowledged, so the sender resends them), later bytes are read and discarded (to see the
   * peer's close), then our side ends.
   */
  shutdown(): void {
    this.#closing = true;
    this.#queue.length = 0;
    this.#stopIdle();
    this.#socket.resume();
    if (!this.#busy) endGently(this.#socket, LINGER_MS);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #received(chunk: Buffer): void {
    if (this.#closing) return;
    for (const event of this.#framer.push(chunk)) {
      if (event.kind === 'garbage') this.#garbage(event.bytes);
      else this.#queue.push(event);
    }
    if (this.#queue.length >= QUEUE_HIGH && !this.#socket.isPaused()) {
      this.#socket.pause();
      this.#log.debug({ queued: this.#queue.length }, 'mllp reading paused');
    }
    if (this.#queue.length > 0) void this.#drain();
    else this.#armIdle();
  }

  #garbage(bytes: number): void {
    const level = this.#warnedGarbage ? 'debug' : 'warn';
    this.#warnedGarbage = true;
    this.#log[level]({ bytes }, 'mllp bytes outside any block ignored');
  }

  /** Handles the queued blocks one at a time, in order; only one drain runs per connection. */
  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    this.#stopIdle();
    try {
      let block: Block | undefined;
      while (!this.#socket.destroyed && (block = this.#queue.shift()) !== undefined) {
        if (this.#socket.isPaused() && !this.#closing && this.#queue.length <= QUEUE_LOW) this.#socket.resume();
        const reply = block.kind === 'frame' ? await this.#handle(block.payload) : this.#oversize(block.head, block.size);
        if (reply === undefined || !this.#socket.writable) break;
        // An empty reply: no acknowledgement is due (the sender asked for none, MSH-15/16 NE).
        if (reply.length === 0) continue;
        // One write per acknowledgement: some senders read each ACK with a single recv.
        if (!this.#socket.write(frame(reply))) await drained(this.#socket);
      }
    } catch (err) {
      // A reply that is not a Buffer, say: a bug, which must cost this connection only.
      this.#log.error({ err: errorKind(err) }, 'mllp acknowledgement could not be written: closing the connection');
      this.#socket.destroy();
    }
    this.#busy = false;
    if (this.#closing || this.#peerEnded) endGently(this.#socket, LINGER_MS);
    else this.#armIdle();
  }

  /** The handler's acknowledgement, or undefined when it failed (the connection is then destroyed). */
  async #handle(payload: Buffer): Promise<Buffer | undefined> {
    const started = performance.now();
    try {
      const ack = await this.#options.handler.handle(payload, this.#peer);
      this.#messages++;
      this.#log.debug({ bytes: payload.length, ackBytes: ack.length, ms: Math.round(performance.now() - started) }, 'mllp message handled');
      return ack;
    } catch (err) {
      this.#log.error({ err: errorKind(err), bytes: payload.length }, 'mllp handler failed: closing the connection');
      this.#socket.destroy();
      return undefined;
    }
  }

  #oversize(head: Buffer, size: number): Buffer | undefined {
    let nak: Buffer | undefined;
    try {
      nak = this.#options.handler.oversize(head, size, this.#peer);
    } catch (err) {
      this.#log.error({ err: errorKind(err), bytes: size }, 'mllp oversize handler failed: closing the connection');
      this.#socket.destroy();
      return undefined;
    }
    this.#log.warn({ bytes: size, limit: this.#options.maxMessageBytes, nak: nak !== undefined }, 'mllp message over the size limit');
    if (nak === undefined) this.shutdown();
    return nak;
  }

  /** The peer closed its sending side: answer what was received, then end ours. */
  #ended(): void {
    this.#peerEnded = true;
    this.#stopIdle();
    for (const event of this.#framer.end()) if (event.kind === 'garbage') this.#garbage(event.bytes);
    if (!this.#busy && this.#queue.length === 0) endGently(this.#socket, LINGER_MS);
  }

  #closed(): void {
    this.#stopIdle();
    this.#queue.length = 0;
    const unfinished = this.#framer.pending;
    this.#log.debug({ messages: this.#messages, bytesIn: this.#socket.bytesRead, unfinishedBytes: unfinished, ms: Date.now() - this.#opened }, 'mllp connection closed');
  }

  /** (Re)starts the idle timer, unless a message is being handled or waits. */
  #armIdle(): void {
    this.#stopIdle();
    if (this.#busy || this.#closing || this.#queue.length > 0 || this.#socket.destroyed) return;
    this.#idle = setTimeout(() => {
      this.#log.debug({ idleTimeoutMs: this.#options.idleTimeoutMs, unfinishedBytes: this.#framer.pending }, 'mllp connection idle: closing');
      endGently(this.#socket, LINGER_MS);
    }, this.#options.idleTimeoutMs).unref();
  }

  #stopIdle(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = undefined;
  }
}

function peerOf(socket: net.Socket, secure: boolean): MllpPeer {
  const peer: MllpPeer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, tls: secure };
  if (socket instanceof tls.TLSSocket && socket.authorized) {
    const cn = socket.getPeerCertificate().subject?.CN as string | string[] | undefined;
    const first = Array.isArray(cn) ? cn[0] : cn;
    if (first) peer.clientCertificate = first;
  }
  return peer;
}

/**
 * Starts listening for MLLP connections; resolves once the port is bound.
 * @see HL7 Version 2.x Transport Specification: MLLP, Release 2
 */
export async function startMllpServer(options: MllpServerOptions): Promise<MllpServer> {
  const { logger } = options;
  if (!Number.isSafeInteger(options.maxMessageBytes) || options.maxMessageBytes < 1) throw new RangeError('maxMessageBytes must be a positive integer');
  if (!(options.idleTimeoutMs > 0)) throw new RangeError('idleTimeoutMs must be positive');
  const connections = new Set<MllpConnection>();
  /** Every accepted TCP socket, TLS handshakes included, to be destroyed when the grace ends. */
  const sockets = new Set<net.Socket>();
  let stopping = false;
  const requireClientCertificate = options.tls?.ca !== undefined;

  const peerAllowed = (socket: net.Socket): boolean => {
    const address = socket.remoteAddress ?? '';
    if (!options.allowedPeers || options.allowedPeers.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4')) return true;
    logger.warn({ peer: address, peerPort: socket.remotePort }, 'mllp connection refused: peer not in MLLP_ALLOWED_PEERS');
    return false;
  };

  const accept = (socket: net.Socket): void => {
    if (stopping || socket.destroyed || !peerAllowed(socket) || (requireClientCertificate && !(socket instanceof tls.TLSSocket && socket.authorized))) {
      socket.destroy();
      return;
    }
    const connection = new MllpConnection(socket, peerOf(socket, options.tls !== undefined), options);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  };

  const server = options.tls
    ? tls.createServer(
        { cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: requireClientCertificate, rejectUnauthorized: requireClientCertificate, minVersion: 'TLSv1.2', allowHalfOpen: true },
        accept,
      )
    : net.createServer({ allowHalfOpen: true }, accept);
  server.on('connection', (socket: net.Socket) => {
    // Over TLS, refused before the handshake (plain TCP: `accept` checks).
    if (options.tls && !peerAllowed(socket)) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  if (options.maxConnections !== undefined) {
    server.maxConnections = options.maxConnections;
    server.on('drop', (dropped) => logger.warn({ peer: dropped?.remoteAddress, peerPort: dropped?.remotePort, maxConnections: options.maxConnections }, 'mllp connection refused: too many connections'));
  }
  if (server instanceof tls.Server) {
    server.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => logger.warn({ peer: socket.remoteAddress, peerPort: socket.remotePort, code: err.code }, 'mllp TLS handshake failed'));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err: Error & { code?: string }) => logger.error({ err: errorKind(err) }, 'mllp server error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ host: options.host, port, tls: options.tls !== undefined, clientCertificates: requireClientCertificate }, 'mllp listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    close(graceMs = DEFAULT_GRACE_MS): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        stopping = true;
        const deadline = setTimeout(() => {
          for (const connection of connections) connection.destroy();
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        server.close(() => {
          clearTimeout(deadline);
          logger.info({ port }, 'mllp stopped');
          resolve();
        });
        for (const connection of connections) connection.shutdown();
      });
      return closing;
    },
  };
}
