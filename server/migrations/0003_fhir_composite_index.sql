-- Composite search parameters (e.g. Observation code-value-quantity): one row per combination of
-- component values taken from the same element, so that `code$value` matches a value of that code.
-- Each component is stored by kind: token/reference/uri/string in (system, code), number and
-- quantity as a numeric range [low, high), date as a time range [date_low, date_high).
CREATE TABLE fhir_composite (
  resource_type text NOT NULL,
  id            text NOT NULL,
  param         text NOT NULL,
  c1_system     text,
  c1_code       text,
  c2_system     text,
  c2_code       text,
  c2_low        numeric,
  c2_high       numeric,
  c2_date_low   timestamptz,
  c2_date_high  timestamptz
);
CREATE INDEX fhir_composite_lookup ON fhir_composite (resource_type, param, c1_code, c2_code);
CREATE INDEX fhir_composite_resource ON fhir_composite (resource_type, id);
