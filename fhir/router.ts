/**
 * The FHIR REST interactions, independent of any transport: a FhirRequest in, a FhirResponse out,
 * every failure an OperationOutcome.
 * @see https://hl7.org/fhir/R4/http.html
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { Repository, PatchOperation } from './repository.ts';
import { badRequest, forbidden, informational, methodNotAllowed, notFound, statusOf, toFhirError } from './outcomes.ts';
import { isKnownResourceType, resourceTypes } from './definitions.ts';
import { assertResource, assertValidId } from './validation.ts';
import { preferReturn, versionHeaders, type FhirRequest, type FhirResponse } from './http-types.ts';
import { parseSearch } from './search/request.ts';
import { historyBundle, parseHistoryQuery } from './history-bundle.ts';
import { appliedQuery, searchBundle } from './search/bundle.ts';
import type { OperationRegistry } from './operations/registry.ts';
import { requireAllowed, requireSearchAllowed, visible, writeGuard, type AccessPolicy, type FhirInteraction } from './access.ts';
import type { HistoryEntry } from './repository.ts';

export interface RouterOptions {
  repo: Repository;
  operations: OperationRegistry;
  /** Handles `POST /` with a batch or transaction Bundle. */
  bundles: { process(request: FhirRequest, router: FhirRouter): Promise<FhirResponse> };
  capabilityStatement: () => Resource;
  /** Called with errors that become 500, so they reach the logs (never the client). */
  onUnexpectedError?: (err: unknown) => void;
}

export class FhirRouter {
  readonly options: RouterOptions;
  /** Whether this router's repository already guards writes with the caller's access. */
  #guarded = false;

  constructor(options: RouterOptions) {
    this.options = options;
  }

  /** The same router on another repository (e.g. one bound to a transaction). */
  withRepository(repo: Repository): FhirRouter {
    const router = new FhirRouter({ ...this.options, repo });
    router.#guarded = this.#guarded;
    return router;
  }

  #guardedBy(access: AccessPolicy): FhirRouter {
    const router = new FhirRouter({ ...this.options, repo: this.options.repo.guardedBy(writeGuard(access)) });
    router.#guarded = true;
    return router;
  }

  async handle(request: FhirRequest): Promise<FhirResponse> {
    try {
      // Writes are checked resource by resource where they happen, in the repository.
      if (request.access && !this.#guarded) return await this.#guardedBy(request.access).#route(request);
      return await this.#route(request);
    } catch (err) {
      const error = toFhirError(err);
      if (error.status >= 500) this.options.onUnexpectedError?.(err);
      return { status: error.status, body: error.outcome };
    }
  }

  #route(request: FhirRequest): Promise<FhirResponse> {
    const segments = request.path.split('/').filter((s) => s !== '').map(decodeSegment);
    const [first, second, third, fourth] = segments;
    const method = request.method.toUpperCase();
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method)) throw methodNotAllowed(`${method} is not allowed on ${request.path || '/'}`);
    };
    if (segments.length > 4) throw notFound(`No FHIR endpoint at ${request.path}`);
    if (first === undefined || (first === '_search' && segments.length === 1)) {
      if (first === undefined && method === 'POST') return this.options.bundles.process(request, this);
      allow(first === undefined ? 'GET' : 'POST', 'HEAD');
      return this.#search(request, systemTypes(request));
    }
    if (first === 'metadata' && segments.length === 1) {
      allow('GET', 'HEAD');
      return Promise.resolve(ok(this.options.capabilityStatement()));
    }
    if (first === '_history' && segments.length === 1) {
      allow('GET', 'HEAD');
      return this.#history(request, {});
    }
    if (first.startsWith('$')) {
      requireAllowed(request.access, 'operation', undefined, first.slice(1));
      return this.options.operations.invoke(first.slice(1), { request, repo: this.options.repo });
    }
    const type = first;
    if (!isKnownResourceType(type)) throw notFound(`Unknown resource type "${type}"`);
    if (second === undefined) return this.#typeLevel(request, method, type);
    if (second.startsWith('$') && third === undefined) {
      requireAllowed(request.access, 'operation', type, second.slice(1));
      return this.options.operations.invoke(second.slice(1), { request, repo: this.options.repo, resourceType: type });
    }
    if (second === '_history' && third === undefined) {
      allow('GET', 'HEAD');
      return this.#history(request, { resourceType: type });
    }
    if (second === '_search' && third === undefined) {
      allow('POST');
      return this.#search(request, [type]);
    }
    const id = second;
    assertValidId(id);
    if (third === undefined) return this.#instanceLevel(request, method, type, id);
    if (third.startsWith('$') && fourth === undefined) {
      requireAllowed(request.access, 'operation', type, third.slice(1));
      return this.options.operations.invoke(third.slice(1), { request, repo: this.options.repo, resourceType: type, id });
    }
    if (third === '_history') {
      allow('GET', 'HEAD');
      if (fourth === undefined) return this.#history(request, { resourceType: type, id });
      return this.#vread(request, type, id, fourth);
    }
    throw notFound(`No FHIR endpoint at ${request.path}`);
  }

  async #typeLevel(request: FhirRequest, method: string, type: string): Promise<FhirResponse> {
    const { repo } = this.options;
    const interaction = TYPE_LEVEL_INTERACTIONS[method];
    if (interaction) {
      requireAllowed(request.access, interaction, type);
      // A conditional write searches first: what it matches must be searchable by the caller.
      if (method !== 'POST' || request.header('if-none-exist')) requireAllowed(request.access, 'search', type);
    }
    switch (method) {
      case 'GET':
      case 'HEAD':
        return this.#search(request, [type]);
      case 'POST': {
        const resource = bodyResource(request, type);
        const ifNoneExist = request.header('if-none-exist');
        const { resource: stored, created } = await repo.create(withoutId(resource), { ifNoneExist });
        return writeResponse(request, stored, created);
      }
      case 'PUT': {
        const resource = bodyResource(request, type);
        const result = await repo.transaction(async (tx) => {
          const match = await tx.conditionalMatch(type, request.query, `conditional ${request.method}`);
          if (match && resource.id && resource.id !== match.id) throw badRequest(`The resource id ${resource.id} differs from the id of the match (${match.id})`, 'id');
          return tx.update({ ...resource, id: match?.id ?? resource.id ?? randomUUID() }, { ifMatch: request.header('if-match') });
        });
        return writeResponse(request, result.resource, result.created);
      }
      case 'PATCH': {
        const operations = patchBody(request);
        const result = await repo.transaction(async (tx) => {
          const match = await tx.conditionalMatch(type, request.query, `conditional ${request.method}`);
          if (!match) throw notFound(`No ${type} matches the conditional PATCH`);
          return tx.patch(type, match.id as string, operations, { ifMatch: request.header('if-match') });
        });
        return writeResponse(request, result.resource, false);
      }
      case 'DELETE': {
        const deleted = await repo.transaction(async (tx) => {
          const match = await tx.conditionalMatch(type, request.query, `conditional ${request.method}`);
          if (match) await tx.delete(type, match.id as string);
          return match !== undefined;
        });
        return deleteResponse(request, deleted);
      }
      default:
        throw methodNotAllowed(`${method} is not allowed on ${type}`);
    }
  }

  async #instanceLevel(request: FhirRequest, method: string, type: string, id: string): Promise<FhirResponse> {
    const { repo } = this.options;
    const interaction = INSTANCE_LEVEL_INTERACTIONS[method];
    if (interaction) requireAllowed(request.access, interaction, type);
    switch (method) {
      case 'GET':
      case 'HEAD': {
        const resource = mayReturn(request, await repo.read(type, id));
        const etag = `W/"${resource.meta?.versionId}"`;
        if (request.header('if-none-match') === etag) return { status: 304, headers: versionHeaders(resource) };
        return ok(resource, versionHeaders(resource));
      }
      case 'PUT': {
        const resource = bodyResource(request, type);
        if (resource.id !== id) throw badRequest(`The resource id (${resource.id ?? 'none'}) must match the URL id (${id})`, 'id');
        const result = await repo.update(resource, { ifMatch: request.header('if-match') });
        return writeResponse(request, result.resource, result.created);
      }
      case 'PATCH': {
        const result = await repo.patch(type, id, patchBody(request), { ifMatch: request.header('if-match') });
        return writeResponse(request, result.resource, false);
      }
      case 'DELETE': {
        const { deleted } = await repo.delete(type, id, { ifMatch: request.header('if-match') });
        return deleteResponse(request, deleted);
      }
      default:
        throw methodNotAllowed(`${method} is not allowed on ${type}/${id}`);
    }
  }

  async #vread(request: FhirRequest, type: string, id: string, versionId: string): Promise<FhirResponse> {
    requireAllowed(request.access, 'vread', type);
    const resource = mayReturn(request, await this.options.repo.vread(type, id, versionId));
    return ok(resource, versionHeaders(resource));
  }

  /** Search on one type, or several for a system-level search. */
  async #search(request: FhirRequest, types: string[]): Promise<FhirResponse> {
    const query = new URLSearchParams(request.query);
    if (request.method.toUpperCase() === 'POST' && request.body instanceof URLSearchParams) {
      for (const [key, value] of request.body) query.append(key, value);
    }
    const strict = /handling=strict/.test(request.header('prefer') ?? '');
    const restriction = types.length === 1 ? request.access?.restriction(types[0] as string) : undefined;
    for (const [key, value] of restriction ?? []) query.append(key, value);
    const search = parseSearch(types, query, { lenient: !strict });
    requireSearchAllowed(request.access, search);
    const { repo } = this.options;
    const result = await repo.search(search, { baseUrl: request.baseUrl });
    if (request.access) {
      result.matches = result.matches.filter((match) => request.access?.mayReturn(match.resource));
      result.resources = result.matches.map((match) => match.resource);
    }
    const included = visible(request.access, await repo.includes(result.resources, search.include, search.revinclude));
    const url = `${request.baseUrl}${types.length === 1 ? `/${types[0]}` : ''}`;
    return ok(searchBundle(url, search, appliedQuery(search, query), result, included, request.baseUrl));
  }

  async #history(request: FhirRequest, target: { resourceType?: string; id?: string }): Promise<FhirResponse> {
    requireAllowed(request.access, 'history', target.resourceType);
    const query = parseHistoryQuery(request.query);
    const entries = visibleHistory(request, await this.options.repo.history({ ...target, ...query, count: query.count + 1 }));
    if (target.id && entries.length === 0 && !query.before && !query.since) throw notFound(`${target.resourceType}/${target.id} is not known`);
    return ok(historyBundle(request, query, entries) as Bundle);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`Malformed percent-encoding in the URL: ${segment.slice(0, 40)}`);
  }
}

const TYPE_LEVEL_INTERACTIONS: Record<string, FhirInteraction> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
const INSTANCE_LEVEL_INTERACTIONS: Record<string, FhirInteraction> = { GET: 'read', HEAD: 'read', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The resource, unless the caller may not see it (403, as for a type it may not read). */
function mayReturn(request: FhirRequest, resource: Resource): Resource {
  if (request.access && !request.access.mayReturn(resource)) throw forbidden(`Your role does not allow reading this ${resource.resourceType}`);
  return resource;
}

/** History entries the caller may see: their resource shown, or for a deletion its type readable. */
function visibleHistory(request: FhirRequest, entries: HistoryEntry[]): HistoryEntry[] {
  const { access } = request;
  if (!access) return entries;
  return entries.filter((entry) => (entry.resource ? access.mayReturn(entry.resource) : access.allows('read', entry.resourceType)));
}

/**
 * `_type=Patient,Practitioner` for a system-level search (every type when absent; for a caller
 * with a policy, every type it may search).
 */
function systemTypes(request: FhirRequest): string[] {
  const listed = request.query.get('_type');
  if (!listed) return request.access ? resourceTypes().filter((type) => request.access?.allows('search', type)) : resourceTypes();
  const types = listed.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const unknown = types.filter((t) => !isKnownResourceType(t));
  if (unknown.length > 0) throw badRequest(`Unknown resource type in _type: ${unknown.join(', ')}`, '_type');
  return types;
}

function ok(body: Resource, headers?: Record<string, string>): FhirResponse {
  return { status: 200, body, headers };
}

function bodyResource(request: FhirRequest, type: string): Resource {
  if (request.body === undefined) throw badRequest('The request has no body');
  assertResource(request.body);
  if (request.body.resourceType !== type) {
    throw badRequest(`The body is a ${request.body.resourceType}, the URL is for ${type}`, 'resourceType');
  }
  return request.body;
}

/** A POST creates with a server id: an id in the body is ignored, per the spec. */
function withoutId(resource: Resource): Resource {
  const { id: _id, ...rest } = resource;
  return rest as Resource;
}

function patchBody(request: FhirRequest): PatchOperation[] {
  const body = request.body;
  if (!Array.isArray(body) || !body.every((op) => typeof op === 'object' && op !== null && typeof op.op === 'string' && typeof op.path === 'string')) {
    throw badRequest('A JSON Patch body is an array of operations with "op" and "path"');
  }
  return body as PatchOperation[];
}

/** The response to a create or update, shaped by `Prefer: return=`. */
export function writeResponse(request: FhirRequest, resource: Resource, created: boolean): FhirResponse {
  const status = created ? statusOf('created') : statusOf('ok');
  const headers = versionHeaders(resource);
  if (created) headers.Location = `${request.baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
  switch (preferReturn(request)) {
    case 'minimal':
      return { status, headers };
    case 'OperationOutcome':
      return { status, headers, body: informational(created ? 'Created' : 'Updated') };
    default:
      return { status, headers, body: resource };
  }
}

function deleteResponse(request: FhirRequest, deleted: boolean): FhirResponse {
  if (preferReturn(request) === 'OperationOutcome') {
    return { status: 200, body: informational(deleted ? 'Deleted' : 'Nothing to delete: the resource does not exist or was already deleted') };
  }
  return { status: 204 };
}
