/** OpenIGTLink: the codec (codec/, no network), the TCP server (server/) and the bridge into FHIR (bridge/). */
export * from './codec/index.ts';
export * from './server/index.ts';
export * from './bridge/index.ts';
