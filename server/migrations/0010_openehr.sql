-- openEHR (REST API ITS, EHR and COMPOSITION resources): one row per EHR, one per composition.
-- Compositions are kept as the canonical JSON received, their uid set by us, so that an export
-- can hand them on unchanged; nothing is indexed inside them (no AQL here).
--
-- The subject is EHR_STATUS.subject.external_ref: its id.value and namespace. To link an EHR to a
-- FHIR Patient, the namespace is the FHIR identifier system and the id its value. An EHR without
-- a subject has both NULL; NULLs are distinct in a UNIQUE constraint, so there may be many.
CREATE TABLE openehr_ehr (
  ehr_id            uuid        PRIMARY KEY,
  subject_id        text,
  subject_namespace text,
  ehr_status        jsonb       NOT NULL,
  time_created      timestamptz NOT NULL,
  UNIQUE (subject_namespace, subject_id),
  CHECK ((subject_id IS NULL) = (subject_namespace IS NULL))
);

-- `uid` is the versioned object's uuid; the version uid clients see is uid::system_id::version.
-- Only version 1 is written for now (no PUT), but the columns let updates come without a migration.
CREATE TABLE openehr_composition (
  uid          text        PRIMARY KEY,
  ehr_id       uuid        NOT NULL REFERENCES openehr_ehr (ehr_id),
  version      int         NOT NULL CHECK (version > 0),
  system_id    text        NOT NULL,
  composition  jsonb       NOT NULL,
  committed_at timestamptz NOT NULL
);
CREATE INDEX openehr_composition_ehr ON openehr_composition (ehr_id, committed_at);
