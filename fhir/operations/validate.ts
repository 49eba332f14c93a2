/**
 * `$validate`: checks a resource against the base definition and its declared profiles
 * (or the `profile` parameter) without storing it.
 * @see https://hl7.org/fhir/R4/resource-operation-validate.html
 */
import type { Parameters, Resource } from '@medplum/fhirtypes';
import type { Operation } from './registry.ts';
import { badRequest, FhirError, informational } from '../outcomes.ts';
import { assertResource } from '../validation.ts';

export const validateOperation: Operation = {
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Resource-validate',
    url: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
    name: 'Validate',
    status: 'active',
    kind: 'operation',
    code: 'validate',
    affectsState: false,
    system: false,
    type: true,
    instance: true,
    parameter: [
      { name: 'resource', use: 'in', min: 0, max: '1', type: 'Resource' },
      { name: 'profile', use: 'in', min: 0, max: '1', type: 'uri' },
      { name: 'return', use: 'out', min: 1, max: '1', type: 'OperationOutcome' },
    ],
  },
  async handle({ request, repo, resourceType }) {
    let resource = request.body as Resource | Parameters | undefined;
    let profile: string | undefined;
    if (resource?.resourceType === 'Parameters') {
      const params = resource.parameter ?? [];
      profile = params.find((p) => p.name === 'profile')?.valueUri;
      resource = params.find((p) => p.name === 'resource')?.resource;
    }
    if (resource === undefined) throw badRequest('$validate needs a resource in the body or the "resource" parameter');
    assertResource(resource);
    if (resource.resourceType !== resourceType) throw badRequest(`$validate on ${resourceType} got a ${resource.resourceType}`);
    if (profile) resource = { ...resource, meta: { ...resource.meta, profile: [...(resource.meta?.profile ?? []), profile] } };
    try {
      repo.validate(resource);
    } catch (err) {
      // $validate reports problems in a 200 answer: the operation itself succeeded.
      if (err instanceof FhirError && err.kind === 'invalid') return { status: 200, body: err.outcome };
      throw err;
    }
    return { status: 200, body: informational('The resource is valid') };
  },
};
