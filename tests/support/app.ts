/** An HTTP app on a test database, as `serve` builds it, without listening on a port. */
import type { Express } from 'express';
import type { StructureDefinition } from '@medplum/fhirtypes';
import type { Database, Operation, WriteHook } from '../../fhir/index.ts';
import { loadR4Definitions } from '../../fhir/index.ts';
import { createApp } from '../../server/app.ts';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics.ts';

export function testApp(db: Database, options: { profiles?: StructureDefinition[]; maxBodyBytes?: number; hooks?: WriteHook[]; operations?: Operation[] } = {}): Express {
  loadR4Definitions();
  return createApp({
    db,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    metrics: createMetrics(),
    profiles: options.profiles ?? [],
    hooks: options.hooks,
    operations: options.operations,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
  });
}

export const FHIR_JSON = 'application/fhir+json';
