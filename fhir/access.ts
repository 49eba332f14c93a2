/**
 * What the FHIR core asks of an access policy. The core knows no users or roles: `server/`
 * hands each request a policy (built by `auth/` from the caller's roles) and the router asks it
 * before every interaction, and again about every resource it is about to return, so nothing
 * leaks through a side door (bundle entries, `_include`/`_revinclude`, chains, `_has`, history).
 * A request without a policy is not checked (the embedded loopback-only mode, and internal calls).
 */
import type { Resource } from '@medplum/fhirtypes';
import { forbidden } from './outcomes.ts';
import type { ResourceChange } from './write-hooks.ts';
import type { Criterion, SearchRequest } from './search/request.ts';

export type FhirInteraction = 'read' | 'vread' | 'search' | 'history' | 'create' | 'update' | 'patch' | 'delete' | 'operation';

export interface AccessPolicy {
  /**
   * Whether the caller may do `interaction` on `resourceType` (an operation by its name without
   * `$`). `resourceType` undefined is a system-level interaction: allowed when the caller may do
   * it on at least one type, the results being filtered with `mayReturn`.
   */
  allows(interaction: FhirInteraction, resourceType: string | undefined, operation?: string): boolean;
  /** Whether this resource may be shown to the caller (read permission on its type and any restriction). */
  mayReturn(resource: Resource): boolean;
  /** Criteria every search of this type must also meet, for types the caller may see only in part. */
  restriction(resourceType: string): URLSearchParams | undefined;
  /**
   * Whether the caller may make this change: the resource as it is (`before`) and as it would be
   * (`after`) both within what the caller may write, for types the caller may write only in part.
   */
  mayWrite(change: WriteChange): boolean;
}

/** One write about to be made, as the repository's guard sees it. */
export interface WriteChange extends ResourceChange {
  interaction: 'create' | 'update' | 'patch' | 'delete';
}

/** Called by the repository before each write; throws to refuse it. */
export type WriteGuard = (change: WriteChange) => void;

/** The repository guard of a policy: 403 for a write outside what the caller may write. */
export function writeGuard(policy: AccessPolicy): WriteGuard {
  return (change) => {
    if (!policy.mayWrite(change)) throw forbidden(`Your role does not allow this ${change.interaction} of ${change.resourceType}/${change.id}: it may write only some ${change.resourceType} resources`);
  };
}

/** Throws 403 unless the policy allows the interaction. */
export function requireAllowed(policy: AccessPolicy | undefined, interaction: FhirInteraction, resourceType: string | undefined, operation?: string): void {
  if (!policy || policy.allows(interaction, resourceType, operation)) return;
  const what = operation ? `the operation $${operation}` : interaction;
  throw forbidden(`Your role does not allow ${what} on ${resourceType ?? 'the whole server'}`);
}

/**
 * The types a search reads beyond its own: chained parameters read their target types, `_has`
 * reads the referring type, and includes read what they include. Each needs `search` (chains,
 * `_has`: they reveal what those resources contain) or `read` (includes).
 */
export function requireSearchAllowed(policy: AccessPolicy | undefined, search: SearchRequest): void {
  if (!policy) return;
  for (const type of search.resourceTypes) requireAllowed(policy, 'search', type);
  const visit = (criterion: Criterion): void => {
    if (criterion.chain) {
      for (const type of criterion.chain.targetTypes) requireAllowed(policy, 'search', type);
      visit(criterion.chain.criterion);
    }
    if (criterion.has) {
      requireAllowed(policy, 'search', criterion.has.resourceType);
      visit(criterion.has.criterion);
    }
  };
  for (const criterion of search.criteria) visit(criterion);
}

/** The resources the caller may see, the others dropped (never an error: a search does not fail for them). */
export function visible<T extends Resource>(policy: AccessPolicy | undefined, resources: T[]): T[] {
  return policy ? resources.filter((resource) => policy.mayReturn(resource)) : resources;
}
