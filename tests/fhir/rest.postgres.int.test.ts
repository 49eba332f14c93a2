import { test } from 'node:test';
import { postgresDriver } from '../support/database.ts';
import { restSuite } from './rest/suite.ts';

const driver = postgresDriver(); // throws in CI when DATABASE_URL is missing: a failure, not a skip
if (driver) restSuite(driver);
else test('FHIR REST on PostgreSQL', { skip: 'DATABASE_URL is not set (CI sets it)' }, () => undefined);
