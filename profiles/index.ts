/**
 * The hospital model: Passerelle's own StructureDefinitions (JSON files in `profiles/definitions/`),
 * loaded at start-up and handed to the FHIR core, which enforces them on write when a resource
 * declares them; their names and codes (`model.ts`); the rule that keeps each ward's
 * bed-availability Observation true (`bed-availability.ts`); and the demo region generator.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StructureDefinition } from '@medplum/fhirtypes';

const DEFINITIONS_DIR = join(import.meta.dirname, 'definitions');

export function loadProfiles(dir = DEFINITIONS_DIR): StructureDefinition[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const sd = JSON.parse(readFileSync(join(dir, file), 'utf8')) as StructureDefinition;
      if (sd.resourceType !== 'StructureDefinition') throw new Error(`${file} is not a StructureDefinition`);
      return sd;
    });
}

export * from './model.ts';
export { assigningAuthorityOf, assigningAuthoritySystem } from './identifier-system.ts';
export { bedAvailabilityRule, bedAvailabilityId, countBeds, isBed, isWard, isSite, locationId, lockWard, refreshWard } from './bed-availability.ts';
export { passerelleCodeSystems } from './terminology.ts';
export { demoRegion, hospitalResources, Prng, DEMO_DEFAULT_SIZES, type DemoSizes, type DemoRegion, type DemoHospital } from './demo-region.ts';
export { hospitalOperations, AVAILABLE_BEDS_EXTENSION, TOTAL_BEDS_EXTENSION, BED_CAPACITY_MEASURE } from './operations/index.ts';
export { poseObservation, type Pose } from './tool-tracking.ts';
