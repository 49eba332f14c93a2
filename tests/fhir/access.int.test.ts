/**
 * The router's access checks with a small policy written here (the core's contract: `auth/`
 * builds the real ones from roles): every interaction asks the policy, and the side doors do not
 * leak (batch and transaction entries, _include and _revinclude, chains, _has, system-level
 * search and history, reads of a type seen only in part).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Observation, Resource } from '@medplum/fhirtypes';
import {
  bundleProcessor, coreOperations, FhirRouter, loadR4Definitions, ProfileRegistry, Repository,
  type AccessPolicy, type Database, type FhirInteraction, type FhirRequest, type FhirResponse,
} from '../../fhir/index.ts';
import { pgliteDriver } from '../support/database.ts';

const BEDS = 'https://example.test/bed-availability';

/** May search, read and see the history of Location, and Observations with the BEDS profile only; nothing else. */
const dispatch: AccessPolicy = {
  allows(interaction: FhirInteraction, type: string | undefined) {
    if (!['read', 'vread', 'search', 'history'].includes(interaction)) return false;
    return type === undefined || type === 'Location' || type === 'Observation';
  },
  mayReturn(resource: Resource) {
    if (resource.resourceType === 'Location') return true;
    return resource.resourceType === 'Observation' && (resource.meta?.profile ?? []).includes(BEDS);
  },
  restriction(type: string) {
    return type === 'Observation' ? new URLSearchParams({ _profile: BEDS }) : undefined;
  },
  mayWrite: () => false,
};

const hasBeds = (resource: Resource | undefined): boolean => resource === undefined || (resource.meta?.profile ?? []).includes(BEDS);
/** A feed of bed counts: reads and writes Observations, but only those with the BEDS profile, as they are and as they will be. */
const bedWriter: AccessPolicy = {
  allows: (_interaction: FhirInteraction, type: string | undefined) => type === 'Observation' || type === undefined,
  mayReturn: (resource: Resource) => resource.resourceType === 'Observation' && hasBeds(resource),
  restriction: () => new URLSearchParams({ _profile: BEDS }),
  mayWrite: ({ before, after }) => hasBeds(before) && hasBeds(after),
};

describe('access checks in the FHIR router', () => {
  let db: Database;
  let router: FhirRouter;
  let bedsId: string;
  let labId: string;
  const call = (method: string, path: string, options: { query?: string; body?: unknown; access?: AccessPolicy } = {}): Promise<FhirResponse> => {
    const request: FhirRequest = {
      method, path, query: new URLSearchParams(options.query ?? ''), header: () => undefined, body: options.body, baseUrl: 'http://test/fhir',
      ...(options.access === undefined ? { access: dispatch } : { access: options.access }),
    };
    return router.handle(request);
  };
  const entriesOf = (response: FhirResponse): Resource[] => ((response.body as Bundle).entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));

  before(async () => {
    loadR4Definitions();
    db = await pgliteDriver.open();
    const repo = new Repository(db, new ProfileRegistry([]));
    router = new FhirRouter({ repo, operations: coreOperations(), bundles: bundleProcessor, capabilityStatement: () => ({ resourceType: 'CapabilityStatement' }) as Resource });
    const patient = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Secret' }] })).resource;
    const ward = (await repo.create({ resourceType: 'Location', name: 'Ward A' })).resource;
    const base = { status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${patient.id}` } } as const;
    bedsId = (await repo.create({ resourceType: 'Observation', ...base, meta: { profile: [BEDS] }, focus: [{ reference: `Location/${ward.id}` }] } as Observation)).resource.id as string;
    labId = (await repo.create({ resourceType: 'Observation', ...base } as Observation)).resource.id as string;
  });
  after(async () => {
    await db.close();
  });

  it('answers 403 with an OperationOutcome for a type or interaction the policy refuses', async () => {
    for (const [method, path, body] of [['GET', '/Patient', undefined], ['POST', '/Location', { resourceType: 'Location' }], ['DELETE', `/Observation/${bedsId}`, undefined]] as const) {
      const response = await call(method, path, { body });
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.equal((response.body as { issue: { code: string }[] }).issue[0]?.code, 'forbidden');
    }
  });

  it('reads a resource of a type seen in part only when it is in the allowed part', async () => {
    assert.equal((await call('GET', `/Observation/${bedsId}`)).status, 200);
    assert.equal((await call('GET', `/Observation/${labId}`)).status, 403);
    assert.equal((await call('GET', `/Observation/${labId}/_history/1`)).status, 403);
  });

  it('restricts searches of such a type to the allowed part', async () => {
    const found = entriesOf(await call('GET', '/Observation'));
    assert.deepEqual(found.map((r) => r.id), [bedsId]);
  });

  it('drops what _include and _revinclude would bring from types the caller may not read', async () => {
    const found = entriesOf(await call('GET', '/Observation', { query: '_include=Observation:subject&_include=Observation:focus' }));
    assert.deepEqual(found.map((r) => r.resourceType).sort(), ['Location', 'Observation']);
    const rev = entriesOf(await call('GET', '/Location', { query: '_revinclude=Observation:focus' }));
    assert.ok(rev.every((r) => r.resourceType !== 'Patient'));
  });

  it('refuses chains and _has through types the caller may not search', async () => {
    assert.equal((await call('GET', '/Observation', { query: 'subject:Patient.name=Secret' })).status, 403);
    assert.equal((await call('GET', '/Location', { query: '_has:Encounter:location:status=finished' })).status, 403);
  });

  it('keeps system-level search and history to what the caller may see', async () => {
    const all = entriesOf(await call('GET', '', { query: '_count=50' }));
    assert.ok(all.length > 0 && all.every((r) => dispatch.mayReturn(r)), JSON.stringify(all.map((r) => r.resourceType)));
    assert.equal((await call('GET', '', { query: '_type=Patient' })).status, 403);
    const history = entriesOf(await call('GET', '/_history'));
    assert.ok(history.length > 0 && history.every((r) => dispatch.mayReturn(r)));
  });

  it('checks every entry of a batch and of a transaction', async () => {
    const batch = await call('POST', '', { body: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient' } }, { request: { method: 'GET', url: 'Location' } }] } });
    const statuses = ((batch.body as Bundle).entry ?? []).map((e) => e.response?.status);
    assert.match(String(statuses[0]), /^403/);
    assert.equal(statuses[1], '200 OK');
    const transaction = await call('POST', '', { body: { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient' } }] } });
    assert.equal(transaction.status, 403);
    const read = await call('POST', '', { body: { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: `Observation/${labId}` } }] } });
    assert.equal(read.status, 403);
  });

  it('lets a caller write only the resources it may write, as they are and as they would be, by every door', async () => {
    const as = { access: bedWriter };
    const bedCount = { resourceType: 'Observation', status: 'final', code: { text: 'free beds' }, meta: { profile: [BEDS] } };
    const created = await call('POST', '/Observation', { ...as, body: bedCount });
    assert.equal(created.status, 201);
    const id = (created.body as Observation).id as string;
    const plain = await call('POST', '/Observation', { ...as, body: { ...bedCount, meta: {} } });
    assert.equal(plain.status, 403, 'a create outside the filter');
    assert.match(JSON.stringify(plain.body), /may write only some Observation/);

    const unprofiled = { ...bedCount, id, meta: {} };
    assert.equal((await call('PUT', `/Observation/${id}`, { ...as, body: unprofiled })).status, 403, 'an update taking the resource out of the filter');
    assert.equal((await call('PUT', `/Observation/${labId}`, { ...as, body: { ...bedCount, id: labId } })).status, 403, 'an update of a resource outside the filter');
    const patch = [{ op: 'remove', path: '/meta/profile' }];
    assert.equal((await call('PATCH', `/Observation/${id}`, { ...as, body: patch })).status, 403, 'a patch taking it out');
    assert.equal((await call('DELETE', `/Observation/${labId}`, as)).status, 403, 'a delete of a resource outside the filter');
    const transaction = await call('POST', '', { ...as, body: { resourceType: 'Bundle', type: 'transaction', entry: [
      { request: { method: 'POST', url: 'Observation' }, resource: bedCount },
      { request: { method: 'PUT', url: `Observation/${labId}` }, resource: { ...bedCount, id: labId } },
    ] } });
    assert.equal(transaction.status, 403, 'a transaction with one refused entry');
    const batch = await call('POST', '', { ...as, body: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'POST', url: 'Observation' }, resource: { ...bedCount, meta: {} } }] } });
    assert.match(String((batch.body as Bundle).entry?.[0]?.response?.status), /^403/, 'a batch entry');

    // Nothing refused was written: the bed count is as created, the lab result untouched, no other bed count.
    const mine = await call('GET', `/Observation/${id}`);
    assert.deepEqual((mine.body as Observation).meta?.profile, [BEDS]);
    assert.equal((mine.body as Observation).meta?.versionId, '1');
    const lab = await router.handle({ method: 'GET', path: `/Observation/${labId}`, query: new URLSearchParams(), header: () => undefined, baseUrl: 'http://test/fhir' });
    assert.equal((lab.body as Observation).meta?.versionId, '1');
    assert.equal(entriesOf(await call('GET', '/Observation', { ...as, query: '_count=50' })).length, 2, 'the seeded bed count and the one created');
    assert.equal((await call('DELETE', `/Observation/${id}`, as)).status, 204, 'its own kind it may delete');
  });

  it('checks nothing for a request without a policy (loopback-only mode)', async () => {
    const response = await router.handle({ method: 'GET', path: '/Patient', query: new URLSearchParams(), header: () => undefined, baseUrl: 'http://test/fhir' });
    assert.equal(response.status, 200);
  });
});
