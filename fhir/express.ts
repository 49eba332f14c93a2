/**
 * The thin Express layer over the FhirRouter: media types, body size, content negotiation,
 * headers. Everything FHIR-specific happens in the router.
 * @see https://hl7.org/fhir/R4/http.html#mime-type
 */
import express, { type Request, type Response, type Router } from 'express';
import type { FhirRouter } from './router.ts';
import type { FhirRequest, FhirResponse } from './http-types.ts';
import type { AccessPolicy } from './access.ts';
import { badRequest, FhirError, notAcceptable, tooLarge, unsupportedMediaType } from './outcomes.ts';

export interface FhirExpressOptions {
  router: FhirRouter;
  /** Largest request body accepted, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Base URL for links; default: from the request's host. */
  baseUrl?: string;
  /** The caller's access policy, set by the authentication in front of this router (none: not checked). */
  accessOf?: (req: Request) => AccessPolicy | undefined;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const JSON_TYPES = /^application\/(fhir\+)?json$/;
const PATCH_TYPE = /^application\/json-patch\+json$/;
const FORM_TYPE = /^application\/x-www-form-urlencoded$/;

export function fhirExpressRouter(options: FhirExpressOptions): Router {
  const app = express.Router();
  app.use(express.raw({ type: () => true, limit: options.maxBodyBytes }));
  app.use(async (req: Request, res: Response) => {
    res.locals.route = routeLabel(req.method, req.path);
    let response: FhirResponse;
    try {
      checkAccept(req);
      const access = options.accessOf?.(req);
      response = await options.router.handle({ ...toFhirRequest(req, options.baseUrl), ...(access ? { access } : {}) });
    } catch (err) {
      const error = err instanceof FhirError ? err : badRequest('The request could not be read');
      response = { status: error.status, body: error.outcome };
    }
    send(req, res, response);
  });
  // Errors from the body parser (too large, aborted) reach here.
  app.use((err: { type?: string; status?: number }, req: Request, res: Response, _next: express.NextFunction) => {
    const error = err.type === 'entity.too.large' ? tooLarge(`The request body is larger than ${options.maxBodyBytes} bytes`) : badRequest('The request body could not be read');
    send(req, res, { status: error.status, body: error.outcome });
  });
  return app;
}

function toFhirRequest(req: Request, baseUrl: string | undefined): FhirRequest {
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
  query.delete('_format');
  query.delete('_pretty');
  return {
    method: req.method,
    path: req.path === '/' ? '' : req.path,
    query,
    header: (name) => req.get(name) ?? undefined,
    body: parseBody(req),
    baseUrl: baseUrl ?? `${req.protocol}://${req.get('host')}${req.baseUrl}`,
  };
}

function parseBody(req: Request): unknown {
  const body = req.body as Buffer | undefined;
  if (!Buffer.isBuffer(body) || body.length === 0) return undefined;
  const type = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (FORM_TYPE.test(type) && req.method === 'POST' && req.path.endsWith('/_search')) return new URLSearchParams(body.toString('utf8'));
  const acceptable = req.method === 'PATCH' ? PATCH_TYPE.test(type) || JSON_TYPES.test(type) : JSON_TYPES.test(type);
  if (!acceptable) {
    const expected = req.method === 'PATCH' ? 'application/json-patch+json' : 'application/fhir+json';
    throw unsupportedMediaType(`Content-Type ${type || '(none)'} is not supported here; send ${expected}`);
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`The body is not valid JSON: ${(err as Error).message}`);
  }
}

/** JSON is all we speak: a client that accepts only XML (or anything else) gets 406. */
function checkAccept(req: Request): void {
  const format = typeof req.query._format === 'string' ? req.query._format : undefined;
  if (format && !/json/.test(format)) throw notAcceptable(`_format=${format} is not supported; use json`);
  const accept = req.get('accept');
  if (!accept || format) return;
  if (!/(\*\/\*|application\/\*|application\/(fhir\+)?json|json)/.test(accept)) throw notAcceptable(`Only application/fhir+json is offered, not ${accept}`);
}

function send(req: Request, res: Response, response: FhirResponse): void {
  for (const [name, value] of Object.entries(response.headers ?? {})) res.set(name, value);
  res.status(response.status);
  if (response.body === undefined || response.status === 304 || response.status === 204) {
    res.end();
    return;
  }
  const pretty = req.query._pretty === 'true';
  res.type(FHIR_JSON).send(JSON.stringify(response.body, undefined, pretty ? 2 : undefined));
}

/** A route pattern for metrics and logs: never the ids or search values themselves. */
export function routeLabel(method: string, path: string): string {
  const segments = path.split('/').filter((s) => s !== '');
  const pattern = segments.map((segment, i) => {
    if (segment.startsWith('$') || segment.startsWith('_') || segment === 'metadata') return segment;
    if (i === 0) return /^[A-Z][A-Za-z]+$/.test(segment) ? '{type}' : '{unknown}';
    return i === 3 ? '{vid}' : '{id}';
  });
  return `${method} /fhir/${pattern.join('/')}`.replace(/\/$/, '');
}
