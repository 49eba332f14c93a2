/**
 * Wiring of the OpenIGTLink bridge: the TCP server on HOST:IGTL_PORT (0: none), its sink writing
 * Devices and Observations through the repository (so bed and change-feed rules run as for any
 * write), images into the DICOMweb store, and poses to the `/events` stream, with its metrics and logs (device names, never data).
 */
import { IgtlBridge, RoomMap, startIgtlServer, UnstorableImageError, type IgtlServer, type LiveEvents, type StoreDicom } from '../igtlink/index.ts';
import type { Repository } from '../fhir/index.ts';
import type { Config } from './config.ts';
import { safeError, type Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export async function startIgtl(deps: { config: Config; logger: Logger; metrics: Metrics; repository: Repository; storeDicom: StoreDicom; live?: LiveEvents }): Promise<IgtlServer | undefined> {
  const { config, logger, metrics } = deps;
  if (config.igtlPort === 0) return undefined;
  const rooms = new RoomMap(config.igtl.roomMap);
  if (rooms.size === 0) logger.warn('IGTL_ROOM_MAP is empty: OpenIGTLink devices are answered but recorded in no operating room');
  const bridge = new IgtlBridge({
    repository: deps.repository,
    rooms,
    ...(deps.live ? { live: deps.live } : {}),
    persistIntervalMs: config.igtl.persistIntervalMs,
    images: { store: deps.storeDicom, intervalMs: config.igtl.imageIntervalMs },
    onClockOffset: (device, seconds) => metrics.igtlClockOffset.set({ device }, seconds),
    onUnplaced: (device, peer) => logger.warn({ device, peer }, 'OpenIGTLink device in no configured operating room (IGTL_ROOM_MAP): not recorded'),
    onError: (err) => {
      if (err instanceof UnstorableImageError) logger.warn({ reason: err.message }, 'an OpenIGTLink IMAGE has no DICOM form: not stored');
      else logger.error({ error: safeError(err) }, 'an OpenIGTLink message could not be recorded');
    },
  });
  const server = await startIgtlServer({
    host: config.host,
    port: config.igtlPort,
    maxBodySize: config.igtl.maxBodyBytes,
    idleTimeoutMs: config.igtl.idleTimeoutSeconds * 1000,
    sink: {
      receive: (message, arrival) => {
        metrics.igtlMessages.inc({ type: message.content.type, outcome: 'received' });
        return bridge.receive(message, arrival);
      },
      rejected: (reason, peer) => {
        metrics.igtlMessages.inc({ type: 'unreadable', outcome: String(reason.status) });
        logger.warn({ peer: peer.peerAddress, status: reason.status, reason: reason.message }, 'OpenIGTLink message refused');
      },
    },
  });
  logger.info({ host: config.host, port: server.port }, 'OpenIGTLink listening');
  return {
    port: server.port,
    connections: () => server.connections(),
    // What was decided to be recorded is written before the database closes.
    close: async () => {
      await server.close();
      await bridge.drain();
    },
  };
}
