/** OpenIGTLink: the codec (codec/, no network) and the TCP server (server/). */
export * from './codec/index.ts';
export * from './server/index.ts';
