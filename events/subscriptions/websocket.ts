/**
 * `/fhir/ws`: the R4 websocket channel. A client opens the socket and binds it to websocket
 * Subscriptions by id; the server then pings it for each matching change. Text messages:
 *
 *   -> bind <id>                 (one per message; a socket may bind several subscriptions)
 *   <- bound <id>                (as HAPI FHIR answers; R4 itself defines no answer)
 *   <- error <id> <reason>       (no such Subscription or not readable by the caller: "not found";
 *                                 "not a websocket subscription"; "subscription is off|error")
 *   <- ping <id>                 (a change matched the Subscription's criteria)
 *   <- {"resourceType":...}      (right after the ping, when the Subscription has channel.payload,
 *                                 e.g. application/fhir+json: the version written, if the caller
 *                                 may see it; never for a delete)
 *   <- error <reason>            (a message that is not "bind <id>")
 *
 * Notifications come from this instance's live feed, each instance notifying the sockets it
 * holds; a client that is not connected misses what happens meanwhile (as R4 websockets do).
 * A client that reads too slowly is disconnected (1013) rather than buffered without bound.
 * @see https://hl7.org/fhir/R4/subscription.html (websocket)
 */
import type { Subscription } from '@medplum/fhirtypes';
import type { WebSocket } from 'ws';
import type { AccessPolicy, Repository } from '../../fhir/index.ts';
import type { Change } from '../change.ts';
import type { LiveFeed } from '../live-feed.ts';
import type { WebSocketEndpoint } from '../websocket-server.ts';
import { carriesPayload, isNotified } from './channel.ts';
import { involvesSubscriptions, SubscriptionMatcher, type SubscriptionMatch } from './matcher.ts';

export const SUBSCRIPTION_WEBSOCKET_PATH = '/fhir/ws';

export interface SubscriptionWebSocketOptions {
  /** Subscriptions one socket may bind. */
  maxBindings?: number;
  /** Bytes a client may have waiting before it is disconnected as too slow. */
  maxBufferedBytes?: number;
  /** Told of errors while matching (e.g. the database); those notifications are lost, as live ones are. */
  onError?: (err: unknown) => void;
}

export interface SubscriptionWebSocket extends WebSocketEndpoint {
  /** Stops listening to the feed (the sockets are closed by attachWebSockets' close). */
  close(): void;
}

interface Client {
  socket: WebSocket;
  access: AccessPolicy | undefined;
  bound: Set<string>;
}

const BIND = /^bind ([A-Za-z0-9\-.]{1,64})$/;

/** The `/fhir/ws` endpoint; `repository` reads Subscriptions and runs the criteria searches. */
export function subscriptionWebSocket(feed: LiveFeed, repository: Repository, options: SubscriptionWebSocketOptions = {}): SubscriptionWebSocket {
  const maxBindings = options.maxBindings ?? 100;
  const maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  const clients = new Set<Client>();
  const matcher = new SubscriptionMatcher();
  let stale = true;
  // Batches are matched one after the other, so pings keep the feed's order.
  let chain: Promise<void> = Promise.resolve();

  const notify = async (changes: Change[]): Promise<void> => {
    if (involvesSubscriptions(changes)) stale = true;
    const bound = new Set([...clients].flatMap((c) => [...c.bound]));
    if (bound.size === 0) return;
    if (stale) {
      stale = false;
      await matcher.refresh(repository);
    }
    const matches = await matcher.match(changes, repository, (s) => s.channel === 'websocket' && bound.has(s.id));
    for (const match of matches) for (const client of clients) if (client.bound.has(match.subscription.id)) send(client, match);
  };

  const send = (client: Client, { subscription, change }: SubscriptionMatch): void => {
    const { socket, access } = client;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > maxBufferedBytes) return void socket.close(1013, 'too slow: notifications were waiting');
    socket.send(`ping ${subscription.id}`);
    const resource = change.resource;
    if (carriesPayload(subscription.resource) && change.interaction !== 'delete' && resource && (!access || access.mayReturn(resource))) {
      socket.send(JSON.stringify(resource));
    }
  };

  const bind = async (client: Client, id: string): Promise<string> => {
    const subscription = await repository.readIfExists<Subscription>('Subscription', id);
    // One answer for "absent" and "not yours", so a socket cannot probe which ids exist.
    if (!subscription || (client.access && !client.access.mayReturn(subscription))) return `error ${id} not found`;
    if (subscription.channel?.type !== 'websocket') return `error ${id} not a websocket subscription`;
    if (!isNotified(subscription)) return `error ${id} subscription is ${subscription.status ?? 'not active'}`;
    if (!client.bound.has(id) && client.bound.size >= maxBindings) return `error ${id} too many subscriptions on one socket (${maxBindings})`;
    client.bound.add(id);
    stale = true; // it may be newer than the cached set
    return `bound ${id}`;
  };

  const unsubscribe = feed.subscribe((changes) => {
    chain = chain.then(() => notify(changes)).catch((err: unknown) => options.onError?.(err));
  });

  return {
    path: SUBSCRIPTION_WEBSOCKET_PATH,
    onConnection(socket, _url, access) {
      const client: Client = { socket, access, bound: new Set() };
      clients.add(client);
      socket.on('close', () => clients.delete(client));
      socket.on('message', (data, isBinary) => {
        const text = isBinary ? '' : data.toString().trim();
        const id = BIND.exec(text)?.[1];
        if (!id) return void socket.send('error expected "bind <id>"');
        bind(client, id).then(
          (answer) => socket.readyState === socket.OPEN && socket.send(answer),
          (err: unknown) => {
            options.onError?.(err);
            if (socket.readyState === socket.OPEN) socket.send(`error ${id} the subscription could not be read`);
          },
        );
      });
    },
    close() {
      unsubscribe();
      clients.clear();
    },
  };
}
