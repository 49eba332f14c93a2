-- Service accounts (HL7 feeds, dispatch software): long-lived client credentials for the OAuth
-- client_credentials grant, managed by admins. Only a scrypt hash of each secret is stored
-- ('scrypt$N$r$p$<salt>$<hash>', base64url, a salt per secret); the secret is shown once.
-- Disabled clients are kept (the audit trail refers to them), never deleted.

CREATE TABLE auth_client (
  client_id     text        PRIMARY KEY,
  secret_hash   text        NOT NULL,
  roles         text[]      NOT NULL,
  description   text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  rotated_at    timestamptz,                      -- when the secret was last replaced
  disabled_at   timestamptz,                      -- set: the client can no longer authenticate
  last_used_at  timestamptz                       -- last successful authentication (to the minute)
);
