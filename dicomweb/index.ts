/** The DICOMweb server's public surface; other folders import only this file. */
export { dicomwebRouter, type DicomwebOptions } from './routes.ts';
export { DicomFileStore } from './file-store.ts';
export { foldPersonName } from './qido/person-name.ts';
