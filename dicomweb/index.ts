/** The DICOMweb server's public surface; other folders import only this file. */
export { dicomwebRouter, type DicomwebOptions } from './routes.ts';
export { DicomFileStore } from './file-store.ts';
export { foldPersonName } from './qido/person-name.ts';
export { internalStore, storeInstances } from './store-instance.ts';
export type { StoreContext, StoreOutcome } from './store-study.ts';
