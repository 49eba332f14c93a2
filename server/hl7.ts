/**
 * Wiring of the HL7 v2 bridge: the pipeline on the server's database, profiles and write hooks,
 * and the MLLP listener (plain or TLS) in front of it.
 */
import { readFileSync } from 'node:fs';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { ProfileRegistry, Repository, type Database, type WriteHook } from '../fhir/index.ts';
import { Hl7Pipeline, startMllpServer, type MllpServer } from '../hl7-bridge/index.ts';
import type { Config } from './config.ts';
import type { MllpGuard } from '../auth/mllp-guard.ts';
import type { Principal } from '../auth/principal.ts';
import type { Logger } from './logger.ts';

/** setTimeout's largest delay: an idle timeout of 0 ("never") becomes this. */
const NEVER_MS = 2 ** 31 - 1;

export function createHl7Pipeline(db: Database, deps: { profiles: StructureDefinition[]; hooks: WriteHook[]; logger: Logger; config: Config }): Hl7Pipeline {
  const profiles = new ProfileRegistry(deps.profiles);
  const { hl7 } = deps.config;
  return new Hl7Pipeline({
    db,
    repositoryIn: (tx) => new Repository(db, profiles, { hooks: deps.hooks, tx }),
    logger: deps.logger,
    options: { unknownLocations: hl7.unknownLocations, releasedBedStatus: hl7.releasedBedStatus, defaultTimeZone: hl7.timeZone },
  });
}

/** Starts the MLLP listener on MLLP_PORT (the caller skips it when the port is 0). */
export function startMllp(pipeline: Hl7Pipeline, config: Config, logger: Logger, guard?: MllpGuard): Promise<MllpServer> {
  const { hl7 } = config;
  const tls = hl7.tls && {
    cert: readFileSync(hl7.tls.certFile),
    key: readFileSync(hl7.tls.keyFile),
    ...(hl7.tls.caFile ? { ca: readFileSync(hl7.tls.caFile) } : {}),
  };
  return startMllpServer({
    host: config.host,
    port: config.mllpPort,
    maxMessageBytes: hl7.maxMessageBytes,
    idleTimeoutMs: hl7.idleTimeoutSeconds === 0 ? NEVER_MS : hl7.idleTimeoutSeconds * 1000,
    ...(tls ? { tls } : {}),
    ...(hl7.allowedPeers ? { allowedPeers: hl7.allowedPeers } : {}),
    logger,
    handler: {
      handle: async (payload, peer) => {
        let principal: Principal | undefined;
        if (guard && peer.clientCertificate !== undefined) {
          principal = await guard.accountOf(peer.clientCertificate);
          if (!principal) {
            guard.audit(undefined, peer.address, 'minor', 'the client certificate names no service account allowed to send HL7');
            // Rejecting closes this connection without an ACK: nothing from this peer is taken.
            throw new Error('MLLP client certificate without a service account allowed hl7:ingest');
          }
        }
        const result = await pipeline.receive(payload, 'mllp');
        guard?.audit(principal, peer.address, result.status === 'applied' || result.duplicate ? 'success' : 'minor', result.status);
        return result.ack ?? Buffer.alloc(0);
      },
      oversize: (head, size) => pipeline.oversizeAck(head, size, hl7.maxMessageBytes),
    },
  });
}
