/**
 * What the AMQP bridge declares on the broker, as data: the outbound topic exchange, the inbound
 * queues, and for each inbound queue Q its dead-letter route (`passerelle.dead-letter` --Q--> `Q.dead`).
 * Declarations are idempotent, so they run on every (re)connect: a broker that lost its
 * definitions (a fresh node) gets them back before anything is consumed or published.
 * @see https://www.rabbitmq.com/docs/dlx
 */
import type { Channel } from 'amqplib';

export const DEFAULT_EVENTS_EXCHANGE = 'passerelle.events';
export const DEAD_LETTER_EXCHANGE = 'passerelle.dead-letter';
export const DEFAULT_INBOUND_QUEUES = { hl7v2: 'passerelle.inbound.hl7v2', fhir: 'passerelle.inbound.fhir' } as const;

/** Where a dead-lettered copy of a message from `queue` ends up. */
export const deadLetterQueueOf = (queue: string): string => `${queue}.dead`;

/** Declares the topic exchange every change is published to. */
export async function declareEventsExchange(channel: Channel, exchange: string): Promise<void> {
  await channel.assertExchange(exchange, 'topic', { durable: true });
}

/**
 * Declares inbound queues with their dead-letter queues. The queue's own `x-dead-letter-*`
 * arguments route what the broker itself drops (expired, over length, rejected by another
 * client); the bridge republishes what it refuses to the same route, with a reason. Each queue
 * has a single active consumer: with several Passerelle instances one consumes and the others
 * stand by, so messages are applied in queue order (a patient's A01 before its A03) and another
 * instance takes over if it goes.
 * @see https://www.rabbitmq.com/docs/consumers#single-active-consumer
 */
export async function declareInboundQueues(channel: Channel, queues: string[], deadLetterExchange = DEAD_LETTER_EXCHANGE): Promise<void> {
  await channel.assertExchange(deadLetterExchange, 'direct', { durable: true });
  for (const queue of queues) {
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': deadLetterExchange, 'x-dead-letter-routing-key': queue, 'x-single-active-consumer': true },
    });
    const dead = deadLetterQueueOf(queue);
    await channel.assertQueue(dead, { durable: true });
    await channel.bindQueue(dead, deadLetterExchange, queue);
  }
}
