import { pgliteDriver } from '../support/database.ts';
import { restSuite } from './rest/suite.ts';

restSuite(pgliteDriver);
