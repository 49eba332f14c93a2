/**
 * AMQP in: consumes the inbound queues with manual acknowledgements and a prefetch window, and
 * settles each message only once its handler has decided:
 * - applied: reply (to `reply_to`, if given) then ack; the handler's transaction has committed.
 * - dead-letter: reply, then republish a copy to the dead-letter exchange with the reason in
 *   `x-passerelle-reason` (a plain `nack(requeue=false)` cannot carry one), wait for the broker's
 *   confirm, then ack the original.
 * - retry (or the handler threw): tried again in place after a pause (doubling, at most 30 s),
 *   so a dead database does not spin and the messages behind keep their order.
 * Messages of one queue are handled in queue order: HL7 messages of a patient must be applied in
 * the order they were sent, and two updates of one resource too. Only messages the queue calls
 * `independent` (a FHIR create with a server-assigned id: it cannot meet any other message) run
 * side by side, up to the prefetch window, between two ordered ones; the FHIR core then commits
 * concurrent creates together, which is what makes the queue fast. If the connection drops before a message
 * is settled, the broker redelivers it: at least once, never lost (the HL7 pipeline recognises a
 * resent message; a FHIR PUT writes the same content again).
 * The topology is declared on every (re)connect.
 * @see https://www.rabbitmq.com/docs/confirms#consumer-acknowledgements
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { errorKind, type AmqpConnection, type AmqpLogger } from './connection.ts';
import type { InboundOutcome, InboundReply } from './outcome.ts';
import { declareInboundQueues, DEAD_LETTER_EXCHANGE } from './topology.ts';

export interface InboundQueue {
  queue: string;
  handle(message: ConsumeMessage): Promise<InboundOutcome>;
  /** Whether the message may be applied alongside its neighbours; absent: never (strict queue order). */
  independent?(message: ConsumeMessage): boolean;
}

export interface InboundOptions {
  connection: AmqpConnection;
  queues: InboundQueue[];
  logger: AmqpLogger;
  /** Unacknowledged messages the broker may send ahead, per channel. */
  prefetch?: number;
  deadLetterExchange?: string;
  /** Wait before a message that failed transiently is given back to the queue, in ms. */
  retryDelayMs?: number;
  /** Told of unexpected failures (a handler that threw, a settle that failed). */
  onError?: (err: unknown, where: string) => void;
}

export interface Inbound {
  /** Resolves once the consumers are running on the current connection (tests, readiness). */
  consuming(timeoutMs?: number): Promise<void>;
  /** Stops taking messages and waits for those in hand to be settled. */
  stop(): Promise<void>;
}

type Settlement = 'applied' | 'dead-lettered' | 'unsettled';

/** The longest pause between two tries of a message that failed transiently. */
const MAX_RETRY_DELAY_MS = 30_000;

export function startInbound(options: InboundOptions): Inbound {
  const { connection, logger } = options;
  const prefetch = options.prefetch ?? 50;
  const deadLetterExchange = options.deadLetterExchange ?? DEAD_LETTER_EXCHANGE;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  /** A message taken on a closed channel is the broker's again (it redelivers it): stop trying it. */
  const closedChannels = new WeakSet<Channel>();
  let consumers: { channel: Channel; tags: string[] } | undefined;
  let consumingNow: (() => void)[] = [];

  async function setUp(model: ChannelModel): Promise<void> {
    if (stopping.signal.aborted) return;
    const channel = await model.createChannel();
    const confirm = await model.createConfirmChannel();
    // Channel errors close the channel and then the connection's 'close' reconnects: just keep them from throwing.
    channel.on('error', (err: unknown) => logger.warn({ error: errorKind(err) }, 'AMQP inbound channel error'));
    confirm.on('error', (err: unknown) => logger.warn({ error: errorKind(err) }, 'AMQP dead-letter channel error'));
    // A channel closed on its own (e.g. a precondition failed) would leave us consuming nothing: start over.
    channel.on('close', () => {
      closedChannels.add(channel);
      if (consumers?.channel === channel) consumers = undefined;
      if (!stopping.signal.aborted) void model.close().catch(() => undefined);
    });
    await declareInboundQueues(channel, options.queues.map((q) => q.queue), deadLetterExchange);
    await channel.prefetch(prefetch);
    const tags: string[] = [];
    for (const queue of options.queues) {
      // `ordered`: settled when the last ordered message (and all before it) is; `alongside`: the
      // independent messages taken since, each started once `ordered` was settled.
      let ordered: Promise<unknown> = Promise.resolve();
      let alongside = new Set<Promise<unknown>>();
      const { consumerTag } = await channel.consume(queue.queue, (message) => {
        if (!message) {
          logger.warn({ queue: queue.queue }, 'AMQP consumer cancelled by the broker');
          return;
        }
        const run = (): Promise<void> => track(settle(channel, confirm, queue, message));
        if (queue.independent?.(message)) {
          const work = ordered.then(run);
          const taken = alongside;
          taken.add(work);
          void work.finally(() => taken.delete(work));
        } else {
          ordered = Promise.all([ordered, ...alongside]).then(run);
          alongside = new Set();
        }
      }, { noAck: false });
      tags.push(consumerTag);
    }
    consumers = { channel, tags };
    for (const resolve of consumingNow.splice(0)) resolve();
  }

  /** The handler's decision; a handler that throws (the database is gone) asks for a retry. */
  async function attempt(queue: InboundQueue, message: ConsumeMessage): Promise<InboundOutcome> {
    try {
      return await queue.handle(message);
    } catch (err) {
      options.onError?.(err, `amqp ${queue.queue}`);
      return { kind: 'retry', reason: 'the message could not be applied now' };
    }
  }

  function track(work: Promise<void>): Promise<void> {
    inFlight.add(work);
    return work.finally(() => inFlight.delete(work));
  }

  async function settle(channel: Channel, confirm: ConfirmChannel, queue: InboundQueue, message: ConsumeMessage): Promise<void> {
    const started = performance.now();
    let outcome = await attempt(queue, message);
    // A transient failure is retried in place, so the messages behind it keep waiting and the
    // queue's order holds (a requeued message would come back after them). While stopping, the
    // message is left unsettled: the broker gives it back when the connection closes; so too if
    // the channel closed meanwhile (the broker has already given it back).
    const retrying = (): boolean => outcome.kind === 'retry' && !stopping.signal.aborted && !closedChannels.has(channel);
    for (let delay = retryDelayMs; retrying(); delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
      logger.warn({ queue: queue.queue, messageId: message.properties.messageId, reason: 'reason' in outcome ? outcome.reason : undefined, retryInMs: delay }, 'amqp message not applied now; retrying');
      await sleep(delay, undefined, { signal: stopping.signal }).catch(() => undefined);
      if (retrying()) outcome = await attempt(queue, message);
    }
    let settled: Settlement = 'unsettled';
    try {
      if (outcome.kind !== 'retry' && outcome.reply) reply(channel, message, outcome.reply);
      if (outcome.kind === 'applied') {
        channel.ack(message);
        settled = 'applied';
      } else if (outcome.kind === 'dead-letter') {
        await deadLetter(confirm, message, queue.queue, outcome.reason);
        channel.ack(message);
        settled = 'dead-lettered';
      }
    } catch (err) {
      // The channel or connection went away: the broker gives the message back to the queue.
      options.onError?.(err, `amqp ${queue.queue} settle`);
    }
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const line = { queue: queue.queue, messageId: message.properties.messageId, redelivered: message.fields.redelivered || undefined, outcome: settled, ms };
    if (settled === 'applied') logger.info(line, 'amqp message');
    else logger.warn({ ...line, ...(outcome.kind !== 'applied' ? { reason: outcome.reason } : {}) }, 'amqp message');
  }

  /**
   * The answer to `reply_to`, on the consuming channel just before the ack (the broker takes them
   * in that order). Not confirmed: a reply is for a waiting client, and a broker that dies now
   * loses the client's reply queue with it.
   */
  function reply(channel: Channel, message: ConsumeMessage, answer: InboundReply): void {
    const replyTo = message.properties.replyTo as string | undefined;
    if (!replyTo) return;
    const correlationId = (message.properties.correlationId ?? message.properties.messageId) as string | undefined;
    channel.publish('', replyTo, answer.content, {
      contentType: answer.contentType,
      ...(correlationId !== undefined ? { correlationId } : {}),
      ...(answer.headers ? { headers: answer.headers } : {}),
    });
  }

  async function deadLetter(confirm: ConfirmChannel, message: ConsumeMessage, queue: string, reason: string): Promise<void> {
    confirm.publish(deadLetterExchange, queue, message.content, {
      ...copiedProperties(message),
      persistent: true,
      headers: { ...(message.properties.headers ?? {}), 'x-passerelle-reason': reason, 'x-passerelle-queue': queue },
    });
    await confirm.waitForConfirms();
  }

  connection.onConnect(setUp);

  return {
    async consuming(timeoutMs = 10_000) {
      if (consumers && connection.current()) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => consumingNow.push(resolve)),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`the AMQP consumers did not start within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
    },
    async stop() {
      stopping.abort();
      const current = consumers;
      consumers = undefined;
      consumingNow = [];
      for (const tag of current?.tags ?? []) await current?.channel.cancel(tag).catch(() => undefined);
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** The original's properties, for its dead-lettered copy: not its expiry (the copy must stay), nor user-id (the broker checks it against our login). */
function copiedProperties(message: ConsumeMessage): Options.Publish {
  const { contentType, contentEncoding, correlationId, replyTo, messageId, timestamp, type, appId, priority } = message.properties;
  const copied: Record<string, unknown> = { contentType, contentEncoding, correlationId, replyTo, messageId, timestamp, type, appId, priority };
  for (const key of Object.keys(copied)) if (copied[key] === undefined) delete copied[key];
  return copied as Options.Publish;
}
