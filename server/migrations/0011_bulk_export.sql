-- FHIR Bulk Data export jobs: what was asked, by whom, how far it got and its manifest.
-- The files themselves live under DATA_DIR/export/<id>/ until the job expires.
CREATE TABLE bulk_export_job (
  id               text        PRIMARY KEY,           -- a random UUID: the status URL names it
  status           text        NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  request_url      text        NOT NULL,              -- the kick-off URL, echoed in the manifest
  owner            text,                              -- the principal's id; NULL in loopback-only mode
  parameters       jsonb       NOT NULL,              -- level, types, since, filters, de-identified or not
  transaction_time timestamptz NOT NULL,              -- resources changed later are not in it
  progress         text,                              -- for X-Progress while it runs
  run_token        text,                              -- the run that holds it: a stale run can no longer write
  heartbeat_at     timestamptz,                       -- the holding run's last sign of life
  manifest         jsonb,                             -- once completed
  error            text,                              -- once failed: why, without patient data
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX bulk_export_job_queue ON bulk_export_job (status, created_at);
