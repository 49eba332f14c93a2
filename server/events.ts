/**
 * Wiring of the change feed: this instance's live feed and the `/events` stream, the durable
 * consumers (FHIR Subscriptions, AMQP out) each under its lease, the AMQP inbound queues, and the
 * pruning of delivered changes. Everything here may run on several instances at once.
 */
import type { IncomingMessage, Server } from 'node:http';
import { Repository, type Database, type FhirRouter, type ProfileRegistry, type Queryable, type WriteHook } from '../fhir/index.ts';
import { attachWebSockets, ConsumerRunner, LiveFeed, LiveStream, LocationIndex, pruneChanges, type UpgradeAuthenticator, type WebSocketEndpoints } from '../events/index.ts';
import { RestHookDeliverer, subscriptionsConsumer, subscriptionWebSocket } from '../events/subscriptions/index.ts';
import { maskedUrl, startAmqpBridge, type AmqpBridge } from '../events/amqp/index.ts';
import type { Hl7Pipeline } from '../hl7-bridge/index.ts';
import { auditEvent, type AccessRecord } from '../auth/audit-event.ts';
import { accessPolicy } from '../auth/policy.ts';
import { permissionsOf } from '../auth/roles.ts';
import type { AuthWiring } from './auth.ts';
import type { AmqpConfig, Config } from './config.ts';
import { safeError, type Logger } from './logger.ts';

/** How often delivered changes older than the retention are pruned. */
const PRUNE_EVERY_MS = 60_000;

export interface EventsDependencies {
  db: Database;
  config: Config;
  logger: Logger;
  profiles: ProfileRegistry;
  /** The write rules every write runs (the subscriptions' own writes too). */
  hooks: WriteHook[];
  router: FhirRouter;
  hl7: Hl7Pipeline;
  auth: AuthWiring | undefined;
}

export interface RunningEvents {
  /** Serves `/events` and `/fhir/ws` on the HTTP server. */
  attach(server: Server): void;
  /** The `/events` stream, for events that are not stored changes (OpenIGTLink poses at full rate). */
  stream: LiveStream;
  stop(): Promise<void>;
}

export async function startEvents(deps: EventsDependencies): Promise<RunningEvents> {
  const { db, config, logger } = deps;
  const { pollMs } = config.events;
  const onError = (what: string) => (err: unknown): void => logger.error({ error: safeError(err) }, what);

  const feed = new LiveFeed(db, { pollMs, onError: onError('the live change feed could not be read') });
  const index = new LocationIndex();
  const stream = new LiveStream(feed, index);
  await feed.start();
  await index.load(db);

  const repository = new Repository(db, deps.profiles, { hooks: deps.hooks });
  const repositoryIn = (tx: Queryable): Repository => new Repository(db, deps.profiles, { hooks: deps.hooks, tx });
  const consumerOptions = { pollMs, onError: (err: unknown, consumer: string) => logger.error({ consumer, error: safeError(err) }, 'a change feed consumer failed; retrying') };
  const runners = [new ConsumerRunner(db, subscriptionsConsumer(repositoryIn), consumerOptions)];
  const amqp = config.events.amqp && startAmqp(deps, config.events.amqp);
  if (amqp) runners.push(new ConsumerRunner(db, amqp.publisher, consumerOptions));
  for (const runner of runners) await runner.start();
  const restHook = new RestHookDeliverer(db, repositoryIn, {
    maxAttempts: config.events.restHookMaxAttempts,
    onAttemptFailed: ({ subscriptionId, attempts, reason, givenUp }) =>
      logger.warn({ subscription: subscriptionId, attempts, reason, givenUp }, givenUp ? 'rest-hook notification given up: Subscription set to error' : 'rest-hook notification failed; will retry'),
    onError: onError('the rest-hook deliverer failed'),
  });
  restHook.start();
  const subscriptionSockets = subscriptionWebSocket(feed, repository, { onError: onError('websocket subscriptions could not be matched') });

  const prune = setInterval(() => {
    pruneChanges(db, config.events.retentionHours * 3600)
      .then((pruned) => pruned > 0 && logger.info({ pruned }, 'change feed pruned'))
      .catch(onError('the change feed could not be pruned'));
  }, PRUNE_EVERY_MS);
  prune.unref();

  let sockets: WebSocketEndpoints | undefined;
  return {
    stream,
    attach(server) {
      sockets = attachWebSockets(server, [stream.endpoint(), subscriptionSockets], {
        ...(deps.auth ? { authenticate: upgradeAuthenticator(deps.auth, logger) } : {}),
      });
    },
    async stop() {
      clearInterval(prune);
      sockets?.close();
      stream.close();
      subscriptionSockets.close();
      await Promise.all([feed.stop(), restHook.stop(), ...runners.map((runner) => runner.stop())]);
      await amqp?.stop();
    },
  };
}

/**
 * The AMQP bridge: the publisher (run above as a durable consumer) and the inbound queues, which
 * go through the same HL7 pipeline and FHIR router as MLLP and HTTP. It connects in the
 * background: a broker that is down delays publishing, it does not stop the server.
 */
function startAmqp(deps: EventsDependencies, settings: AmqpConfig): AmqpBridge {
  const { logger } = deps;
  logger.info({ url: maskedUrl(settings.url), exchange: settings.exchange, queues: settings.queues }, 'AMQP bridge starting');
  return startAmqpBridge({
    url: settings.url,
    exchange: settings.exchange,
    prefetch: settings.prefetch,
    queues: { ...(settings.queues.hl7v2 ? { hl7v2: settings.queues.hl7v2 } : {}), ...(settings.queues.fhir ? { fhir: settings.queues.fhir } : {}) },
    ...(settings.queues.hl7v2 ? { hl7: deps.hl7 } : {}),
    ...(settings.queues.fhir ? { fhir: { router: deps.router, baseUrl: `${deps.config.publicUrl ?? ''}/fhir` } } : {}),
    logger,
    onError: (err, where) => logger.error({ where, error: safeError(err) }, 'AMQP bridge failure'),
  });
}

/**
 * Authenticates a WebSocket upgrade as any other request, and audits it (an AuditEvent per
 * connection, allowed or refused, with the filters as its query; tokens redacted). Browsers
 * cannot set headers on a WebSocket, so a bearer token may also come as `access_token`.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.3
 */
function upgradeAuthenticator(auth: AuthWiring, logger: Logger): UpgradeAuthenticator {
  return async (req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = url.searchParams.get('access_token');
    const authorization = req.headers.authorization ?? (token ? `Bearer ${token}` : undefined);
    const address = req.socket.remoteAddress ?? '';
    const result = await auth.authenticator.authenticate(authorization, address);
    const audit = (record: Pick<AccessRecord, 'principal' | 'outcome' | 'outcomeText'>): void => {
      const full: AccessRecord = {
        ...record, address, channel: 'events', interaction: url.pathname === '/events' ? 'stream' : 'websocket', at: new Date(),
        ...(url.search ? { query: `GET ${url.pathname}${url.search}` } : {}),
      };
      auth.auditRepo.create(auditEvent(full, auth.auditSource)).catch((err: unknown) => logger.error({ error: safeError(err) }, 'an AuditEvent could not be written'));
    };
    if (!result.ok) {
      audit({ principal: undefined, outcome: 'minor', outcomeText: result.reason });
      const headers: Record<string, string> = {};
      if (result.status === 401) headers['WWW-Authenticate'] = auth.authenticator.challenges().join(', ');
      if (result.retryAfterSeconds !== undefined) headers['Retry-After'] = String(result.retryAfterSeconds);
      return { ok: false, status: result.status, reason: result.reason, headers };
    }
    audit({ principal: result.principal, outcome: 'success' });
    return { ok: true, access: accessPolicy(permissionsOf(result.principal.roles, auth.roleMap)) };
  };
}
