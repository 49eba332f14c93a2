/**
 * Single sign-on end to end: a user with a Kerberos ticket (real MIT KDC, kinit) reaches the
 * FHIR API without typing a password; their groups come from the real OpenLDAP; the server's
 * mutual-authentication token comes back in WWW-Authenticate; the ticket can be exchanged for a
 * bearer token; a bad token or a ticket for a principal the directory does not know opens nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadR4Definitions } from '../../fhir/index.ts';
import { createApp } from '../../server/app.ts';
import { createAuth, type AuthWiring } from '../../server/auth.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics.ts';
import { pgliteDriver } from '../support/database.ts';
import { startKdc, type Kdc } from '../support/kdc.ts';
import { startSlapd, type Slapd } from '../support/slapd.ts';
import type { Database } from '../../fhir/index.ts';

const SERVICE = 'HTTP@localhost';

describe('Kerberos single sign-on over HTTP (real KDC and slapd)', () => {
  let kdc: Kdc;
  let slapd: Slapd;
  let dir: string;
  let db: Database;
  let auth: AuthWiring;
  let server: Server;
  let base: string;
  const saved = { ...process.env };

  before(async () => {
    loadR4Definitions();
    kdc = await startKdc({ realm: 'HOPITAL.TEST', users: [{ name: 'alice', password: 'alice-pw' }, { name: 'stranger', password: 'stranger-pw' }], services: ['HTTP/localhost'] });
    slapd = await startSlapd({ users: [{ uid: 'alice', password: 'alice-pw', cn: 'Alice Martin', groups: ['clinicians'] }] });
    // The Kerberos library reads its configuration and keytab from the environment at each call.
    Object.assign(process.env, kdc.env);
    dir = mkdtempSync(join(tmpdir(), 'passerelle-sso-'));
    writeFileSync(join(dir, 'roles.json'), JSON.stringify({ clinicians: 'clinician' }));
    const config = loadConfig({
      LDAP_URL: slapd.url, LDAP_BIND_DN: slapd.bindDN, LDAP_BIND_CREDENTIALS: slapd.bindPassword, LDAP_SEARCH_BASE: slapd.searchBase,
      KERBEROS_SERVICE: SERVICE, KRB5_KTNAME: kdc.env.KRB5_KTNAME, JWT_SECRET: 'another-test-secret-of-32-chars!!', AUTH_ROLE_MAP: join(dir, 'roles.json'),
    });
    db = await pgliteDriver.open();
    auth = createAuth(db, config.auth as NonNullable<typeof config.auth>, { profiles: [] });
    const app = createApp({ db, logger: createLogger('silent'), metrics: createMetrics(), profiles: [], maxBodyBytes: 1024 * 1024, auth });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await auth?.close();
    await db?.close();
    for (const key of Object.keys(kdc?.env ?? {})) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await kdc?.stop();
    await slapd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('offers Negotiate first in its challenges', async () => {
    const res = await fetch(`${base}/fhir/Patient`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Negotiate, Basic/);
    const capability = (await (await fetch(`${base}/fhir/metadata`)).json()) as { rest: { security?: { service: { coding: { code: string }[] }[] } }[] };
    assert.deepEqual(capability.rest[0]?.security?.service.map((s) => s.coding[0]?.code), ['Kerberos', 'Basic', 'OAuth'], 'the CapabilityStatement says how to authenticate');
  });

  it('lets a user with a ticket in without a password, with the roles of their directory groups, and authenticates itself back', async () => {
    const cache = kdc.ccachePath('alice');
    await kdc.kinit('alice', 'alice-pw', cache);
    const client = await kdc.clientContext(cache, SERVICE);
    const res = await fetch(`${base}/fhir/Patient`, { headers: { authorization: `Negotiate ${client.token}` } });
    assert.equal(res.status, 200);
    const mutual = /^Negotiate (\S+)$/.exec(res.headers.get('www-authenticate') ?? '');
    assert.ok(mutual, 'the mutual-authentication token');
    assert.equal(await client.verifyResponse(mutual[1] as string), true);

    const exchange = await fetch(`${base}/auth/token`, { method: 'POST', headers: { authorization: `Negotiate ${await kdc.clientToken(cache, SERVICE)}` } });
    assert.equal(exchange.status, 200);
    const { access_token: token } = (await exchange.json()) as { access_token: string };
    assert.equal((await fetch(`${base}/fhir/Patient`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });

  it('refuses a forged token and gives a principal unknown to the directory no access', async () => {
    assert.equal((await fetch(`${base}/fhir/Patient`, { headers: { authorization: 'Negotiate YIIBmQYGKwYBBQUCoIIBjTCCAYmgMDAu' } })).status, 401);
    const ntlm = Buffer.from('NTLMSSP\0\x01\0\0\0').toString('base64');
    assert.equal((await fetch(`${base}/fhir/Patient`, { headers: { authorization: `Negotiate ${ntlm}` } })).status, 401);
    const cache = kdc.ccachePath('stranger');
    await kdc.kinit('stranger', 'stranger-pw', cache);
    const res = await fetch(`${base}/fhir/Patient`, { headers: { authorization: `Negotiate ${await kdc.clientToken(cache, SERVICE)}` } });
    assert.equal(res.status, 403, 'authenticated, but no role');
  });

  it('gives web pages a token for the ticket at /auth/negotiate, challenging with Negotiate only', async () => {
    const bare = await fetch(`${base}/auth/negotiate`, { method: 'POST' });
    assert.equal(bare.status, 401);
    assert.equal(bare.headers.get('www-authenticate'), 'Negotiate', 'no Basic challenge: a browser without a ticket opens no login box');
    const basic = await fetch(`${base}/auth/negotiate`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('alice:alice-pw').toString('base64')}` } });
    assert.equal(basic.status, 401, 'a password is for /auth/token, not here');
    const forged = await fetch(`${base}/auth/negotiate`, { method: 'POST', headers: { authorization: 'Negotiate YIIBmQYGKwYBBQUCoIIBjTCCAYmgMDAu' } });
    assert.equal(forged.status, 401);
    assert.equal(forged.headers.get('www-authenticate'), 'Negotiate');

    const cache = kdc.ccachePath('alice-page');
    await kdc.kinit('alice', 'alice-pw', cache);
    const client = await kdc.clientContext(cache, SERVICE);
    const res = await fetch(`${base}/auth/negotiate`, { method: 'POST', headers: { authorization: `Negotiate ${client.token}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const mutual = /^Negotiate (\S+)$/.exec(res.headers.get('www-authenticate') ?? '');
    assert.equal(await client.verifyResponse(mutual?.[1] ?? ''), true, 'the server authenticates itself back');
    const { access_token: token, token_type: type } = (await res.json()) as { access_token: string; token_type: string };
    assert.equal(type, 'Bearer');
    assert.equal((await fetch(`${base}/fhir/Patient`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });
});
