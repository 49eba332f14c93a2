/** The whole REST suite on one storage driver. */
import { describe } from 'node:test';
import type { TestDriver } from '../../support/database.ts';
import { useRestContext } from './context.ts';
import { crudCases } from './crud.cases.ts';
import { conditionalCases } from './conditional.cases.ts';
import { historyCases } from './history.cases.ts';
import { bundleCases } from './bundles.cases.ts';
import { errorCases } from './errors.cases.ts';
import { searchCases } from './search.cases.ts';

export function restSuite(driver: TestDriver): void {
  describe(`FHIR REST on ${driver.name}`, () => {
    const ctx = useRestContext(driver);
    crudCases(ctx);
    conditionalCases(ctx);
    historyCases(ctx);
    bundleCases(ctx);
    errorCases(ctx);
    searchCases(ctx);
  });
}
