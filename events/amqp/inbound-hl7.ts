/**
 * The HL7 v2 queue: each message body is one ER7 message, taken through the same pipeline as
 * MLLP (logged, de-duplicated, applied in one transaction, acknowledged after the commit). An
 * applied message is acked; one refused (AR) or in error (AE) is answered with its NAK and
 * dead-lettered with the ACK's error text as the reason; a pipeline that throws (the database
 * is down) leaves the message for a retry.
 * @see HL7 v2.5 section 2.9 (acknowledgement), 2.15.5 (ERR)
 */
import type { ConsumeMessage } from 'amqplib';
import type { Hl7Receiver } from './bridge-types.ts';
import { shortReason, type InboundOutcome } from './outcome.ts';

/** The ER7 media type, as `POST /hl7/v2` takes and answers it. */
export const HL7_CONTENT_TYPE = 'x-application/hl7-v2+er7';

export function hl7InboundHandler(pipeline: Hl7Receiver): (message: ConsumeMessage) => Promise<InboundOutcome> {
  return async (message) => {
    const result = await pipeline.receive(message.content, 'amqp');
    const reply = result.ack && { content: result.ack, contentType: HL7_CONTENT_TYPE, headers: { 'x-passerelle-hl7-log': result.id } };
    if (result.status === 'rejected' || result.status === 'error') {
      return { kind: 'dead-letter', reason: ackReason(result.ack) ?? `HL7 message ${result.status}`, ...(reply ? { reply } : {}) };
    }
    // 'received': logged and committed, applied by whichever worker holds the patient's turn.
    return { kind: 'applied', ...(reply ? { reply } : {}) };
  };
}

/**
 * `AR: Message type XYZ is not supported` from an ACK: its MSA-1 code, then ERR-8 (v2.5+), the
 * ERR-3 text, or MSA-3 (older versions). These are the receiver's own words, not message content.
 */
export function ackReason(ack: Buffer | undefined): string | undefined {
  if (!ack) return undefined;
  const text = ack.toString('latin1');
  if (!text.startsWith('MSH') || text.length < 8) return undefined;
  const field = text.charAt(3);
  const component = text.charAt(4);
  const segments = text.split(/\r\n?|\n/).map((segment) => segment.split(field));
  const msa = segments.find((s) => s[0] === 'MSA');
  const err = segments.find((s) => s[0] === 'ERR');
  const code = msa?.[1] ?? '';
  const errText = err?.[8] || err?.[3]?.split(component)[1] || err?.[1]?.split(component)[4] || '';
  const words = errText || msa?.[3] || '';
  if (!code && !words) return undefined;
  return shortReason(words ? `${code}: ${words}` : code);
}
