/**
 * The server's FHIR router: the repository with the write rules, the operations, bundles and the
 * CapabilityStatement. One router serves HTTP (`/fhir`) and the AMQP inbound queue alike.
 */
import { bundleProcessor, capabilityStatement, coreOperations, FhirRouter, Repository, type Database, type Operation, type ProfileRegistry, type WriteHook } from '../fhir/index.ts';
import { safeError, type Logger } from './logger.ts';

export interface FhirRouterDependencies {
  db: Database;
  logger: Logger;
  profiles: ProfileRegistry;
  hooks?: WriteHook[];
  operations?: Operation[];
  publicUrl?: string;
  softwareVersion: string;
  /** The authentication services offered, for the CapabilityStatement. */
  security?: ('Kerberos' | 'Basic' | 'OAuth')[];
  /** Bulk Data export is served alongside (server/export.ts), for the CapabilityStatement. */
  bulkExport?: boolean;
}

export function createFhirRouter(deps: FhirRouterDependencies): FhirRouter {
  const operations = coreOperations(deps.operations);
  return new FhirRouter({
    repo: new Repository(deps.db, deps.profiles, { hooks: deps.hooks }),
    operations,
    bundles: bundleProcessor,
    capabilityStatement: () =>
      capabilityStatement({
        baseUrl: `${deps.publicUrl ?? ''}/fhir`, softwareVersion: deps.softwareVersion, profiles: deps.profiles.all(), operations: operations.all(),
        websocketUrl: `${deps.publicUrl?.replace(/^http/, 'ws') ?? ''}/fhir/ws`,
        ...(deps.security ? { security: deps.security } : {}),
        ...(deps.bulkExport ? { bulkExport: true } : {}),
      }),
    onUnexpectedError: (err) => deps.logger.error({ error: safeError(err) }, 'unexpected error in FHIR request'),
  });
}
