/**
 * Wiring of the HTTP application: the FHIR endpoint, health, readiness and metrics,
 * with one log line and one metric observation per request.
 */
import express, { type Express, type Router } from 'express';
import { readFileSync } from 'node:fs';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { fhirExpressRouter, ProfileRegistry, Repository, type Database, type FhirRouter, type Operation, type WriteHook } from '../fhir/index.ts';
import { hl7AdminRouter, hl7HttpRouter, type Hl7Pipeline } from '../hl7-bridge/index.ts';
import { DicomFileStore, dicomwebRouter } from '../dicomweb/index.ts';
import { consoleRouter } from './console.ts';
import { openehrRouter } from '../openehr/index.ts';
import { auditTrail } from '../auth/audit-trail.ts';
import { authenticate, callerOf, requireCapability, requireDicomweb, requireOpenEhr } from '../auth/middleware.ts';
import { tokenRouter } from '../auth/token-route.ts';
import { clientsRouter } from '../auth/clients-route.ts';
import type { AuthWiring } from './auth.ts';
import { createFhirRouter } from './fhir-router.ts';
import { safeError, type Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface AppDependencies {
  db: Database;
  logger: Logger;
  metrics: Metrics;
  profiles: StructureDefinition[];
  /** Rules run in the transaction of each write they are interested in (see fhir/write-hooks.ts). */
  hooks?: WriteHook[];
  /** Operations beyond the core ones (e.g. the hospital model's). */
  operations?: Operation[];
  maxBodyBytes: number;
  publicUrl?: string;
  /** The HL7 v2 bridge, served at /hl7/v2 and /admin/hl7 when given. */
  hl7?: { pipeline: Hl7Pipeline; maxMessageBytes: number };
  /** The DICOMweb server, served at /dicomweb when given: where its files live and the largest STOW request. */
  dicomweb?: { dicomDir: string; maxRequestBytes: number };
  /** The openEHR REST API, served at /openehr/v1 when given: the system id of the version uids it assigns. */
  openehr?: { systemId: string };
  /** The FHIR Bulk Data export routes (server/export.ts), served on /fhir ahead of the FHIR router. */
  exportRouter?: Router;
  /** The FHIR router (shared with other entry points); absent: one is made from the above. */
  router?: FhirRouter;
  /** Authentication, roles and the audit trail; absent: loopback-only mode, nothing checked or audited. */
  auth?: AuthWiring;
}

export function createApp(deps: AppDependencies): Express {
  const { db, logger, metrics } = deps;
  const profiles = new ProfileRegistry(deps.profiles);
  const router = deps.router ?? createFhirRouter({
    db, logger, profiles, softwareVersion: VERSION,
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
    ...(deps.operations ? { operations: deps.operations } : {}),
    ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
    ...(deps.auth ? { security: deps.auth.authenticator.methods() } : {}),
  });
  const repository = router.options.repo;

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = (res.locals.route as string | undefined) ?? (req.route ? `${req.method} ${req.route.path}` : `${req.method} (unmatched)`);
      metrics.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.latency.observe({ method: req.method, route }, seconds);
      logger.info({ route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10, bytes: Number(res.get('content-length') ?? 0) }, 'request');
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await db.query('SELECT 1');
      res.json({ status: 'ready', database: db.kind });
    } catch {
      res.status(503).json({ status: 'unavailable', database: db.kind });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  // WebSocket endpoints answer upgrade requests only (server/events.ts); a plain GET is told so.
  for (const path of ['/events', '/fhir/ws']) {
    app.get(path, (_req, res) => {
      res.status(426).set('Upgrade', 'websocket').type('text/plain').send(`${path} is a WebSocket endpoint: connect with Upgrade: websocket\n`);
    });
  }
  app.use('/console', consoleRouter());
  const { auth } = deps;
  if (auth) {
    app.use(auditTrail({ repo: auth.auditRepo, source: auth.auditSource, onError: (err) => logger.error({ error: safeError(err) }, 'an AuditEvent could not be written') }));
    app.use('/auth', tokenRouter(auth.authenticator, auth.tokens));
    const login = authenticate(auth.authenticator, auth.roleMap);
    // The CapabilityStatement stays public: clients read it to learn how to authenticate.
    app.use('/fhir', (req, res, next) => (req.path === '/metadata' && req.method === 'GET' ? next() : login(req, res, next)));
    for (const path of ['/dicomweb', '/openehr', '/hl7', '/admin']) app.use(path, login);
    app.use('/admin', requireCapability('admin'));
    app.use('/hl7', requireCapability('hl7:ingest'));
    app.use('/dicomweb', requireDicomweb());
    app.use('/openehr', requireOpenEhr());
    app.use('/admin/clients', clientsRouter(db, auth.roleMap));
  }
  if (deps.hl7) {
    app.use('/hl7/v2', hl7HttpRouter(deps.hl7));
    app.use('/admin/hl7', hl7AdminRouter({ db, pipeline: deps.hl7.pipeline }));
  }
  if (deps.dicomweb) {
    app.use('/dicomweb', dicomwebRouter({
      db,
      files: new DicomFileStore(deps.dicomweb.dicomDir),
      repositoryIn: (tx) => new Repository(db, profiles, { hooks: deps.hooks, tx }),
      repository,
      maxRequestBytes: deps.dicomweb.maxRequestBytes,
      ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
      onUnexpectedError: (err) => logger.error({ error: safeError(err) }, 'unexpected error in DICOMweb request'),
    }));
  }
  if (deps.openehr) {
    app.use('/openehr/v1', openehrRouter({
      db,
      systemId: deps.openehr.systemId,
      ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
      onUnexpectedError: (err) => logger.error({ error: safeError(err) }, 'unexpected error in openEHR request'),
    }));
  }
  if (deps.exportRouter) app.use('/fhir', deps.exportRouter);
  app.use('/fhir', fhirExpressRouter({
    router, maxBodyBytes: deps.maxBodyBytes, baseUrl: deps.publicUrl && `${deps.publicUrl}/fhir`,
    accessOf: (req) => (req.res ? callerOf(req.res)?.access : undefined),
  }));
  app.use((req, res) => {
    res.locals.route = `${req.method} (unmatched)`;
    res.status(404).json({ error: 'not found' });
  });
  return app;
}
