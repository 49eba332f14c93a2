/** FHIR R4 Subscriptions: the write rule, the durable rest-hook path, and the `/fhir/ws` websocket endpoint. */
export { subscriptionRules, checkSubscription } from './subscription-rules.ts';
export { subscriptionsConsumer, SUBSCRIPTIONS_CONSUMER } from './consumer.ts';
export { RestHookDeliverer, type RestHookOptions } from './rest-hook.ts';
export { subscriptionWebSocket, SUBSCRIPTION_WEBSOCKET_PATH, type SubscriptionWebSocket, type SubscriptionWebSocketOptions } from './websocket.ts';
export { SubscriptionMatcher, type ActiveSubscription, type SubscriptionMatch } from './matcher.ts';
