-- FHIR resources: the current version of each resource and every version ever written.
-- Resources of every type share these tables; the type is part of the key.

CREATE TABLE fhir_resource (
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    bigint      NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  content       jsonb,                      -- NULL once deleted; the history keeps what it was
  index_mask    integer     NOT NULL DEFAULT 0, -- which search index tables hold rows for it (bit per table)
  PRIMARY KEY (resource_type, id)
);
CREATE INDEX fhir_resource_last_updated ON fhir_resource (resource_type, last_updated);

-- One row per version. `seq` orders the whole server's history (system and type history, paging).
CREATE TABLE fhir_history (
  seq           bigserial   PRIMARY KEY,
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    bigint      NOT NULL,
  last_updated  timestamptz NOT NULL,
  method        text        NOT NULL CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE')),
  content       jsonb,                      -- NULL for a DELETE
  UNIQUE (resource_type, id, version_id)
);
CREATE INDEX fhir_history_type_seq ON fhir_history (resource_type, seq);
CREATE INDEX fhir_history_updated ON fhir_history (last_updated);
