/**
 * In a Bundle, a JSON Patch travels as a Binary resource (contentType application/json-patch+json).
 * @see https://hl7.org/fhir/R4/http.html#patch
 */
import type { Binary } from '@medplum/fhirtypes';
import type { PatchOperation } from '../repository.ts';
import { badRequest } from '../outcomes.ts';

export function patchFromBinary(resource: unknown, index: number): PatchOperation[] {
  const binary = resource as Binary | undefined;
  if (binary?.resourceType !== 'Binary' || !binary.data || !/json-patch\+json/.test(binary.contentType ?? '')) {
    throw badRequest('A PATCH entry carries a Binary with contentType application/json-patch+json', `Bundle.entry[${index}].resource`);
  }
  try {
    const operations = JSON.parse(Buffer.from(binary.data, 'base64').toString('utf8'));
    if (Array.isArray(operations)) return operations;
  } catch {
    // reported below
  }
  throw badRequest('The PATCH Binary does not hold a JSON Patch array', `Bundle.entry[${index}].resource`);
}
