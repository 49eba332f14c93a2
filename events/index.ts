/**
 * The change feed and what it feeds: durable consumers (Subscriptions, AMQP out), this
 * instance's live feed and the `/events` stream, and the WebSocket endpoints they are served on.
 */
export { referenceOf, type Change, type Interaction } from './change.ts';
export { ConsumerRunner, type ConsumerRunnerOptions, type DurableConsumer } from './durable-consumer.ts';
export { LiveFeed, type ChangeListener } from './live-feed.ts';
export { LiveStream, parseStreamFilter } from './live-stream.ts';
export { LocationIndex } from './location-index.ts';
export { pruneChanges } from './prune.ts';
export { attachWebSockets, type UpgradeAuthenticator, type WebSocketEndpoint, type WebSocketEndpoints } from './websocket-server.ts';
