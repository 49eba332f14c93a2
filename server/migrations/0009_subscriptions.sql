-- FHIR Subscriptions, rest-hook channel: the notifications still to POST, one row per (matching
-- Subscription, change). The `subscriptions` change-feed consumer inserts them in the transaction
-- that advances its cursor, so a notification is queued exactly when its change is consumed and
-- survives restarts. Rows of one subscription go out in `id` order, one at a time: only the oldest
-- row of a subscription may be claimed.
--
-- A deliverer claims due rows by setting `claimed_by`/`claimed_until` (a lease, not a row lock held
-- across the HTTP call: PGlite has one connection, and a transaction open for a slow endpoint would
-- stall everything). An instance that dies mid-POST leaves a lease that expires; another instance
-- then sends the row again (at least once).
CREATE TABLE subscription_delivery (
  id               bigserial   PRIMARY KEY,
  subscription_id  text        NOT NULL,
  resource_type    text        NOT NULL,
  resource_id      text        NOT NULL,
  version_id       bigint      NOT NULL,
  interaction      text        NOT NULL CHECK (interaction IN ('create', 'update', 'delete')),
  queued_at        timestamptz NOT NULL DEFAULT now(),
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  claimed_by       text,
  claimed_until    timestamptz
);
-- The head of each subscription's queue, and the due rows among the heads.
CREATE INDEX subscription_delivery_queue ON subscription_delivery (subscription_id, id);
CREATE INDEX subscription_delivery_due ON subscription_delivery (next_attempt_at);
