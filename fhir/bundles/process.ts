/** `POST [base]` with a Bundle: dispatches batch and transaction Bundles. */
import type { Bundle } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../http-types.ts';
import type { FhirRouter } from '../router.ts';
import { badRequest } from '../outcomes.ts';
import { assertResource } from '../validation.ts';
import { processBatch } from './batch.ts';
import { processTransaction } from './transaction.ts';

export const bundleProcessor = {
  async process(request: FhirRequest, router: FhirRouter): Promise<FhirResponse> {
    assertResource(request.body);
    const bundle = request.body as Bundle;
    if (bundle.resourceType !== 'Bundle') throw badRequest(`POST to the base takes a Bundle, not a ${bundle.resourceType}`, 'resourceType');
    if (bundle.type === 'batch') return processBatch(bundle, request, router);
    if (bundle.type === 'transaction') return processTransaction(bundle, request, router);
    throw badRequest(`Bundle.type must be batch or transaction, not ${bundle.type ?? 'missing'}`, 'Bundle.type');
  },
};
