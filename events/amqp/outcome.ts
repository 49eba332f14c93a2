/**
 * What an inbound handler decides about one message, independent of AMQP: applied (ack), never
 * applicable (dead-letter with a reason), or not now (retry later). A handler that throws means
 * "not now" too: the database may be down, and the message must not be lost or dead-lettered.
 */
export interface InboundReply {
  content: Buffer;
  contentType: string;
  headers?: Record<string, string | number>;
}

export type InboundOutcome =
  | { kind: 'applied'; reply?: InboundReply }
  /** `reason` is readable text for whoever empties the dead-letter queue: never patient data. */
  | { kind: 'dead-letter'; reason: string; reply?: InboundReply }
  | { kind: 'retry'; reason: string };

/** Reasons travel in a header: keep them short. */
export const MAX_REASON_LENGTH = 500;

/**
 * A reason as it may travel and be logged: quoted values (validation messages quote what the
 * sender wrote, e.g. `"Hélène" is not in the value set`) become `"…"`, whitespace is flattened,
 * and it is cut to MAX_REASON_LENGTH.
 */
export function shortReason(text: string): string {
  const flat = text.replace(/"[^"]*"|“[^”]*”|'[^']*'/g, '"…"').replace(/\s+/g, ' ').trim();
  return flat.length > MAX_REASON_LENGTH ? `${flat.slice(0, MAX_REASON_LENGTH - 1)}…` : flat;
}
