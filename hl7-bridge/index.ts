/**
 * The HL7 v2 bridge: hospital EHRs' ADT, results and scheduling messages, over MLLP or HTTP (and
 * AMQP, through the same pipeline), become FHIR Patients, Encounters, bed statuses, Observations
 * and Appointments, each message in one transaction, acknowledged after its commit.
 */
export { Hl7Pipeline, type PipelineDependencies, type ReceiveResult } from './pipeline.ts';
export { hl7HttpRouter } from './http.ts';
export { hl7AdminRouter } from './admin.ts';
export { DEFAULT_MAPPING_OPTIONS, type MappingOptions } from './mapping/index.ts';
export { listMessages, type LoggedMessage, type MessageStatus } from './message-log.ts';
export { startMllpServer, type MllpServer } from './mllp/server.ts';
export { connectMllp, type MllpClient } from './mllp/client.ts';
export { frame } from './mllp/framer.ts';
