/**
 * `GET /events` (WebSocket): the live stream for screens (the OR supervision console, dispatch).
 * Each committed change is sent as one JSON text message, filtered by resource type and by
 * Location subtree, and by what the caller may see:
 *
 *   /events?type=Device,Observation&location=Location/or-3
 *   <- {"event":"open","types":["Device","Observation"],"location":"or-3"}
 *   <- {"event":"change","seq":"812","interaction":"update","resourceType":"Device","id":"pump-1",
 *       "versionId":"4","at":"2026-12-02T10:00:00.000Z","resource":{...}}
 *   <- {"event":"change","interaction":"delete",...,"reference":"Device/pump-1"}  (no resource)
 *
 * Events that are not stored changes (a tracked tool's pose at full rate) are sent the same way,
 * judged by the resource they stand for:
 *   <- {"event":"pose","resourceType":"Observation","location":"or-3","resource":{...}}
 *
 * It is a live view: a client that is not connected misses what happens meanwhile (it reloads
 * by FHIR search when it reconnects). A client that reads too slowly is disconnected (1013)
 * rather than buffered without bound.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { WebSocket } from 'ws';
import { isKnownResourceType, type AccessPolicy } from '../fhir/index.ts';
import type { Change } from './change.ts';
import { referenceOf } from './change.ts';
import type { LiveFeed } from './live-feed.ts';
import type { LocationIndex } from './location-index.ts';
import type { WebSocketEndpoint } from './websocket-server.ts';

export interface StreamFilter {
  /** Resource types to send; empty: all. */
  types: Set<string>;
  /** A Location id: send only what is at it or inside it. */
  location: string | undefined;
}

export class StreamFilterError extends Error {}

const LOCATION = /^(?:Location\/)?([A-Za-z0-9\-.]{1,64})$/;
const PARAMETERS = new Set(['type', 'location', 'access_token']);

/** Reads the filters of an `/events` URL; throws StreamFilterError with a readable reason. */
export function parseStreamFilter(query: URLSearchParams): StreamFilter {
  for (const name of query.keys()) {
    if (!PARAMETERS.has(name)) throw new StreamFilterError(`unknown parameter "${name}" (type, location)`);
  }
  const types = new Set(query.getAll('type').flatMap((value) => value.split(',')).map((type) => type.trim()).filter((type) => type !== ''));
  for (const type of types) if (!isKnownResourceType(type)) throw new StreamFilterError(`unknown resource type "${type}"`);
  const locations = query.getAll('location');
  if (locations.length > 1) throw new StreamFilterError('location may be given once');
  let location: string | undefined;
  if (locations[0] !== undefined) {
    const match = LOCATION.exec(locations[0]);
    if (!match) throw new StreamFilterError(`location must be Location/<id>, not "${locations[0]}"`);
    location = match[1];
  }
  return { types, location };
}

export interface LiveStreamOptions {
  /** Bytes a client may have waiting before it is disconnected as too slow. */
  maxBufferedBytes?: number;
}

interface Client {
  socket: WebSocket;
  filter: StreamFilter;
  access: AccessPolicy | undefined;
}

/** The `/events` endpoint, fed by this instance's live feed. */
export class LiveStream {
  readonly #clients = new Set<Client>();
  readonly #index: LocationIndex;
  readonly #maxBufferedBytes: number;
  readonly #unsubscribe: () => void;

  constructor(feed: LiveFeed, index: LocationIndex, options: LiveStreamOptions = {}) {
    this.#index = index;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.#unsubscribe = feed.subscribe((changes) => this.#send(changes));
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  endpoint(): WebSocketEndpoint {
    return {
      path: '/events',
      check: (url) => {
        try {
          parseStreamFilter(url.searchParams);
          return undefined;
        } catch (err) {
          if (err instanceof StreamFilterError) return { status: 400, reason: err.message };
          throw err;
        }
      },
      onConnection: (socket, url, access) => this.#connect(socket, parseStreamFilter(url.searchParams), access),
    };
  }

  /** Stops following the feed (the sockets are closed by the WebSocket server). */
  close(): void {
    this.#unsubscribe();
    this.#clients.clear();
  }

  #connect(socket: WebSocket, filter: StreamFilter, access: AccessPolicy | undefined): void {
    const client: Client = { socket, filter, access };
    this.#clients.add(client);
    socket.on('close', () => this.#clients.delete(client));
    socket.on('error', () => this.#clients.delete(client));
    socket.send(JSON.stringify({ event: 'open', types: [...filter.types], ...(filter.location ? { location: filter.location } : {}) }));
  }

  /**
   * Sends an event that is not a stored change (e.g. a pose at full rate) to the clients whose
   * filter and access admit `resource`, the resource it stands for, at Location `location`.
   */
  broadcast(event: string, resource: Resource, location: string | undefined, extra: Record<string, unknown> = {}): void {
    let message: string | undefined;
    for (const client of this.#clients) {
      const { filter, access, socket } = client;
      if (filter.types.size > 0 && !filter.types.has(resource.resourceType)) continue;
      if (access && !access.mayReturn(resource)) continue;
      if (filter.location !== undefined && (location === undefined || !this.#index.isWithin(location, filter.location))) continue;
      if (!this.#keepUp(client)) continue;
      message ??= JSON.stringify({ event, resourceType: resource.resourceType, ...(location ? { location } : {}), ...extra, resource });
      socket.send(message);
    }
  }

  /** False (and the client dropped) when it reads too slowly to be sent more. */
  #keepUp(client: Client): boolean {
    if (client.socket.bufferedAmount <= this.#maxBufferedBytes) return true;
    client.socket.close(1013, 'reading too slowly: reconnect and reload');
    this.#clients.delete(client);
    return false;
  }

  #send(changes: Change[]): void {
    for (const change of changes) {
      const locations = this.#index.follow(change);
      let message: string | undefined; // serialised once, for every client that gets it
      for (const client of this.#clients) {
        const { filter, access, socket } = client;
        if (filter.types.size > 0 && !filter.types.has(change.resourceType)) continue;
        // A change is judged by its content (for a delete, what was deleted); none: not sent.
        if (access && (!change.resource || !access.mayReturn(change.resource))) continue;
        if (filter.location !== undefined && ![...locations].some((at) => this.#index.isWithin(at, filter.location as string))) continue;
        if (!this.#keepUp(client)) continue;
        message ??= JSON.stringify(streamMessage(change));
        socket.send(message);
      }
    }
  }
}

function streamMessage(change: Change): Record<string, unknown> {
  const { seq, interaction, resourceType, id, versionId, at } = change;
  const base = { event: 'change', seq, interaction, resourceType, id, versionId, at };
  return interaction === 'delete' ? { ...base, reference: referenceOf(change) } : { ...base, resource: change.resource };
}
