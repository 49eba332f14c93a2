/** The AMQP bridge: what the server wires (start it, run its publisher with a ConsumerRunner). */
export { startAmqpBridge, type AmqpBridge, type AmqpBridgeOptions } from './bridge.ts';
export { maskedUrl, type AmqpLogger } from './connection.ts';
export { AMQP_OUT_CONSUMER, messageIdOf, routingKeyOf } from './publisher.ts';
export { DEAD_LETTER_EXCHANGE, DEFAULT_EVENTS_EXCHANGE, DEFAULT_INBOUND_QUEUES, deadLetterQueueOf } from './topology.ts';
export type { FhirHandler, Hl7Receiver } from './bridge-types.ts';
