-- HL7 v2 message log: every received message, stored raw before anything else is done with it,
-- with its processing status, the acknowledgement it got and what applying it changed.

CREATE TABLE hl7_message (
  id            bigserial   PRIMARY KEY,          -- also the arrival order
  received_at   timestamptz NOT NULL DEFAULT now(),
  transport     text        NOT NULL,             -- mllp | http | amqp | replay
  sender        text        NOT NULL,             -- MSH-3 and MSH-4 as sent ('' when unreadable)
  control_id    text        NOT NULL,             -- MSH-10 ('' when unreadable)
  message_type  text        NOT NULL,             -- MSH-9 as sent
  content_hash  text        NOT NULL,             -- SHA-256 of the segments after MSH (a resend with a new MSH-7 is the same message)
  patient_key   text,                             -- messages with the same key are applied in arrival order
  visit_key     text,                             -- the visit (PV1-19) the message is about, to find what a cancel undoes
  raw           bytea       NOT NULL,             -- the bytes as received
  status        text        NOT NULL CHECK (status IN ('received', 'applied', 'rejected', 'error')),
  error         text,                             -- readable reason for rejected and error
  ack           bytea,                            -- the acknowledgement sent (resent to duplicates)
  effects       jsonb,                            -- what applying changed (bed statuses, the encounter before), for cancels
  attempts      integer     NOT NULL DEFAULT 0,
  duplicates    integer     NOT NULL DEFAULT 0,   -- how often the same message was received again
  processed_at  timestamptz
);
CREATE UNIQUE INDEX hl7_message_identity ON hl7_message (sender, control_id, content_hash) WHERE control_id <> '';
CREATE INDEX hl7_message_status ON hl7_message (status, id);
CREATE INDEX hl7_message_pending ON hl7_message (patient_key, id) WHERE status = 'received';
CREATE INDEX hl7_message_visit ON hl7_message (visit_key, id) WHERE status = 'applied';
