/**
 * The OpenIGTLink TCP server (IGTL_PORT, default 18944): many devices at once, each connection
 * on its own (a peer sending garbage is answered and, if need be, closed, and no other one
 * waits for it), idle connections closed after a while, and a graceful close.
 */
import net from 'node:net';
import { DEFAULT_MAX_BODY_SIZE } from '../codec/index.ts';
import { IgtlConnection, type IgtlSink } from './connection.ts';

export interface IgtlServerOptions {
  host: string;
  port: number;
  sink: IgtlSink;
  maxBodySize?: number;
  /** A connection silent this long is closed (0: never). Trackers send many times a second. */
  idleTimeoutMs?: number;
}

export interface IgtlServer {
  port: number;
  /** Connections open now. */
  connections(): number;
  /** Stops accepting, lets the messages read be handled, then closes every connection. */
  close(): Promise<void>;
}

export async function startIgtlServer(options: IgtlServerOptions): Promise<IgtlServer> {
  const open = new Map<net.Socket, IgtlConnection>();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    if (options.idleTimeoutMs) socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => open.delete(socket));
    open.set(socket, new IgtlConnection(socket, options.sink, options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    connections: () => open.size,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open.keys()) socket.pause();
      await Promise.all([...open.values()].map((connection) => connection.drained()));
      for (const socket of open.keys()) socket.destroy();
      await closed;
    },
  };
}
