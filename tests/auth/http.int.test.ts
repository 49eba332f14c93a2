/**
 * Authentication, roles and the audit trail through the real HTTP app, against a real OpenLDAP
 * (Debian slapd, started here on loopback with a throwaway directory): LDAP Basic logins, bearer
 * tokens, service accounts, each shipped role's allowed and forbidden actions including the side
 * doors (batch entries, _include, chains), failed-login limits, and an AuditEvent for each access.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEvent, Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { loadR4Definitions, parseSearch, ProfileRegistry, Repository, type Database } from '../../fhir/index.ts';
import { bedAvailabilityRule, hospitalOperations, hospitalResources, loadProfiles } from '../../profiles/index.ts';
import { createApp } from '../../server/app.ts';
import { createExport, type ExportWiring } from '../../server/export.ts';
import { createAuth, type AuthWiring } from '../../server/auth.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics.ts';
import { loadKeyRing } from '../../auth/keys.ts';
import { TokenService } from '../../auth/tokens.ts';
import { pgliteDriver } from '../support/database.ts';
import { testHospital } from '../support/hl7.ts';
import { startSlapd, type Slapd } from '../support/slapd.ts';

const SECRET = 'a-test-signing-secret-of-32-chars!';
const USERS = [
  { uid: 'alice', password: 'alice-pw', cn: 'Alice Martin', groups: ['clinicians'] },
  { uid: 'samuel', password: 'samuel-pw', cn: 'Samuel Regulateur', groups: ['samu'] },
  { uid: 'rita', password: 'rita-pw', cn: 'Rita Recherche', groups: ['research'] },
  { uid: 'adm', password: 'adm-pw', cn: 'Admin', groups: ['admins'] },
  { uid: 'eve', password: 'eve-pw', cn: 'Eve', groups: [] },
];

describe('authentication, roles and audit over HTTP (real slapd)', () => {
  let slapd: Slapd;
  let dir: string;
  let db: Database;
  let auth: AuthWiring;
  let server: Server;
  let bulk: ExportWiring;
  let base: string;
  let repo: Repository;
  let patientId: string;

  const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const as = (uid: string): string => basic(uid, USERS.find((u) => u.uid === uid)?.password ?? '');
  const get = (path: string, authorization?: string): Promise<Response> => fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });
  const send = (method: string, path: string, authorization: string, body: unknown, type = 'application/fhir+json'): Promise<Response> =>
    fetch(`${base}${path}`, { method, headers: { authorization, 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const entries = async (res: Response): Promise<Resource[]> => ((await res.json()) as Bundle).entry?.flatMap((e) => (e.resource ? [e.resource] : [])) ?? [];
  const audits = (): Promise<AuditEvent[]> => repo.search(parseSearch('AuditEvent', new URLSearchParams({ _count: '1000' }))).then((r) => r.resources as AuditEvent[]);

  before(async () => {
    loadR4Definitions();
    slapd = await startSlapd({ users: USERS });
    dir = mkdtempSync(join(tmpdir(), 'passerelle-auth-'));
    const roleMap = join(dir, 'roles.json');
    writeFileSync(roleMap, JSON.stringify({ clinicians: 'clinician', samu: 'samu-dispatch', research: 'research', admins: 'admin' }));
    const config = loadConfig({
      LDAP_URL: slapd.url, LDAP_BIND_DN: slapd.bindDN, LDAP_BIND_CREDENTIALS: slapd.bindPassword, LDAP_SEARCH_BASE: slapd.searchBase,
      JWT_SECRET: SECRET, AUTH_ROLE_MAP: roleMap, AUTH_FAILURES_PER_USER: '3', DATA_DIR: dir, ANON_SECRET: `${SECRET}-anon-0123456789abcdef0123456789`,
    });
    db = await pgliteDriver.open();
    const profiles = loadProfiles();
    repo = new Repository(db, new ProfileRegistry(profiles), { hooks: [bedAvailabilityRule] });
    await repo.transaction(async (tx) => {
      for (const resource of hospitalResources(testHospital())) await tx.update(resource);
    });
    patientId = (await repo.create({ resourceType: 'Patient', name: [{ family: 'Confidentiel' }] })).resource.id as string;
    await repo.create({ resourceType: 'Observation', status: 'final', code: { text: 'lab' }, subject: { reference: `Patient/${patientId}` } });
    auth = createAuth(db, config.auth as NonNullable<typeof config.auth>, { profiles });
    bulk = createExport({ db, config, logger: createLogger('silent'), profiles: new ProfileRegistry(profiles), authConfigured: true });
    bulk.runner.start();
    const app = createApp({
      exportRouter: bulk.router,
      db, logger: createLogger('silent'), metrics: createMetrics(), profiles, hooks: [bedAvailabilityRule], operations: hospitalOperations,
      maxBodyBytes: 1024 * 1024, auth, dicomweb: { dicomDir: join(dir, 'dicom'), maxRequestBytes: 1024 * 1024 }, openehr: { systemId: 'test' },
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await bulk.runner.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await auth.close();
    await db.close();
    await slapd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for credentials with every challenge it offers', async () => {
    const res = await get('/fhir/Patient');
    assert.equal(res.status, 401);
    const challenges = res.headers.get('www-authenticate') ?? '';
    assert.match(challenges, /Basic realm="Passerelle"/);
    assert.match(challenges, /Bearer realm="Passerelle"/);
    assert.equal(((await res.json()) as OperationOutcome).issue[0]?.code, 'login');
    assert.equal((await get('/dicomweb/studies')).status, 401);
    assert.equal((await get('/openehr/v1/ehr?subject_id=1&subject_namespace=x')).status, 401);
    assert.equal((await get('/admin/hl7/messages')).status, 401);
    assert.equal((await get('/fhir/metadata')).status, 200, 'the CapabilityStatement stays public');
  });

  it('says single sign-on is not configured when there is no Kerberos service', async () => {
    const res = await fetch(`${base}/auth/negotiate`, { method: 'POST' });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('www-authenticate'), null, 'no challenge the server could not honour');
    assert.match(((await res.json()) as { error_description: string }).error_description, /Kerberos single sign-on is not configured/);
  });

  it('lets a clinician in with LDAP credentials, and refuses a wrong password', async () => {
    const res = await get('/fhir/Patient', as('alice'));
    assert.equal(res.status, 200);
    // openEHR follows the FHIR grants: a clinician creates an EHR (Patient) and reads it back.
    const status = { _type: 'EHR_STATUS', archetype_node_id: 'openEHR-EHR-EHR_STATUS.generic.v1', name: { value: 'EHR Status' }, subject: { _type: 'PARTY_SELF' }, is_queryable: true, is_modifiable: true };
    const ehr = await send('POST', '/openehr/v1/ehr', as('alice'), status, 'application/json');
    assert.equal(ehr.status, 201);
    assert.equal((await get(new URL(ehr.headers.get('location') ?? '').pathname, as('alice'))).status, 200);
    assert.ok((await entries(res)).some((r) => r.id === patientId));
    assert.equal((await get('/fhir/Patient', basic('alice', 'not-her-password'))).status, 401);
    assert.equal((await get('/fhir/Patient', basic('nobody', 'x'))).status, 401);
    assert.equal((await get('/fhir/Patient', basic('alice', ''))).status, 401, 'an empty password is never an anonymous bind');
  });

  it('shows dispatch the hospitals and their bed availability, and no patient data through any door', async () => {
    const samu = as('samuel');
    assert.equal((await get('/fhir/Location?_count=5', samu)).status, 200);
    assert.equal((await get(`/fhir/Patient/${patientId}`, samu)).status, 403);
    const observations = await entries(await get('/fhir/Observation?_include=Observation:subject&_count=100', samu));
    assert.ok(observations.length > 0);
    assert.ok(observations.every((r) => r.resourceType !== 'Patient'), 'no Patient included');
    const found = observations.filter((r) => r.resourceType === 'Observation');
    assert.ok(found.length > 0 && found.every((r) => (r.meta?.profile ?? []).some((p) => p.endsWith('/bed-availability'))), 'only bed availability, no lab result');
    assert.equal((await get('/fhir/Observation?subject:Patient.name=Confidentiel', samu)).status, 403, 'no chain through Patient');
    const batch = await send('POST', '/fhir', samu, { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Patient/${patientId}` } }] });
    assert.match(String(((await batch.json()) as Bundle).entry?.[0]?.response?.status), /^403/);
    assert.equal((await get('/fhir/Location/$find-available-beds?latitude=48.85&longitude=2.35', samu)).status, 200);
    assert.equal((await get('/dicomweb/studies', samu)).status, 403);
    assert.equal((await get('/openehr/v1/ehr?subject_id=1&subject_namespace=x', samu)).status, 403, 'an EHR is patient data');
    assert.equal((await send('POST', '/openehr/v1/ehr', samu, { _type: 'EHR_STATUS' })).status, 403);
  });

  it('gives research no clinical access and a user without a mapped group nothing', async () => {
    assert.equal((await get('/fhir/Patient', as('rita'))).status, 403);
    assert.equal((await get('/openehr/v1/ehr?subject_id=1&subject_namespace=x', as('rita'))).status, 403);
  });

  it('lets research export de-identified data only, whatever it asks, and only its own job', async () => {
    const kickOff = await fetch(`${base}/fhir/Patient/$export`, { headers: { authorization: as('rita'), prefer: 'respond-async' } });
    assert.equal(kickOff.status, 202, await kickOff.clone().text());
    const status = kickOff.headers.get('content-location') as string;
    let poll = await fetch(status, { headers: { authorization: as('rita') } });
    for (let i = 0; poll.status === 202 && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      poll = await fetch(status, { headers: { authorization: as('rita') } });
    }
    assert.equal(poll.status, 200);
    const manifest = (await poll.json()) as { requiresAccessToken: boolean; output: { type: string; url: string }[]; extension: Record<string, { deidentified: boolean }> };
    assert.equal(manifest.requiresAccessToken, true);
    assert.equal(manifest.extension['https://passerelle.health/fhir/bulk/deidentified']?.deidentified, true, 'the manifest says so');
    const patients = manifest.output.find((o) => o.type === 'Patient')?.url as string;
    const ndjson = await (await fetch(patients, { headers: { authorization: as('rita') } })).text();
    assert.ok(ndjson.includes('PSEUDED') && !ndjson.includes('Confidentiel') && !ndjson.includes(patientId), 'no name, no original id');
    assert.equal((await fetch(patients)).status, 401, 'files need credentials');
    assert.equal((await fetch(patients, { headers: { authorization: as('alice') } })).status, 404, "another user's job is not found");
    assert.equal((await fetch(status, { headers: { authorization: as('alice') } })).status, 404);
    assert.equal((await fetch(`${base}/fhir/$export`, { headers: { authorization: as('alice'), prefer: 'respond-async' } })).status, 403, 'clinicians do not export');
    assert.equal((await get('/fhir/Location', as('eve'))).status, 403);
  });

  it('issues bearer tokens to staff and to service accounts, and refuses forged or expired ones', async () => {
    const token = await (await fetch(`${base}/auth/token`, { method: 'POST', headers: { authorization: as('alice') } })).json() as { access_token: string; expires_in: number };
    assert.equal(token.expires_in, 900);
    assert.equal((await get('/fhir/Patient', `Bearer ${token.access_token}`)).status, 200);
    const [header, payload, signature] = token.access_token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['admin'] })).toString('base64url');
    assert.equal((await get('/fhir/Patient', `Bearer ${header}.${forged}.${signature}`)).status, 401);
    const past = new TokenService({ keys: loadKeyRing({ secret: SECRET }), issuer: 'passerelle', audience: 'passerelle', lifetimeSeconds: 60, now: () => new Date(Date.now() - 3600_000) });
    const expired = await past.issue({ id: 'uid=alice', name: 'alice', method: 'ldap', groups: [], roles: ['clinician'] });
    assert.equal((await get('/fhir/Patient', `Bearer ${expired.access_token}`)).status, 401);

    assert.equal((await send('POST', '/admin/clients', as('alice'), { description: 'EHR feed', roles: ['feed'] }, 'application/json')).status, 403);
    const created = await send('POST', '/admin/clients', as('adm'), { description: 'EHR feed', roles: ['feed'] }, 'application/json');
    assert.equal(created.status, 201);
    const { clientId, clientSecret } = (await created.json()) as { clientId: string; clientSecret: string };
    const grant = await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }) });
    assert.equal(grant.status, 200);
    const feed = `Bearer ${((await grant.json()) as { access_token: string }).access_token}`;
    assert.equal((await get('/fhir/Patient', feed)).status, 403, 'a feed writes, it does not read');
    assert.equal((await send('POST', '/fhir/Patient', feed, { resourceType: 'Patient' })).status, 201);
    const wrong = await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'guess' }) });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
  });

  it('limits failed logins per user: 429 with Retry-After, even for the right password', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get('/fhir/Patient', basic('rita', 'wrong'))).status, 401);
    const limited = await get('/fhir/Patient', as('rita'));
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  it('records every access as an AuditEvent, refused ones too, that only audit readers see and nobody changes', async () => {
    await sleep(200); // the trail is written as each response finishes
    const trail = await audits();
    const by = (name: string): AuditEvent[] => trail.filter((e) => e.agent.some((a) => a.requestor && a.who?.display === name));
    const aliceSearch = by('alice').find((e) => e.outcome === '0' && e.subtype?.some((c) => c.code === 'search-type'));
    assert.ok(aliceSearch, 'alice searched the patients');
    assert.ok(aliceSearch.agent.some((a) => a.requestor && a.who?.identifier?.value?.startsWith('uid=alice')), 'by her directory entry');
    const refused = by('samuel').filter((e) => e.outcome === '4');
    assert.ok(refused.length >= 3, 'the refusals of dispatch are recorded');
    assert.ok(trail.some((e) => e.outcome === '4' && e.agent.some((a) => a.requestor && a.who?.display === 'nobody' && !a.who.identifier)), 'failed logins are recorded, with the name tried');
    for (const event of trail) assert.doesNotMatch(JSON.stringify(event), /alice-pw|samuel-pw|Bearer ey/);

    assert.equal((await get('/fhir/AuditEvent', as('alice'))).status, 403);
    const listed = await get('/fhir/AuditEvent?_count=5', as('adm'));
    assert.equal(listed.status, 200);
    const one = trail[0] as AuditEvent;
    assert.equal((await send('DELETE', `/fhir/AuditEvent/${one.id}`, as('adm'), '')).status, 403);
    assert.equal((await send('PUT', `/fhir/AuditEvent/${one.id}`, as('adm'), one)).status, 403);
  });
});
