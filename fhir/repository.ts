/**
 * The one repository every entry point writes through: create, read, update, patch, delete,
 * history, each write one version in one transaction with its search index rows.
 * @see https://hl7.org/fhir/R4/http.html
 */
import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { applyPatch, deepEquals } from '@medplum/core';
import type { Database, Queryable } from './database.ts';
import { badRequest, gone, notFound, preconditionFailed } from './outcomes.ts';
import { assertValidId, validate } from './validation.ts';
import type { ProfileRegistry } from './profiles.ts';
import { extractIndexRows } from './search/extract.ts';
import { emptyIndexRows, type IndexRows } from './search/index-rows.ts';
import { indexMask, writeStatement, type VersionWrite } from './write-statement.ts';
import { LockedRows, type CurrentRow } from './locked-rows.ts';
import { WriteBatcher } from './write-batcher.ts';
import type { ResourceChange, WriteHook } from './write-hooks.ts';
import type { WriteGuard } from './access.ts';
import { parseSearch, type IncludeSpec, type SearchRequest } from './search/request.ts';
import { countByElements, executeSearch, type ElementGroup, type SearchResult } from './search/execute.ts';
import { findIncludes } from './search/include.ts';

export interface WriteResult {
  resource: Resource;
  /** True when a new resource was created (201), false for an update (200). */
  created: boolean;
  /** False when nothing was written: an update equal to the current version, or an If-None-Exist match. */
  changed: boolean;
}

/** A resource checked and indexed, ready to be written. */
export interface PreparedResource {
  resource: Resource;
  index: IndexRows;
}

export interface HistoryEntry {
  seq: string;
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  method: VersionWrite['method'];
  resource: Resource | undefined;
}

export interface HistoryQuery {
  resourceType?: string;
  id?: string;
  since?: string;
  /** Only entries older than this `seq` (the paging cursor). */
  before?: string;
  count: number;
}

/** A JSON Patch operation (RFC 6902). */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

export class Repository {
  readonly #db: Database;
  readonly #tx: Queryable | undefined;
  readonly #profiles: ProfileRegistry;
  readonly #hooks: WriteHook[];
  /** Asked before every write made through this repository (not those of the hooks): a caller's access. */
  readonly #guard: WriteGuard | undefined;
  /** Groups concurrent plain creates; only outside a transaction, whose writes must stay in it. */
  readonly #batcher: WriteBatcher | undefined;
  /** In a transaction: the rows it holds locked, shared by every repository bound to it. */
  readonly #locked: LockedRows | undefined;

  constructor(
    db: Database,
    profiles: ProfileRegistry,
    options: { hooks?: WriteHook[]; tx?: Queryable; guard?: WriteGuard; batcher?: WriteBatcher; locked?: LockedRows } = {},
  ) {
    this.#db = db;
    this.#profiles = profiles;
    this.#hooks = options.hooks ?? [];
    this.#tx = options.tx;
    this.#guard = options.guard;
    this.#batcher = options.tx ? undefined : options.batcher ?? new WriteBatcher((writes) => this.#store(writes));
    this.#locked = options.tx ? options.locked ?? new LockedRows() : undefined;
  }

  /** Runs `work` with a repository bound to one database transaction (all or nothing). */
  transaction<T>(work: (repo: Repository) => Promise<T>): Promise<T> {
    if (this.#tx) return work(this);
    return this.#db.transaction((tx) => work(new Repository(this.#db, this.#profiles, { hooks: this.#hooks, tx, ...(this.#guard ? { guard: this.#guard } : {}) })));
  }

  /** The same transaction (if any) and its locked rows, with another guard (or none). */
  #sibling(guard: WriteGuard | undefined): Repository {
    return new Repository(this.#db, this.#profiles, {
      hooks: this.#hooks,
      ...(guard ? { guard } : {}),
      ...(this.#tx ? { tx: this.#tx, locked: this.#locked } : {}),
      ...(this.#batcher ? { batcher: this.#batcher } : {}),
    });
  }

  /**
   * This repository with every write first shown to `guard`, which throws to refuse it (a
   * caller's access to the resources, as they were and as they would be). What the write hooks
   * derive is the server's own doing and is not asked.
   */
  guardedBy(guard: WriteGuard): Repository {
    return this.#sibling(guard);
  }

  /** Whether a write of this type must run hooks (and so needs a transaction). */
  #hooked(resourceType: string): boolean {
    return this.#hooks.some((hook) => hook.interestedIn(resourceType));
  }

  async #afterWrite(change: ResourceChange): Promise<void> {
    const server = this.#guard ? this.#sibling(undefined) : this;
    for (const hook of this.#hooks) if (hook.interestedIn(change.resourceType)) await hook.afterWrite(server, change);
  }

  get #q(): Queryable {
    return this.#tx ?? this.#db;
  }

  /** Validates a resource as a write would, without writing. */
  validate(resource: Resource): void {
    validate(resource, this.#profiles);
  }

  /** Validates a resource and extracts its search index rows: the CPU part of a write. */
  prepare(resource: Resource): PreparedResource {
    this.validate(resource);
    return { resource, index: extractIndexRows(resource) };
  }

  async read(resourceType: string, id: string): Promise<Resource> {
    const row = this.#locked?.get(resourceType, id) ?? (await this.#q.query<CurrentRow>(
      'SELECT version_id, deleted, content FROM fhir_resource WHERE resource_type = $1 AND id = $2',
      [resourceType, id],
      'passerelle_read',
    ))[0];
    if (!row) throw notFound(`${resourceType}/${id} is not known`);
    if (row.deleted || !row.content) throw gone(`${resourceType}/${id} was deleted (version ${row.version_id})`);
    return row.content;
  }

  /** The current resource, or undefined when it is not known or was deleted (where `read` throws 404/410). */
  async readIfExists<T extends Resource = Resource>(resourceType: string, id: string): Promise<T | undefined> {
    const locked = this.#locked?.get(resourceType, id);
    if (locked) return (locked.deleted ? undefined : locked.content ?? undefined) as T | undefined;
    const rows = await this.#q.query<{ content: Resource | null }>(
      'SELECT content FROM fhir_resource WHERE resource_type = $1 AND id = $2 AND NOT deleted',
      [resourceType, id],
      'passerelle_read_if_exists',
    );
    return (rows[0]?.content ?? undefined) as T | undefined;
  }

  /**
   * Like `readIfExists`, and locks the resource until the transaction ends (no one else can
   * change it meanwhile), so that updating it after costs no second read. In a transaction only.
   */
  async readForUpdate<T extends Resource = Resource>(resourceType: string, id: string): Promise<T | undefined> {
    if (!this.#tx) throw new Error('readForUpdate needs a transaction');
    const row = await this.#lockCurrent(resourceType, id);
    return (row && !row.deleted ? row.content ?? undefined : undefined) as T | undefined;
  }

  async vread(resourceType: string, id: string, versionId: string): Promise<Resource> {
    if (!/^\d{1,18}$/.test(versionId)) throw notFound(`${resourceType}/${id} has no version ${versionId}`);
    const rows = await this.#q.query<{ content: Resource | null }>(
      'SELECT content FROM fhir_history WHERE resource_type = $1 AND id = $2 AND version_id = $3',
      [resourceType, id, versionId],
      'passerelle_vread',
    );
    const row = rows[0];
    if (!row) throw notFound(`${resourceType}/${id} has no version ${versionId}`);
    if (!row.content) throw gone(`Version ${versionId} of ${resourceType}/${id} is a deletion`);
    return row.content;
  }

  /**
   * Creates a resource with a new server-assigned id (or `options.id`, assigned earlier by a
   * transaction), or returns the one match of `ifNoneExist`.
   */
  async create(resource: Resource, options: { ifNoneExist?: string; id?: string } = {}): Promise<WriteResult> {
    const prepared = this.prepare(resource);
    const { ifNoneExist, id = randomUUID() } = options;
    if (!ifNoneExist) return { resource: (await this.insertPrepared([{ prepared, id }]))[0] as Resource, created: true, changed: true };
    return this.transaction(async (repo) => {
      const existing = await repo.conditionalMatch(resource.resourceType, new URLSearchParams(ifNoneExist), 'If-None-Exist');
      if (existing) return { resource: existing, created: false, changed: false };
      return { resource: (await repo.insertPrepared([{ prepared, id }]))[0] as Resource, created: true, changed: true };
    });
  }

  /** Creates prepared resources under new ids, all in one statement (transactions use it for their POSTs). */
  async insertPrepared(items: { prepared: PreparedResource; id: string }[]): Promise<Resource[]> {
    if (items.length === 0) return [];
    if (!this.#tx && items.some(({ prepared }) => this.#hooked(prepared.resource.resourceType))) {
      return this.transaction((repo) => repo.insertPrepared(items));
    }
    for (const { prepared, id } of items) this.#guard?.({ interaction: 'create', resourceType: prepared.resource.resourceType, id, after: prepared.resource });
    const lastUpdated = new Date().toISOString();
    const versions = items.map(({ prepared, id }) => storedVersion(prepared, id, 1, 'POST', 'create', lastUpdated, 0));
    const writes = versions.map((v) => v.write);
    await (this.#batcher ? this.#batcher.write(writes) : this.#store(writes));
    for (const { resource } of versions) {
      if (this.#hooked(resource.resourceType)) await this.#afterWrite({ resourceType: resource.resourceType, id: resource.id as string, after: resource });
    }
    return versions.map((v) => v.resource);
  }

  /**
   * Updates a resource, or creates it with the client's id when it does not exist.
   * A body equal to the current version (ignoring meta.versionId/lastUpdated) writes nothing.
   */
  async update(resource: Resource, options: { ifMatch?: string; method?: 'PUT' | 'PATCH' } = {}): Promise<WriteResult> {
    const id = resource.id;
    if (!id) throw badRequest('The resource has no id; an update needs one', 'id');
    assertValidId(id);
    return this.transaction(async (repo) => {
      const current = await repo.#lockCurrent(resource.resourceType, id);
      checkIfMatch(options.ifMatch, current);
      repo.#guard?.({ interaction: options.method === 'PATCH' ? 'patch' : 'update', resourceType: resource.resourceType, id, ...(current?.content && !current.deleted ? { before: current.content } : {}), after: resource });
      // The same content as stored (a feed repeating itself): nothing to validate, index or write.
      if (current && !current.deleted && current.content && sameContent(current.content, resource)) {
        return { resource: current.content, created: false, changed: false };
      }
      const prepared = this.prepare(resource);
      const versionId = current ? Number(current.version_id) + 1 : 1;
      const created = !current || current.deleted;
      const version = storedVersion(prepared, id, versionId, options.method ?? 'PUT', created ? 'create' : 'update', new Date().toISOString(), current?.index_mask ?? 0);
      await repo.#store([version.write]);
      if (repo.#hooked(resource.resourceType)) {
        await repo.#afterWrite({ resourceType: resource.resourceType, id, before: current?.content ?? undefined, after: version.resource });
      }
      return { resource: version.resource, created, changed: true };
    });
  }

  /** Applies a JSON Patch to the current version; the result must still be valid. */
  async patch(resourceType: string, id: string, operations: PatchOperation[], options: { ifMatch?: string } = {}): Promise<WriteResult> {
    return this.transaction(async (repo) => {
      const current = await repo.#lockCurrent(resourceType, id);
      if (!current) throw notFound(`${resourceType}/${id} is not known`);
      if (current.deleted || !current.content) throw gone(`${resourceType}/${id} was deleted`);
      const patched = structuredClone(current.content);
      const errors = applyPatch(patched, operations as Parameters<typeof applyPatch>[1]).filter((e) => e !== null);
      if (errors.length > 0) {
        const failedTest = errors.some((e) => e.name === 'TestError');
        const message = `JSON Patch failed: ${errors.map((e) => e.message).join('; ')}`;
        throw failedTest ? preconditionFailed(message) : badRequest(message);
      }
      if (patched.resourceType !== resourceType || patched.id !== id) throw badRequest('A patch may not change resourceType or id');
      return repo.update(patched, { ifMatch: options.ifMatch, method: 'PATCH' });
    });
  }

  /** Deletes a resource (a new version marks it deleted); deleting what is absent or deleted does nothing. */
  async delete(resourceType: string, id: string, options: { ifMatch?: string } = {}): Promise<{ deleted: boolean }> {
    return this.transaction(async (repo) => {
      const current = await repo.#lockCurrent(resourceType, id);
      checkIfMatch(options.ifMatch, current);
      if (!current || current.deleted) return { deleted: false };
      repo.#guard?.({ interaction: 'delete', resourceType, id, ...(current.content ? { before: current.content } : {}) });
      await repo.#store([{
        resourceType,
        id,
        versionId: Number(current.version_id) + 1,
        lastUpdated: new Date().toISOString(),
        method: 'DELETE',
        interaction: 'delete',
        content: undefined,
        index: emptyIndexRows(),
        previousIndexMask: current.index_mask,
      }]);
      if (repo.#hooked(resourceType)) await repo.#afterWrite({ resourceType, id, before: current.content ?? undefined });
      return { deleted: true };
    });
  }

  /**
   * Finds current resources matching a search. `lock` (conditional interactions, in a transaction)
   * locks the matches; `baseUrl` lets absolute references to this server match local ones.
   */
  search(request: SearchRequest, options: { lock?: boolean; baseUrl?: string } = {}): Promise<SearchResult> {
    return executeSearch(this.#q, request, options);
  }

  /** The matches of a search counted by the values of some top-level elements (see `countByElements`). */
  countByElements(request: SearchRequest, elements: string[]): Promise<ElementGroup[]> {
    return countByElements(this.#q, request, elements);
  }

  /** Resources that `_include` and `_revinclude` add to a page of matches. */
  includes(matches: Resource[], include: IncludeSpec[], revinclude: IncludeSpec[]): Promise<Resource[]> {
    return findIncludes(this.#q, matches, include, revinclude);
  }

  /**
   * Current resources with an indexed reference to `targetType/targetId` (e.g. those a patient
   * merge moves to the surviving patient), at most `limit`.
   */
  async referencing(targetType: string, targetId: string, limit = 500): Promise<Resource[]> {
    const rows = await this.#q.query<{ content: Resource }>(
      `SELECT r.content FROM fhir_resource r
       WHERE NOT r.deleted AND (r.resource_type, r.id) IN (
         SELECT resource_type, id FROM fhir_reference WHERE target_type = $1 AND target_id = $2)
       ORDER BY r.resource_type, r.id LIMIT ${Math.max(1, Math.floor(limit))}`,
      [targetType, targetId],
    );
    return rows.map((row) => row.content);
  }

  /** Instance, type or system history, newest first. */
  async history(query: HistoryQuery): Promise<HistoryEntry[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (query.resourceType) add('resource_type = ?', query.resourceType);
    if (query.id) add('id = ?', query.id);
    if (query.since) add('last_updated >= ?', query.since);
    if (query.before) add('seq < ?', query.before);
    const rows = await this.#q.query<{
      seq: string; resource_type: string; id: string; version_id: string; last_updated: Date | string; method: VersionWrite['method']; content: Resource | null;
    }>(
      `SELECT seq, resource_type, id, version_id, last_updated, method, content FROM fhir_history
       ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ${Math.max(0, Math.floor(query.count))}`,
      params,
    );
    return rows.map((row) => ({
      seq: String(row.seq),
      resourceType: row.resource_type,
      id: row.id,
      versionId: String(row.version_id),
      lastUpdated: new Date(row.last_updated).toISOString(),
      method: row.method,
      resource: row.content ?? undefined,
    }));
  }

  async #store(writes: VersionWrite[]): Promise<void> {
    const { sql, params, name } = writeStatement(writes);
    await this.#q.query(sql, params, name);
    // A row written is locked until the transaction ends: its next read or update need not ask.
    for (const w of writes) {
      this.#locked?.remember(w.resourceType, w.id, {
        version_id: String(w.versionId), deleted: w.content === undefined, content: (w.content as Resource | undefined) ?? null, index_mask: indexMask(w.index),
      });
    }
  }

  /** The current row, locked until the transaction ends (from memory when this transaction already holds it). */
  async #lockCurrent(resourceType: string, id: string): Promise<CurrentRow | undefined> {
    const held = this.#locked?.get(resourceType, id);
    if (held) return held;
    const rows = await this.#q.query<CurrentRow>(
      'SELECT version_id, deleted, content, index_mask FROM fhir_resource WHERE resource_type = $1 AND id = $2 FOR UPDATE',
      [resourceType, id],
      'passerelle_lock_current',
    );
    const row = rows[0];
    if (row) this.#locked?.remember(resourceType, id, row);
    return row;
  }

  /**
   * The one current resource that conditional criteria (`identifier=sys|123`) match, if any; 412
   * when several do, 400 for no or unknown criteria (`what` names the interaction in errors).
   * Holds the criteria's lock and the match's row lock until the transaction ends. Call it inside
   * `transaction()`.
   * @see https://hl7.org/fhir/R4/http.html#cond-update
   */
  async conditionalMatch(resourceType: string, criteria: URLSearchParams, what: string): Promise<Resource | undefined> {
    const search = parseSearch(resourceType, criteria);
    if (search.criteria.length === 0) throw badRequest(`The ${what} on ${resourceType} has no search criteria`);
    await this.lockCondition(resourceType, criteria.toString());
    const { resources } = await this.search({ ...search, count: 2 }, { lock: true });
    if (resources.length > 1) throw preconditionFailed(`The ${what} matched more than one ${resourceType}`);
    return resources[0];
  }

  /**
   * Serialises conditional writes with the same criteria until the transaction ends, so two of
   * them cannot both find nothing and both create. Call it inside `transaction()`.
   */
  async lockCondition(resourceType: string, criteria: string): Promise<void> {
    // The same criteria lock the same key whether they came as a header or a URL query.
    const normalized = new URLSearchParams(criteria);
    normalized.sort();
    await this.#q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${resourceType}?${normalized}`]);
  }
}

/** The stored form of a prepared resource (id and meta set by the server) and its version write. */
function storedVersion(
  prepared: PreparedResource, id: string, versionId: number, method: VersionWrite['method'], interaction: VersionWrite['interaction'], lastUpdated: string, previousIndexMask: number,
): { resource: Resource; write: VersionWrite } {
  const { resource: input, index } = prepared;
  const resource = { ...input, id, meta: { ...input.meta, versionId: String(versionId), lastUpdated } } as Resource;
  return {
    resource,
    write: { resourceType: resource.resourceType, id, versionId, lastUpdated, method, interaction, content: resource, index, previousIndexMask },
  };
}

/** `If-Match: W/"3"` must name the current version. */
function checkIfMatch(ifMatch: string | undefined, current: CurrentRow | undefined): void {
  if (ifMatch === undefined) return;
  const wanted = /^(?:W\/)?"?([^"]*)"?$/.exec(ifMatch.trim())?.[1];
  if (!current || current.deleted || wanted !== String(current.version_id)) {
    throw preconditionFailed(`If-Match ${ifMatch} does not match the current version${current ? ` (${current.version_id})` : ''}`);
  }
}

function sameContent(stored: Resource, incoming: Resource): boolean {
  const strip = (r: Resource): unknown => ({ ...r, meta: { ...r.meta, versionId: undefined, lastUpdated: undefined } });
  return deepEquals(strip(stored), strip(incoming));
}
