-- The change feed (transactional outbox): one row per version written, inserted by the same
-- statement that writes the version, so it commits or rolls back with it.
--
-- `tx` is the writing transaction's id. Readers take changes in windows of transaction ids below
-- the oldest transaction still running (pg_snapshot_xmin): every transaction in such a window has
-- ended, so a window, once read, never grows. A plain `seq > last` cursor would skip a change
-- whose transaction drew its `seq` early but committed late.
CREATE TABLE fhir_change (
  seq           bigserial   PRIMARY KEY,
  tx            xid8        NOT NULL DEFAULT pg_current_xact_id(),
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    bigint      NOT NULL,
  interaction   text        NOT NULL CHECK (interaction IN ('create', 'update', 'delete')),
  at            timestamptz NOT NULL
);
CREATE INDEX fhir_change_tx ON fhir_change (tx, seq);

-- Consumers that must see every change (the AMQP publisher, the subscription matcher): where each
-- one is in the feed, and which instance holds it. One instance at a time runs a consumer, under a
-- lease that another instance takes over when it expires; so changes leave in commit order.
CREATE TABLE change_consumer (
  name          text        PRIMARY KEY,
  window_start  xid8        NOT NULL,  -- every transaction below it has been delivered
  window_end    xid8,                  -- the window being delivered, when it did not fit one batch
  last_seq      bigint      NOT NULL DEFAULT 0, -- the last change delivered inside that window
  leased_by     text,
  leased_until  timestamptz
);
