/** FHIR Bulk Data export jobs, de-identified for research when asked or when the role allows nothing else. */
export { exportRouter, DEIDENTIFIED_EXTENSION, EXTRA_OUTPUT_EXTENSION, type ExportRouterOptions } from './router.ts';
export { ExportRunner, type ExportRunnerOptions } from './runner.ts';
export type { CompositionSource, ImagingSource } from './run-export.ts';
