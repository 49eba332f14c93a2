/**
 * WebSocket endpoints on the HTTP server (`/events`, `/fhir/ws`): one upgrade handler routes by
 * path, authenticates the upgrade request like any other request, and hands the socket with the
 * caller's access policy to the endpoint. Refusals are plain HTTP answers to the upgrade request
 * (401 with the challenges, 403, 404), as RFC 6455 section 4.1 lets a server do.
 * @see https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2
 */
import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AccessPolicy } from '../fhir/index.ts';

/** What authenticating an upgrade request gives: the caller's access, or the HTTP refusal. */
export type UpgradeAuthentication =
  | { ok: true; access: AccessPolicy | undefined }
  | { ok: false; status: number; reason: string; headers?: Record<string, string> };

export type UpgradeAuthenticator = (req: IncomingMessage) => Promise<UpgradeAuthentication>;

export interface WebSocketEndpoint {
  /** The request path it serves, e.g. `/events` (the query string is the endpoint's). */
  path: string;
  /** A refusal for a request the endpoint cannot serve (e.g. bad filters), checked before the upgrade. */
  check?(url: URL): { status: number; reason: string } | undefined;
  onConnection(socket: WebSocket, url: URL, access: AccessPolicy | undefined): void;
}

export interface WebSocketOptions {
  /** Absent: no authentication (the loopback-only mode). */
  authenticate?: UpgradeAuthenticator;
  /** Largest message accepted from a client, in bytes. */
  maxPayload?: number;
  /** Seconds between protocol pings; a client that does not answer one is dropped. */
  heartbeatSeconds?: number;
}

export interface WebSocketEndpoints {
  /** Closes every socket (code 1001, going away) and stops accepting upgrades. */
  close(): void;
}

export function attachWebSockets(server: Server, endpoints: WebSocketEndpoint[], options: WebSocketOptions = {}): WebSocketEndpoints {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 64 * 1024 });
  const alive = new WeakSet<WebSocket>();
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, (options.heartbeatSeconds ?? 30) * 1000);
  heartbeat.unref();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const endpoint = endpoints.find((e) => e.path === url.pathname);
      if (!endpoint) return refuseUpgrade(socket, 404, `no WebSocket endpoint at ${url.pathname}`);
      const auth: UpgradeAuthentication = options.authenticate ? await options.authenticate(req) : { ok: true, access: undefined };
      if (!auth.ok) return refuseUpgrade(socket, auth.status, auth.reason, auth.headers);
      const problem = endpoint.check?.(url);
      if (problem) return refuseUpgrade(socket, problem.status, problem.reason);
      wss.handleUpgrade(req, socket, head, (ws) => {
        alive.add(ws);
        ws.on('pong', () => alive.add(ws));
        endpoint.onConnection(ws, url, auth.access);
      });
    })().catch(() => refuseUpgrade(socket, 500, 'the upgrade could not be completed'));
  };
  server.on('upgrade', onUpgrade);
  return {
    close() {
      clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      for (const socket of wss.clients) socket.close(1001, 'server shutting down');
      wss.close();
    },
  };
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) return void socket.destroy();
  const body = `${reason}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
