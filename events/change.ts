/** One committed change of a resource, as the change feed delivers it. */
import type { Resource } from '@medplum/fhirtypes';

export type Interaction = 'create' | 'update' | 'delete';

export interface Change {
  /** Position in the feed: increases with each change, and with each version of one resource. */
  seq: string;
  resourceType: string;
  id: string;
  /** The version written (for a delete, the version that marks it deleted). */
  versionId: string;
  interaction: Interaction;
  /** When the version was written (its meta.lastUpdated). */
  at: string;
  /** The version written; for a delete, the version it deleted (what the resource was). */
  resource: Resource | undefined;
}

/** `Patient/123`: what a change is about. */
export const referenceOf = (change: Pick<Change, 'resourceType' | 'id'>): string => `${change.resourceType}/${change.id}`;
