/** What the AMQP bridge needs of the HL7 pipeline and the FHIR router: only their entry points. */
import type { FhirRequest, FhirResponse } from '../../fhir/index.ts';

export interface Hl7Receiver {
  receive(raw: Buffer, transport: string): Promise<{ ack: Buffer | undefined; status: 'received' | 'applied' | 'rejected' | 'error'; id: string; duplicate: boolean }>;
}

export interface FhirHandler {
  handle(request: FhirRequest): Promise<FhirResponse>;
}
