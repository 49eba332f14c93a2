/** Small repository helpers the mappings share: find by standard search parameters. */
import type { Resource } from '@medplum/fhirtypes';
import { parseSearch, type Repository } from '../../fhir/index.ts';

/** Current resources of a type matching standard search parameters (`{ identifier: 'sys|val' }`). */
export async function searchAll<T extends Resource>(repo: Repository, resourceType: T['resourceType'], params: Record<string, string>, count = 100): Promise<T[]> {
  const { resources } = await repo.search({ ...parseSearch(resourceType, new URLSearchParams(params)), count });
  return resources as T[];
}

/** The first current resource matching search parameters, if any. */
export async function searchFirst<T extends Resource>(repo: Repository, resourceType: T['resourceType'], params: Record<string, string>): Promise<T | undefined> {
  return (await searchAll<T>(repo, resourceType, params, 1))[0];
}
