/**
 * `passerelle serve`: opens the database, applies migrations, listens, and shuts down
 * gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the database).
 */
import type { Server } from 'node:http';
import { loadR4Definitions } from '../fhir/index.ts';
import { bedAvailabilityRule, hospitalOperations, loadProfiles } from '../profiles/index.ts';
import { createApp } from './app.ts';
import { isLoopback, type Config } from './config.ts';
import { openDatabase } from './database/open.ts';
import type { Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { migrate } from './migrations.ts';

export interface RunningServer {
  server: Server;
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
  const app = createApp({ db, logger, metrics: createMetrics(), profiles: loadProfiles(), hooks: [bedAvailabilityRule], operations: hospitalOperations, maxBodyBytes: config.maxBodyBytes, publicUrl: config.publicUrl });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ host: config.host, port, loopbackOnly: isLoopback(config.host) }, 'listening: FHIR R4 at /fhir');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('shutting down: no new connections, finishing requests in flight');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), config.shutdownGraceSeconds * 1000);
      await closed;
      clearTimeout(grace);
      await db.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { server, stop };
}
