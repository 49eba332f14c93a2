/**
 * `passerelle serve`: opens the database, applies migrations, listens, and shuts down
 * gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the database).
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import { loadR4Definitions, ProfileRegistry } from '../fhir/index.ts';
import { bedAvailabilityRule, hospitalOperations, loadProfiles } from '../profiles/index.ts';
import { subscriptionRules } from '../events/subscriptions/index.ts';
import { createApp, VERSION } from './app.ts';
import { createFhirRouter } from './fhir-router.ts';
import { startEvents, type RunningEvents } from './events.ts';
import { isLoopback, type Config } from './config.ts';
import { openDatabase } from './database/open.ts';
import { createMetrics } from './metrics.ts';
import { createHl7Pipeline, startMllp } from './hl7.ts';
import type { MllpServer } from '../hl7-bridge/index.ts';
import { migrate } from './migrations.ts';
import { createAuth } from './auth.ts';
import { createExport } from './export.ts';
import { startIgtl } from './igtl.ts';
import type { IgtlServer } from '../igtlink/index.ts';
import { Repository } from '../fhir/index.ts';
import { DicomFileStore, internalStore } from '../dicomweb/index.ts';
import { MllpGuard } from '../auth/mllp-guard.ts';
import { safeError, type Logger } from './logger.ts';

export interface RunningServer {
  server: Server;
  /** The MLLP listener's port, when MLLP_PORT is not 0. */
  mllpPort: number | undefined;
  /** The OpenIGTLink listener's port, when IGTL_PORT is not 0. */
  igtlPort: number | undefined;
  /** Resolves once the server has shut down. */
  stop(): Promise<void>;
}

export async function serve(config: Config, logger: Logger): Promise<RunningServer> {
  loadR4Definitions();
  const db = await openDatabase(config);
  const applied = await migrate(db);
  logger.info({ database: db.kind, migrationsApplied: applied }, 'database ready');
  if (!config.authConfigured) {
    logger.warn({ host: config.host }, 'no authentication configured: serving loopback clients only');
  }
  const profiles = loadProfiles();
  const hooks = [bedAvailabilityRule, subscriptionRules];
  const pipeline = createHl7Pipeline(db, { profiles, hooks, logger, config });
  const auth = config.auth && createAuth(db, config.auth, { profiles, ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}) });
  const registry = new ProfileRegistry(profiles);
  const dicomDir = join(config.dataDir, 'dicom');
  const router = createFhirRouter({
    db, logger, profiles: registry, hooks, operations: hospitalOperations, softwareVersion: VERSION,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    ...(auth ? { security: auth.authenticator.methods() } : {}),
    bulkExport: true,
  });
  const bulkExport = createExport({ db, config, logger, profiles: registry, authConfigured: auth !== undefined });
  const metrics = createMetrics();
  const app = createApp({
    db, logger, metrics, profiles, hooks, router, operations: hospitalOperations, maxBodyBytes: config.maxBodyBytes, publicUrl: config.publicUrl,
    hl7: { pipeline, maxMessageBytes: config.hl7.maxMessageBytes },
    dicomweb: { dicomDir, maxRequestBytes: config.dicomweb.maxRequestBytes },
    openehr: { systemId: config.openehrSystemId },
    exportRouter: bulkExport.router,
    ...(auth ? { auth } : {}),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ host: config.host, port, loopbackOnly: isLoopback(config.host) }, 'listening: FHIR R4 at /fhir, DICOMweb at /dicomweb, HL7 v2 at /hl7/v2');
  let mllp: MllpServer | undefined;
  let igtl: IgtlServer | undefined;
  let events: RunningEvents | undefined;
  try {
    events = await startEvents({ db, config, logger, profiles: registry, hooks, router, hl7: pipeline, auth });
    events.attach(server);
    bulkExport.runner.start();
    const guard = auth && new MllpGuard({
      db, roleMap: auth.roleMap, auditRepo: auth.auditRepo, source: auth.auditSource,
      onError: (err) => logger.error({ error: safeError(err) }, 'an AuditEvent could not be written'),
    });
    mllp = config.mllpPort === 0 ? undefined : await startMllp(pipeline, config, logger, guard);
    // OpenIGTLink images go into the same DICOM store as STOW-RS (the same files, index and ImagingStudy).
    const repository = new Repository(db, registry, { hooks });
    const storeDicom = internalStore({
      db, files: new DicomFileStore(dicomDir), repositoryIn: (tx) => new Repository(db, registry, { hooks, tx }),
      repository, endpointAddress: `${config.publicUrl ?? ownUrl(config.host, port)}/dicomweb`,
    });
    igtl = await startIgtl({ config, logger, metrics, repository, storeDicom, live: events.stream });
  } catch (err) {
    server.close();
    await mllp?.close(0);
    await igtl?.close();
    await bulkExport.runner.stop();
    await events?.stop();
    await db.close();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('shutting down: no new connections, finishing requests in flight');
      const mllpClosed = mllp?.close(config.shutdownGraceSeconds * 1000);
      const igtlClosed = igtl?.close();
      const eventsStopped = events?.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), config.shutdownGraceSeconds * 1000);
      await closed;
      await mllpClosed;
      await igtlClosed;
      await eventsStopped;
      await bulkExport.runner.stop();
      clearTimeout(grace);
      await auth?.close();
      await db.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { server, mllpPort: mllp?.port, igtlPort: igtl?.port, stop };
}

/** This server's address when no PUBLIC_URL says it: its host, or localhost when it listens on all. */
function ownUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://localhost:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
