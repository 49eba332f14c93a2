/**
 * Validation on write: the R4 base definition of the resource's type and every profile in
 * `meta.profile` that the server knows, a profile written as a differential through its checker
 * (profile-checker.ts), one with a shipped snapshot against that snapshot (which covers the base
 * definition too). Unknown profiles are not an error (FHIR allows
 * resources to claim profiles a server has never seen), they are just not enforced.
 * @see https://hl7.org/fhir/R4/validation.html
 */
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { OperationOutcomeError, validateResource } from '@medplum/core';
import { badRequest, invalidResource } from './outcomes.ts';
import { isKnownResourceType } from './definitions.ts';
import type { ProfileRegistry } from './profiles.ts';
import { checkRequiredBindings } from './required-bindings.ts';

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/** Checks that `id` is a valid FHIR logical id. */
export function assertValidId(id: string): void {
  if (!ID_PATTERN.test(id)) throw badRequest(`Invalid resource id "${id}": 1-64 characters of A-Z a-z 0-9 - .`);
}

/** Checks that a request body is a JSON object naming a known resource type. */
export function assertResource(body: unknown): asserts body is Resource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The body is not a FHIR resource (a JSON object)');
  const type = (body as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string') throw badRequest('The resource has no resourceType', 'resourceType');
  if (!isKnownResourceType(type)) throw badRequest(`Unknown resource type "${type}"`, 'resourceType');
}

export function validate(resource: Resource, profiles: ProfileRegistry): void {
  const issues: OperationOutcomeIssue[] = [];
  const known = (resource.meta?.profile ?? []).map((url) => profiles.known(url)).filter((p) => p !== undefined);
  // A profile's snapshot holds every element and constraint of the base definition, so a resource
  // checked against a profile's snapshot needs no separate base check; a profile checked through
  // its differential does.
  if (known.length === 0 || known.some((p) => p.checker)) collect(issues, () => validateResource(resource));
  for (const { definition, checker } of known) {
    if (checker && definition.type === resource.resourceType) issues.push(...checker.check(resource));
    else collect(issues, () => validateResource(resource, { profile: definition }));
  }
  issues.push(...checkRequiredBindings(resource));
  const errors = issues.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
  if (errors.length > 0) throw invalidResource(errors);
}

function collect(issues: OperationOutcomeIssue[], check: () => OperationOutcomeIssue[]): void {
  try {
    issues.push(...check());
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    issues.push(...(err.outcome.issue ?? []));
  }
}
