/**
 * What Passerelle supports of a Subscription's `channel`, and the status values that notify.
 * @see https://hl7.org/fhir/R4/subscription.html (channels)
 */
import type { Subscription } from '@medplum/fhirtypes';
import { badRequest } from '../../fhir/index.ts';

export type ChannelType = 'rest-hook' | 'websocket';
export const CHANNEL_TYPES: readonly ChannelType[] = ['rest-hook', 'websocket'];

/**
 * Statuses that are notified. R4 has the server move `requested` to `active`; the subscriptions
 * consumer does so when it first sees one (see consumer.ts), and until then both count alike.
 */
export const NOTIFIED_STATUSES: ReadonlySet<string> = new Set(['requested', 'active']);

export const isNotified = (subscription: Subscription): boolean => NOTIFIED_STATUSES.has(subscription.status ?? '');

/** Payload MIME types we can send: the resource as JSON. (XML is not produced anywhere in Passerelle.) */
const PAYLOAD_TYPES = new Set(['application/fhir+json', 'application/json', 'json']);

/** Whether notifications carry the resource (`channel.payload` set), else they are empty. */
export const carriesPayload = (subscription: Subscription): boolean => Boolean(subscription.channel?.payload);

/** The Content-Type of a payload: the MIME type asked for, without parameters. */
export function payloadContentType(subscription: Subscription): string {
  const asked = (subscription.channel?.payload ?? '').split(';', 1)[0]?.trim().toLowerCase();
  return asked === 'application/json' ? 'application/json' : 'application/fhir+json';
}

/** RFC 9110 header field name (a token) followed by `:` and a value without control characters. */
const HEADER = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\0-\x08\x0a-\x1f\x7f]*?)[ \t]*$/;

/** Parses `channel.header` entries (`Name: value`); throws a 400 FhirError naming the bad one. */
export function parseHeaders(entries: readonly string[] | undefined): [name: string, value: string][] {
  return (entries ?? []).map((entry, i) => {
    const match = HEADER.exec(entry);
    if (!match) throw badRequest('channel.header entries are "Name: value", one header each', `Subscription.channel.header[${i}]`);
    return [match[1] as string, match[2] as string];
  });
}

/** Checks the channel of a Subscription being written; throws a 400 FhirError otherwise. */
export function checkChannel(subscription: Subscription): void {
  const channel = subscription.channel;
  const type = channel?.type;
  if (!type || !(CHANNEL_TYPES as readonly string[]).includes(type)) {
    throw badRequest(`Subscription channel type "${type ?? ''}" is not supported (supported: ${CHANNEL_TYPES.join(', ')})`, 'Subscription.channel.type');
  }
  if (channel.payload !== undefined) {
    const asked = channel.payload.split(';', 1)[0]?.trim().toLowerCase() ?? '';
    if (!PAYLOAD_TYPES.has(asked)) throw badRequest(`Subscription payload "${channel.payload}" is not supported (application/fhir+json)`, 'Subscription.channel.payload');
  }
  parseHeaders(channel.header);
  if (type === 'rest-hook') {
    let url: URL | undefined;
    try {
      url = new URL(channel.endpoint ?? '');
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw badRequest('A rest-hook Subscription needs channel.endpoint, an absolute http(s) URL', 'Subscription.channel.endpoint');
    }
  }
}
