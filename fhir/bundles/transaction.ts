/**
 * Transaction: every entry in one database transaction, all or nothing.
 * Identities are resolved first (new ids for POST, matches of conditional URLs), then
 * references to entries' full URLs and conditional references are rewritten, then the
 * entries run in the spec's order: DELETE, POST, PUT/PATCH, GET/HEAD.
 * @see https://hl7.org/fhir/R4/http.html#trules
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../http-types.ts';
import type { FhirRouter } from '../router.ts';
import { writeResponse } from '../router.ts';
import type { Repository } from '../repository.ts';
import { badRequest, FhirError, notFound, preconditionFailed, type OutcomeKind } from '../outcomes.ts';
import { isKnownResourceType } from '../definitions.ts';
import { assertResource, assertValidId } from '../validation.ts';
import { parseEntryRequest, type EntryRequest } from './entry-request.ts';
import { collectReferences, isConditionalReference, rewriteReferences } from './references.ts';
import { requireAllowed, type AccessPolicy, type FhirInteraction } from '../access.ts';
import { entryAsRequest, responseEntry } from './batch.ts';
import { patchFromBinary } from './patch-body.ts';

const ORDER: Record<EntryRequest['method'], number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/** Reads and operation invocations (`POST Patient/$validate`) go through the router, after the writes. */
const throughRouter = (entry: EntryRequest): boolean => entry.method === 'GET' || entry.method === 'HEAD' || entry.path.includes('/$');
const order = (entry: EntryRequest): number => (throughRouter(entry) ? 3 : ORDER[entry.method]);

/** What an entry resolved to before anything is written. */
interface Planned {
  entry: EntryRequest;
  /** The id the entry writes or deletes; undefined for a conditional delete with no match. */
  id?: string;
  /** A conditional create whose criteria matched an existing resource: nothing to write. */
  existing?: Resource;
}

export async function processTransaction(bundle: Bundle, outer: FhirRequest, router: FhirRouter): Promise<FhirResponse> {
  const entries = (bundle.entry ?? []).map((entry, index) => parseEntryRequest(entry, index, outer.baseUrl));
  for (const entry of entries) if (!throughRouter(entry)) await atEntry(entry, async () => checkAccess(entry, outer.access));
  const responses = await router.options.repo.transaction(async (repo) => {
    const plans = [];
    for (const entry of entries) plans.push(await atEntry(entry, () => plan(entry, repo)));
    checkDistinctTargets(plans);
    const identities = identityMap(plans);
    for (const p of plans) {
      if (p.entry.resource && (p.entry.method === 'POST' || p.entry.method === 'PUT')) {
        p.entry.resource = await atEntry(p.entry, () => resolveReferences(p.entry.resource as Resource, identities, repo));
      }
    }
    const txRouter = router.withRepository(repo);
    const results = new Array<BundleEntry>(plans.length);
    for (const phase of [0, 1, 2, 3]) {
      const inPhase = plans.filter((p) => order(p.entry) === phase);
      if (phase === ORDER.POST) {
        await createAll(inPhase, repo, outer, results);
        continue;
      }
      for (const p of inPhase) results[p.entry.index] = await atEntry(p.entry, () => execute(p, repo, txRouter, outer));
    }
    return results;
  });
  return { status: 200, body: { resourceType: 'Bundle', type: 'transaction-response', entry: responses } };
}

/** Runs a step for one entry; its failure fails the transaction, naming the entry. */
async function atEntry<T>(entry: EntryRequest, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof FhirError)) throw err;
    for (const issue of err.outcome.issue ?? []) {
      issue.expression = [`Bundle.entry[${entry.index}]`, ...(issue.expression ?? [])];
      if (issue.details?.text) issue.details.text = `Bundle.entry[${entry.index}] (${entry.method} ${entry.path}): ${issue.details.text}`;
    }
    throw err;
  }
}

async function plan(entry: EntryRequest, repo: Repository): Promise<Planned> {
  const { method, resourceType, resource } = entry;
  if (throughRouter(entry)) return { entry };
  if (!resourceType || !isKnownResourceType(resourceType)) throw notFound(`Unknown resource type in ${entry.path}`);
  if (method === 'POST' || method === 'PUT') {
    assertResource(resource);
    if (resource.resourceType !== resourceType) throw badRequest(`The entry's resource is a ${resource.resourceType}, its URL is for ${resourceType}`);
  }
  if (entry.id) assertValidId(entry.id);
  switch (method) {
    case 'POST': {
      if (!entry.ifNoneExist) return { entry, id: randomUUID() };
      const match = await repo.conditionalMatch(resourceType, new URLSearchParams(entry.ifNoneExist), 'ifNoneExist');
      return match ? { entry, id: match.id, existing: match } : { entry, id: randomUUID() };
    }
    case 'PUT': {
      if (entry.id) {
        if (resource?.id !== entry.id) throw badRequest(`The resource id (${resource?.id ?? 'none'}) must match the URL id (${entry.id})`, 'id');
        return { entry, id: entry.id };
      }
      const match = await repo.conditionalMatch(resourceType, entry.query, 'conditional update');
      if (match && resource?.id && resource.id !== match.id) throw badRequest(`The resource id ${resource.id} differs from the match (${match.id})`);
      return { entry, id: match?.id ?? resource?.id ?? randomUUID() };
    }
    case 'PATCH':
    case 'DELETE': {
      if (entry.id) return { entry, id: entry.id };
      const match = await repo.conditionalMatch(resourceType, entry.query, `conditional ${method.toLowerCase()}`);
      if (!match && method === 'PATCH') throw notFound(`No ${resourceType} matches the conditional patch`);
      return { entry, id: match?.id };
    }
    default:
      throw badRequest(`${method} is not valid here`);
  }
}

/** Two entries may not write or delete the same resource. */
function checkDistinctTargets(plans: Planned[]): void {
  const seen = new Map<string, number>();
  for (const p of plans) {
    if (!p.id || p.existing) continue;
    const key = `${p.entry.resourceType}/${p.id}`;
    const other = seen.get(key);
    if (other !== undefined) throw badRequest(`Bundle.entry[${other}] and Bundle.entry[${p.entry.index}] both change ${key}`);
    seen.set(key, p.entry.index);
  }
}

/** Full URLs of created and updated entries, mapped to the `Type/id` they resolved to. */
function identityMap(plans: Planned[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const { entry, id } of plans) {
    if (entry.fullUrl && id && (entry.method === 'POST' || entry.method === 'PUT')) map.set(entry.fullUrl, `${entry.resourceType}/${id}`);
  }
  return map;
}

async function resolveReferences(resource: Resource, identities: Map<string, string>, repo: Repository): Promise<Resource> {
  const conditional = new Map<string, string>();
  for (const reference of collectReferences(resource)) {
    if (!isConditionalReference(reference)) continue;
    const [type, query] = reference.split(/\?(.*)/s, 2) as [string, string];
    const match = await repo.conditionalMatch(type, new URLSearchParams(query), `conditional reference ${type}?...`);
    if (!match) throw preconditionFailed(`The conditional reference ${type}?... matches no resource`);
    conditional.set(reference, `${type}/${match.id}`);
  }
  return rewriteReferences(resource, (reference) => identities.get(reference) ?? conditional.get(reference));
}

/** The POSTs of a transaction: each validated on its own, then all written in one statement. */
async function createAll(plans: Planned[], repo: Repository, outer: FhirRequest, results: BundleEntry[]): Promise<void> {
  const fresh = plans.filter((p) => !p.existing);
  const items = [];
  for (const p of fresh) {
    items.push({ prepared: await atEntry(p.entry, async () => repo.prepare(stripId(p.entry.resource as Resource))), id: p.id as string });
  }
  const stored = await repo.insertPrepared(items);
  fresh.forEach((p, i) => {
    results[p.entry.index] = withFullUrl(outer, responseEntry(writeResponse(entryAsRequest(p.entry, outer), stored[i] as Resource, true)));
  });
  for (const p of plans.filter((p) => p.existing)) {
    results[p.entry.index] = withFullUrl(outer, responseEntry(writeResponse(entryAsRequest(p.entry, outer), p.existing as Resource, false)));
  }
}

function withFullUrl(outer: FhirRequest, entry: BundleEntry): BundleEntry {
  const resource = entry.resource;
  return resource ? { fullUrl: `${outer.baseUrl}/${resource.resourceType}/${resource.id}`, ...entry } : entry;
}

async function execute(p: Planned, repo: Repository, router: FhirRouter, outer: FhirRequest): Promise<BundleEntry> {
  const { entry, id } = p;
  const type = entry.resourceType as string;
  const entryRequest = entryAsRequest(entry, outer);
  if (throughRouter(entry)) {
    const response = await router.handle(entryRequest);
    if (response.status >= 400 && response.body?.resourceType === 'OperationOutcome') throw new FhirError(kindOf(response.status), response.body);
    return responseEntry(response);
  }
  switch (entry.method) {
    case 'DELETE': {
      if (id) await repo.delete(type, id, { ifMatch: entry.ifMatch });
      return { response: { status: '204 No Content' } };
    }
    case 'PUT': {
      const result = await repo.update({ ...(entry.resource as Resource), id }, { ifMatch: entry.ifMatch });
      return withFullUrl(outer, responseEntry(writeResponse(entryRequest, result.resource, result.created)));
    }
    case 'PATCH': {
      const result = await repo.patch(type, id as string, patchFromBinary(entry.resource, entry.index), { ifMatch: entry.ifMatch });
      return withFullUrl(outer, responseEntry(writeResponse(entryRequest, result.resource, false)));
    }
    default:
      throw badRequest(`${entry.method} is not valid here`);
  }
}

const WRITES: Record<string, FhirInteraction> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * The writes a transaction does outside the router are checked here, before anything runs:
 * the write itself, and `search` on what conditional URLs and conditional references look up.
 */
function checkAccess(entry: EntryRequest, access: AccessPolicy | undefined): void {
  if (!access) return;
  const interaction = WRITES[entry.method];
  if (interaction) requireAllowed(access, interaction, entry.resourceType);
  const conditional = entry.ifNoneExist !== undefined || (entry.method !== 'POST' && entry.id === undefined);
  if (conditional) requireAllowed(access, 'search', entry.resourceType);
  for (const reference of collectReferences(entry.resource)) {
    if (isConditionalReference(reference)) requireAllowed(access, 'search', reference.split('?')[0]);
  }
}

const KINDS: Record<number, OutcomeKind> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 405: 'method-not-allowed', 409: 'conflict', 410: 'gone', 412: 'precondition-failed', 422: 'unprocessable' };

function kindOf(status: number): OutcomeKind {
  return KINDS[status] ?? (status >= 500 ? 'server-error' : 'bad-request');
}

function stripId(resource: Resource): Resource {
  const { id: _id, ...rest } = resource;
  return rest as Resource;
}
