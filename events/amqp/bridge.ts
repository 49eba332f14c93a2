/**
 * The AMQP bridge as the server starts it (AMQP_URL set): one reconnecting connection, the
 * `amqp-out` publisher (a DurableConsumer the server runs with a ConsumerRunner, so events leave
 * the outbox only once the broker confirmed them) and the consumers of the inbound queues
 * (HL7 v2 through the HL7 pipeline, FHIR through the FHIR router). Nothing waits for the broker
 * at start-up: while it is down the outbox grows and inbound messages wait on the broker's side.
 */
import type { DurableConsumer } from '../durable-consumer.ts';
import type { FhirHandler, Hl7Receiver } from './bridge-types.ts';
import { AmqpConnection, type AmqpLogger } from './connection.ts';
import { fhirInboundHandler, isIndependentCreate } from './inbound-fhir.ts';
import { hl7InboundHandler } from './inbound-hl7.ts';
import { startInbound, type InboundQueue } from './inbound.ts';
import { amqpPublisher } from './publisher.ts';
import { DEFAULT_EVENTS_EXCHANGE, DEFAULT_INBOUND_QUEUES } from './topology.ts';

export interface AmqpBridgeOptions {
  /** `amqp://user:password@host:5672/vhost` (never logged with its password). */
  url: string;
  /** Topic exchange for the change events; default `passerelle.events`. */
  exchange?: string;
  /** Unacknowledged inbound messages per channel; default 50. */
  prefetch?: number;
  /** Inbound queue names; defaults `passerelle.inbound.hl7v2` and `passerelle.inbound.fhir`. */
  queues?: { hl7v2?: string; fhir?: string };
  /** Where refused inbound messages go; default `passerelle.dead-letter`. */
  deadLetterExchange?: string;
  /** The HL7 pipeline (`Hl7Pipeline`); without it the HL7 queue is not consumed. */
  hl7?: Hl7Receiver;
  /** The FHIR router and the base URL its responses use; without it the FHIR queue is not consumed. */
  fhir?: { router: FhirHandler; baseUrl: string };
  logger: AmqpLogger;
  /** Told of unexpected failures (never with message content). */
  onError?: (err: unknown, where: string) => void;
  heartbeatSeconds?: number;
  retryDelayMs?: number;
  /** Reconnection back-off bounds in ms (defaults 500 and 30 000). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface AmqpBridge {
  /** Run it with a ConsumerRunner on the server's database. */
  publisher: DurableConsumer;
  connection: AmqpConnection;
  /** Resolves once connected and consuming (start-up checks and tests). */
  ready(timeoutMs?: number): Promise<void>;
  /** Stops consuming, waits for messages in hand, and closes the connection. */
  stop(): Promise<void>;
}

export function startAmqpBridge(options: AmqpBridgeOptions): AmqpBridge {
  const connection = new AmqpConnection({
    url: options.url,
    logger: options.logger,
    ...(options.heartbeatSeconds !== undefined ? { heartbeatSeconds: options.heartbeatSeconds } : {}),
    ...(options.minBackoffMs !== undefined ? { minBackoffMs: options.minBackoffMs } : {}),
    ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const queues: InboundQueue[] = [];
  if (options.hl7) queues.push({ queue: options.queues?.hl7v2 ?? DEFAULT_INBOUND_QUEUES.hl7v2, handle: hl7InboundHandler(options.hl7) });
  if (options.fhir) queues.push({ queue: options.queues?.fhir ?? DEFAULT_INBOUND_QUEUES.fhir, handle: fhirInboundHandler(options.fhir.router, options.fhir.baseUrl), independent: isIndependentCreate });
  const inbound = queues.length > 0
    ? startInbound({
      connection, queues, logger: options.logger,
      ...(options.prefetch !== undefined ? { prefetch: options.prefetch } : {}),
      ...(options.deadLetterExchange !== undefined ? { deadLetterExchange: options.deadLetterExchange } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    })
    : undefined;
  const publisher = amqpPublisher(connection, { exchange: options.exchange ?? DEFAULT_EVENTS_EXCHANGE });
  connection.start();
  return {
    publisher,
    connection,
    async ready(timeoutMs = 10_000) {
      await connection.connected(timeoutMs);
      await inbound?.consuming(timeoutMs);
    },
    async stop() {
      await inbound?.stop();
      await connection.stop();
    },
  };
}
