-- DICOM index: what QIDO-RS matches and returns, and where each instance's file is.
-- The files themselves live under DATA_DIR/dicom. Attributes are DICOM JSON (PS3.18 F.2), with
-- BulkDataURI values relative to the DICOMweb base (completed when answering).
-- Text columns hold DICOM values as stored (DA 'YYYYMMDD', TM 'HHMMSS.FFFFFF', PN Alphabetic
-- 'Family^Given'); *_norm columns hold a PN folded for matching (upper case, accents removed).

CREATE TABLE dicom_study (
  study_uid                     text        PRIMARY KEY,
  patient_id                    text,
  issuer_of_patient_id          text,
  patient_name                  text,
  patient_name_norm             text,
  patient_birth_date            text,
  patient_sex                   text,
  study_date                    text,
  study_time                    text,
  accession_number              text,
  study_id                      text,
  referring_physician_name      text,
  referring_physician_name_norm text,
  study_description             text,
  attributes                    jsonb       NOT NULL,  -- patient and study level attributes
  updated_at                    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dicom_study_patient_id ON dicom_study (patient_id);
CREATE INDEX dicom_study_patient_name ON dicom_study (patient_name_norm text_pattern_ops);
CREATE INDEX dicom_study_date ON dicom_study (study_date, study_time);
CREATE INDEX dicom_study_accession ON dicom_study (accession_number);

CREATE TABLE dicom_series (
  series_uid                          text    PRIMARY KEY,
  study_uid                           text    NOT NULL REFERENCES dicom_study (study_uid) ON DELETE CASCADE,
  modality                            text,
  series_number                       integer,
  series_description                  text,
  series_date                         text,
  series_time                         text,
  body_part_examined                  text,
  performed_procedure_step_start_date text,
  performed_procedure_step_start_time text,
  attributes                          jsonb   NOT NULL  -- series level attributes
);
CREATE INDEX dicom_series_study ON dicom_series (study_uid);
CREATE INDEX dicom_series_modality ON dicom_series (modality);

CREATE TABLE dicom_instance (
  sop_instance_uid    text        PRIMARY KEY,
  series_uid          text        NOT NULL REFERENCES dicom_series (series_uid) ON DELETE CASCADE,
  study_uid           text        NOT NULL,
  sop_class_uid       text        NOT NULL,
  instance_number     integer,
  transfer_syntax_uid text        NOT NULL,
  rows                integer,
  columns             integer,
  bits_allocated      integer,
  number_of_frames    integer,
  file_path           text        NOT NULL,  -- relative to DATA_DIR/dicom
  file_size           bigint      NOT NULL,
  sha256              text        NOT NULL,  -- of the file as received
  metadata            jsonb       NOT NULL,  -- the whole dataset as DICOM JSON, bulk data as BulkDataURI
  stored_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dicom_instance_series ON dicom_instance (series_uid, instance_number);
CREATE INDEX dicom_instance_study ON dicom_instance (study_uid);
