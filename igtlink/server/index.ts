/** The OpenIGTLink TCP server: connections, framing, the protocol's answers; what messages become is the sink's. */
export { startIgtlServer, type IgtlServer, type IgtlServerOptions } from './server.ts';
export type { Arrival, IgtlSink } from './connection.ts';
