/**
 * Wiring of the change feed: this instance's live feed and the `/events` stream, the durable
 * consumers (FHIR Subscriptions, AMQP out) each under its lease, the AMQP inbound queues, and the
 * pruning of delivered changes. Everything here may run on several instances at once.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Database, FhirRouter } from '../fhir/index.ts';
import { attachWebSockets, type ConsumerRunner, LiveFeed, LiveStream, LocationIndex, pruneChanges, type UpgradeAuthenticator, type WebSocketEndpoints } from '../events/index.ts';
import type { Hl7Pipeline } from '../hl7-bridge/index.ts';
import { auditEvent, type AccessRecord } from '../auth/audit-event.ts';
import { accessPolicy } from '../auth/policy.ts';
import { permissionsOf } from '../auth/roles.ts';
import type { AuthWiring } from './auth.ts';
import type { Config } from './config.ts';
import { safeError, type Logger } from './logger.ts';

/** How often delivered changes older than the retention are pruned. */
const PRUNE_EVERY_MS = 60_000;

export interface EventsDependencies {
  db: Database;
  config: Config;
  logger: Logger;
  router: FhirRouter;
  hl7: Hl7Pipeline;
  auth: AuthWiring | undefined;
}

export interface RunningEvents {
  /** Serves `/events` and `/fhir/ws` on the HTTP server. */
  attach(server: Server): void;
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

  const runners: ConsumerRunner[] = [];
  for (const runner of runners) await runner.start();

  const prune = setInterval(() => {
    pruneChanges(db, config.events.retentionHours * 3600)
      .then((pruned) => pruned > 0 && logger.info({ pruned }, 'change feed pruned'))
      .catch(onError('the change feed could not be pruned'));
  }, PRUNE_EVERY_MS);
  prune.unref();

  let sockets: WebSocketEndpoints | undefined;
  return {
    attach(server) {
      sockets = attachWebSockets(server, [stream.endpoint()], {
        ...(deps.auth ? { authenticate: upgradeAuthenticator(deps.auth, logger) } : {}),
      });
    },
    async stop() {
      clearInterval(prune);
      sockets?.close();
      stream.close();
      await Promise.all([feed.stop(), ...runners.map((runner) => runner.stop())]);
    },
  };
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
