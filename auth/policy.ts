/**
 * The FHIR core's access policy (fhir/access.ts) for one caller, from the permissions of their
 * roles: interactions allowed per type, and resource filters (e.g. dispatch sees Observations
 * only when they are bed-availability ones) applied to reads, results, includes and history,
 * added to single-type searches so paging counts only what the caller may see, and to writes:
 * what a caller may write only in part must pass the filter as it was and as it will be.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { AccessPolicy, FhirInteraction, WriteChange } from '../fhir/index.ts';
import { allowsResource, canFhir, filterSearchParams, resourceFilters, type Permissions } from './permissions.ts';

export function accessPolicy(permissions: Permissions): AccessPolicy {
  return {
    allows(interaction: FhirInteraction, resourceType: string | undefined, operation?: string): boolean {
      return canFhir(permissions, resourceType, interaction, operation);
    },
    mayReturn(resource: Resource): boolean {
      return allowsResource(permissions, 'read', resource) || allowsResource(permissions, 'search', resource);
    },
    mayWrite({ interaction, before, after }: WriteChange): boolean {
      return (before === undefined || allowsResource(permissions, interaction, before)) && (after === undefined || allowsResource(permissions, interaction, after));
    },
    restriction(resourceType: string): URLSearchParams | undefined {
      const filters = resourceFilters(permissions, resourceType, 'search');
      // One filter can be a search; alternatives cannot (results are then filtered one by one).
      if (!filters || filters.length !== 1) return undefined;
      return new URLSearchParams(filterSearchParams(filters[0] as NonNullable<(typeof filters)[0]>));
    },
  };
}
