/** The FHIR core's public surface; other folders import only this file. */
export type { Database, Queryable } from './database.ts';
export { RETRYABLE_SQLSTATES } from './database.ts';
export * from './outcomes.ts';
export { loadR4Definitions, resourceTypes, isKnownResourceType } from './definitions.ts';
export { ProfileRegistry } from './profiles.ts';
export { Repository, type WriteResult, type HistoryEntry, type PatchOperation, type PreparedResource } from './repository.ts';
export type { WriteHook, ResourceChange } from './write-hooks.ts';
export { FhirRouter, type RouterOptions } from './router.ts';
export type { FhirRequest, FhirResponse } from './http-types.ts';
export { requireAllowed, type AccessPolicy, type FhirInteraction, type WriteChange } from './access.ts';
export { fhirExpressRouter } from './express.ts';
export { capabilityStatement } from './capability.ts';
export { coreOperations, type Operation, type OperationContext } from './operations/index.ts';
export { bundleProcessor } from './bundles/process.ts';
export { parseSearch, splitValues } from './search/request.ts';
export { distanceExtension } from './search/bundle.ts';
export { reindexAll, type ReindexOptions } from './reindex.ts';
