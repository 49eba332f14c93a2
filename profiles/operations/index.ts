/** The hospital model's operations, registered by `server/` next to the core ones. */
import type { Operation } from '../../fhir/index.ts';
import { bedCapacityOperation } from './bed-capacity.ts';
import { findAvailableBedsOperation } from './find-available-beds.ts';

export const hospitalOperations: Operation[] = [findAvailableBedsOperation, bedCapacityOperation];
export { AVAILABLE_BEDS_EXTENSION, TOTAL_BEDS_EXTENSION } from './find-available-beds.ts';
export { BED_CAPACITY_MEASURE } from './bed-capacity.ts';
