/**
 * AMQP out: the durable consumer `amqp-out` publishes every change to a topic exchange with
 * routing key `fhir.<ResourceType>.<create|update|delete>`, as a persistent message on a channel
 * in confirm mode. A delivery resolves only once the broker confirmed every message of the batch,
 * so the outbox cursor moves past a change only when the broker has it; when the broker is down
 * or nacks, the delivery throws and the runner offers the same batch again later. Consumers see
 * each change at least once: a batch published but not confirmed comes again, with the same
 * `messageId` (`Type/id/_history/version`), by which they can de-duplicate.
 * @see https://www.rabbitmq.com/docs/confirms#publisher-confirms
 */
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { referenceOf, type Change } from '../change.ts';
import type { DurableConsumer } from '../durable-consumer.ts';
import type { AmqpConnection } from './connection.ts';
import { declareEventsExchange, DEFAULT_EVENTS_EXCHANGE } from './topology.ts';

export interface AmqpPublisherOptions {
  exchange?: string;
  /** How long to wait for the broker's confirms of one batch before giving up on it, in ms. */
  confirmTimeoutMs?: number;
}

export const AMQP_OUT_CONSUMER = 'amqp-out';

/** `fhir.Patient.update` */
export const routingKeyOf = (change: Pick<Change, 'resourceType' | 'interaction'>): string => `fhir.${change.resourceType}.${change.interaction}`;

/** `Patient/123/_history/2`: names one version, so a redelivered message can be recognised. */
export const messageIdOf = (change: Pick<Change, 'resourceType' | 'id' | 'versionId'>): string => `${referenceOf(change)}/_history/${change.versionId}`;

/** The message for one change: the resource as written, or for a delete a reference to what is gone. */
export function messageOf(change: Change): { content: Buffer; options: Options.Publish } {
  const body = change.interaction === 'delete' ? { reference: referenceOf(change) } : change.resource;
  return {
    content: Buffer.from(JSON.stringify(body), 'utf8'),
    options: {
      persistent: true,
      contentType: 'application/fhir+json',
      messageId: messageIdOf(change),
      // AMQP timestamps are whole seconds.
      timestamp: Math.floor(Date.parse(change.at) / 1000),
      type: change.interaction,
      headers: { 'x-passerelle-seq': change.seq, resourceType: change.resourceType, id: change.id, versionId: change.versionId },
    },
  };
}

export function amqpPublisher(connection: AmqpConnection, options: AmqpPublisherOptions = {}): DurableConsumer {
  const exchange = options.exchange ?? DEFAULT_EVENTS_EXCHANGE;
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 30_000;
  let open: { connection: ChannelModel; channel: ConfirmChannel } | undefined;

  /** A confirm channel on the current connection, made (and the exchange declared) once per connection. */
  async function confirmChannel(): Promise<ConfirmChannel> {
    const current = connection.current();
    if (!current) throw new Error('AMQP broker unavailable: the changes wait in the outbox');
    if (open?.connection === current) return open.channel;
    const channel = await current.createConfirmChannel();
    // A channel error (e.g. the exchange deleted under us) closes it: the next delivery makes another.
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (open?.channel === channel) open = undefined;
    });
    await declareEventsExchange(channel, exchange);
    open = { connection: current, channel };
    return channel;
  }

  return {
    name: AMQP_OUT_CONSUMER,
    // Waiting for confirms must not hold a database transaction open (a slow broker would stall it).
    outsideTransaction: true,
    async deliver(changes) {
      const channel = await confirmChannel();
      for (const change of changes) {
        const { content, options: properties } = messageOf(change);
        // false means the socket buffer is full: wait for it to drain rather than buffer the whole outbox.
        if (!channel.publish(exchange, routingKeyOf(change), content, properties)) {
          await new Promise<void>((resolve) => {
            channel.once('drain', resolve);
            channel.once('close', resolve);
          });
        }
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        // Rejects when the broker nacks any message or the channel closes before confirming.
        await Promise.race([
          channel.waitForConfirms(),
          new Promise<never>((_resolve, reject) => {
            timer = setTimeout(() => reject(new Error(`the broker did not confirm ${changes.length} messages within ${confirmTimeoutMs} ms`)), confirmTimeoutMs);
          }),
        ]);
      } catch (err) {
        // Confirms on a channel are counted from its start: after a failure, start a fresh one.
        if (open?.channel === channel) open = undefined;
        await channel.close().catch(() => undefined);
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
