-- Search index: values of every search parameter of the current version of each resource,
-- extracted with FHIRPath at write time, one table per kind of value.
-- Rows are replaced whenever the resource is written and removed when it is deleted.
-- `param` is the search parameter's code (e.g. 'identifier', 'birthdate').

-- token: Coding, CodeableConcept, Identifier, code, boolean, ContactPoint...
CREATE TABLE fhir_token (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  system        text,
  code          text,
  display       text,                      -- lower-cased, for :text
  type_system   text,                      -- Identifier.type, for :of-type
  type_code     text
);
CREATE INDEX fhir_token_lookup ON fhir_token (resource_type, param, code, system);
CREATE INDEX fhir_token_resource ON fhir_token (resource_type, id);

-- string: HumanName, Address, plain strings. `normalized` is lower case without accents.
CREATE TABLE fhir_string (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  normalized    text NOT NULL,
  value         text NOT NULL
);
CREATE INDEX fhir_string_lookup ON fhir_string (resource_type, param, normalized text_pattern_ops);
CREATE INDEX fhir_string_resource ON fhir_string (resource_type, id);

-- reference: local references are split into type and id; others keep their URL.
CREATE TABLE fhir_reference (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  target_type   text,
  target_id     text,
  target_url    text NOT NULL
);
CREATE INDEX fhir_reference_lookup ON fhir_reference (resource_type, param, target_id, target_type);
CREATE INDEX fhir_reference_target ON fhir_reference (target_type, target_id);
CREATE INDEX fhir_reference_resource ON fhir_reference (resource_type, id);

-- date: every date, dateTime, instant, Period and Timing as the range it covers.
-- NULL low/high mean open-ended.
CREATE TABLE fhir_date (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  low           timestamptz,
  high          timestamptz
);
CREATE INDEX fhir_date_lookup ON fhir_date (resource_type, param, low, high);
CREATE INDEX fhir_date_resource ON fhir_date (resource_type, id);

-- number: integer, decimal, with the range implied by the precision written.
CREATE TABLE fhir_number (
  resource_type text    NOT NULL,
  id            text    NOT NULL,
  param         text    NOT NULL,
  value         numeric NOT NULL,
  low           numeric NOT NULL,
  high          numeric NOT NULL
);
CREATE INDEX fhir_number_lookup ON fhir_number (resource_type, param, value);
CREATE INDEX fhir_number_resource ON fhir_number (resource_type, id);

-- quantity: Quantity, Money, Range bounds, SampledData origin.
CREATE TABLE fhir_quantity (
  resource_type text    NOT NULL,
  id            text    NOT NULL,
  param         text    NOT NULL,
  system        text,
  code          text,
  unit          text,
  value         numeric NOT NULL,
  low           numeric NOT NULL,
  high          numeric NOT NULL
);
CREATE INDEX fhir_quantity_lookup ON fhir_quantity (resource_type, param, code, value);
CREATE INDEX fhir_quantity_resource ON fhir_quantity (resource_type, id);

-- uri: uri, url, canonical (canonical versions after '|' are kept).
CREATE TABLE fhir_uri (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  value         text NOT NULL
);
CREATE INDEX fhir_uri_lookup ON fhir_uri (resource_type, param, value text_pattern_ops);
CREATE INDEX fhir_uri_resource ON fhir_uri (resource_type, id);

-- position: Location.position (WGS84), for the `near` parameter.
CREATE TABLE fhir_position (
  resource_type text             NOT NULL,
  id            text             NOT NULL,
  latitude      double precision NOT NULL,
  longitude     double precision NOT NULL
);
CREATE INDEX fhir_position_lookup ON fhir_position (latitude, longitude);
CREATE INDEX fhir_position_resource ON fhir_position (resource_type, id);
