-- Extended statistics on the search index: how often a value occurs *for a parameter*.
-- Without them the planner multiplies the selectivities of `param` and the value as if they were
-- independent, underestimates dense searches (`Location?operational-status=U`: 383 rows estimated,
-- 37,200 real), and sorts every match instead of walking an index and stopping at the page size.
CREATE STATISTICS fhir_token_values (mcv, dependencies) ON resource_type, param, code FROM fhir_token;
CREATE STATISTICS fhir_reference_values (mcv, dependencies) ON resource_type, param, target_type FROM fhir_reference;
CREATE STATISTICS fhir_uri_values (mcv, dependencies) ON resource_type, param, value FROM fhir_uri;
CREATE STATISTICS fhir_quantity_values (mcv, dependencies) ON resource_type, param, code FROM fhir_quantity;
CREATE STATISTICS fhir_composite_values (mcv, dependencies) ON resource_type, param, c1_code FROM fhir_composite;
CREATE STATISTICS fhir_string_params (dependencies) ON resource_type, param FROM fhir_string;
CREATE STATISTICS fhir_date_params (dependencies) ON resource_type, param FROM fhir_date;
