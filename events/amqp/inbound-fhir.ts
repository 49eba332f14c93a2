/**
 * The FHIR queue: each message body is a resource or a batch/transaction Bundle, turned into the
 * REST request a client would send (Bundle: `POST /`; resource with an id: `PUT /Type/id`;
 * without: `POST /Type`) and handled by the same router as HTTP. Below 400 the message is
 * applied (a batch whose entries partly failed is too: its batch-response says which); 4xx can
 * never succeed as sent and is dead-lettered with the OperationOutcome's diagnostics; 5xx is
 * the server's trouble and is retried.
 * @see https://hl7.org/fhir/R4/http.html
 */
import type { ConsumeMessage } from 'amqplib';
import type { FhirRequest, FhirResponse } from '../../fhir/index.ts';
import type { FhirHandler } from './bridge-types.ts';
import { shortReason, type InboundOutcome } from './outcome.ts';

const FHIR_JSON = 'application/fhir+json';
const ACCEPTED_CONTENT_TYPES = new Set(['', 'application/json', FHIR_JSON]);
/** A resource type as a path segment may hold one: this also keeps `$operation` or `a/b` out of the path. */
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/** What a message's body is, read once: for `isIndependentCreate` and then for the handler. */
type Parsed = { ok: true; body: Record<string, unknown>; resourceType: string } | { ok: false; reason: string };
const parsedBodies = new WeakMap<ConsumeMessage, Parsed>();

function parse(message: ConsumeMessage): Parsed {
  const cached = parsedBodies.get(message);
  if (cached) return cached;
  let parsed: Parsed;
  try {
    const body = JSON.parse(message.content.toString('utf8')) as unknown;
    const resourceType = (body as { resourceType?: unknown } | null)?.resourceType;
    parsed = typeof body !== 'object' || body === null || Array.isArray(body) || typeof resourceType !== 'string' || !RESOURCE_TYPE.test(resourceType)
      ? { ok: false, reason: 'the message body is not a FHIR resource (a JSON object with a resourceType)' }
      : { ok: true, body: body as Record<string, unknown>, resourceType };
  } catch {
    parsed = { ok: false, reason: 'the message body is not valid JSON' };
  }
  parsedBodies.set(message, parsed);
  return parsed;
}

/** An entry that only creates, with an id of the server's: `POST`, not conditional. */
function isPlainCreateEntry(entry: unknown): boolean {
  const request = (entry as { request?: { method?: unknown; ifNoneExist?: unknown } } | null)?.request;
  return request?.method === 'POST' && request.ifNoneExist === undefined;
}

/**
 * Whether a message only creates resources with ids of the server's (a resource without an id, or
 * a batch/transaction Bundle of plain POSTs): no other message can be about what it makes, so it
 * may be applied alongside its neighbours. Anything unreadable keeps queue order.
 */
export function isIndependentCreate(message: ConsumeMessage): boolean {
  const parsed = parse(message);
  if (!parsed.ok) return false;
  const { body, resourceType } = parsed;
  if (resourceType !== 'Bundle') return body.id === undefined || body.id === '';
  const entries = body.entry;
  return (body.type === 'batch' || body.type === 'transaction') && Array.isArray(entries) && entries.every(isPlainCreateEntry);
}

export function fhirInboundHandler(router: FhirHandler, baseUrl: string): (message: ConsumeMessage) => Promise<InboundOutcome> {
  return async (message) => {
    const contentType = (message.properties.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!ACCEPTED_CONTENT_TYPES.has(contentType)) {
      return { kind: 'dead-letter', reason: shortReason(`content type ${contentType.replace(/[^\w.+/-]/g, '?')} is not accepted (send ${FHIR_JSON} or application/json)`) };
    }
    const parsed = parse(message);
    if (!parsed.ok) return { kind: 'dead-letter', reason: parsed.reason };
    const response = await router.handle(requestFor(parsed.body, parsed.resourceType, baseUrl));
    if (response.status >= 500) return { kind: 'retry', reason: `HTTP ${response.status}` };
    const reply = {
      content: Buffer.from(JSON.stringify(response.body ?? {}), 'utf8'),
      contentType: FHIR_JSON,
      headers: { 'x-passerelle-status': response.status, ...(response.headers?.Location ? { 'x-passerelle-location': response.headers.Location } : {}) },
    };
    if (response.status >= 400) return { kind: 'dead-letter', reason: shortReason(`HTTP ${response.status}: ${diagnosticsOf(response)}`), reply };
    return { kind: 'applied', reply };
  };
}

/** The REST request that stores `body`, as a client would send it over HTTP. */
function requestFor(body: Record<string, unknown>, resourceType: string, baseUrl: string): FhirRequest {
  const headers: Record<string, string> = { 'content-type': FHIR_JSON };
  const isBatch = resourceType === 'Bundle' && (body.type === 'batch' || body.type === 'transaction');
  const id = typeof body.id === 'string' && body.id !== '' ? body.id : undefined;
  const [method, path] = isBatch ? ['POST', '/'] : id !== undefined ? ['PUT', `/${resourceType}/${encodeURIComponent(id)}`] : ['POST', `/${resourceType}`];
  return { method, path, query: new URLSearchParams(), header: (name) => headers[name.toLowerCase()], body, baseUrl };
}

/** The issues' diagnostics (or details text) of an OperationOutcome response. */
function diagnosticsOf(response: FhirResponse): string {
  const body = response.body as { resourceType?: string; issue?: { diagnostics?: string; details?: { text?: string }; code?: string }[] } | undefined;
  if (body?.resourceType !== 'OperationOutcome') return 'request refused';
  const texts = (body.issue ?? []).map((issue) => issue.diagnostics ?? issue.details?.text ?? issue.code).filter((t): t is string => !!t);
  return texts.length > 0 ? texts.join('; ') : 'request refused';
}
