/** Small repository helpers the mappings share: read what may not exist, find by search. */
import type { Resource } from '@medplum/fhirtypes';
import { FhirError, parseSearch, type Repository } from '../../fhir/index.ts';

/** The current resource, or undefined when it does not exist or was deleted. */
export async function readIfExists<T extends Resource>(repo: Repository, resourceType: T['resourceType'], id: string): Promise<T | undefined> {
  try {
    return (await repo.read(resourceType, id)) as T;
  } catch (err) {
    if (err instanceof FhirError && (err.kind === 'not-found' || err.kind === 'gone')) return undefined;
    throw err;
  }
}

/** Current resources of a type matching standard search parameters (`{ identifier: 'sys|val' }`). */
export async function searchAll<T extends Resource>(repo: Repository, resourceType: T['resourceType'], params: Record<string, string>, count = 100): Promise<T[]> {
  const { resources } = await repo.search({ ...parseSearch(resourceType, new URLSearchParams(params)), count });
  return resources as T[];
}

/** The first current resource matching search parameters, if any. */
export async function searchFirst<T extends Resource>(repo: Repository, resourceType: T['resourceType'], params: Record<string, string>): Promise<T | undefined> {
  return (await searchAll<T>(repo, resourceType, params, 1))[0];
}
