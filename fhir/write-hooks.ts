/**
 * Rules that keep derived resources true (e.g. a ward's bed-availability Observation) run inside
 * the transaction of the write that changes their inputs, whoever made it: REST, a Bundle, or a
 * bridge. `fhir/` declares the interface; the rules live with the profiles they serve.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Repository } from './repository.ts';

/** One resource changed by a write: `before` absent for a create, `after` absent for a delete. */
export interface ResourceChange {
  resourceType: string;
  id: string;
  before?: Resource;
  after?: Resource;
}

export interface WriteHook {
  /** Whether writes of this type concern the hook (others keep the fast path). */
  interestedIn(resourceType: string): boolean;
  /**
   * Called after each change of an interesting type, in the same transaction, with the
   * repository bound to it. What it writes commits or rolls back with the change.
   */
  afterWrite(repo: Repository, change: ResourceChange): Promise<void>;
}
