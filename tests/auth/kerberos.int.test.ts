/**
 * The SPNEGO acceptor against a real MIT KDC (Debian krb5-kdc) started on loopback by the
 * suite: real tickets from kinit, real tokens from the `kerberos` package as initiator (what a
 * browser sends), and the tokens a server must refuse without falling over.
 *
 * The library reads KRB5_CONFIG, KRB5_KTNAME and KRB5RCACHEDIR from process.env at each call,
 * so the suite copies the realm's environment into process.env before accepting anything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KerberosUnavailable, NegotiateRejected, acceptNegotiate } from '../../auth/kerberos.ts';
import { startKdc, type Kdc } from '../support/kdc.ts';

const SERVICE = 'HTTP@localhost';
/** The NTLM NEGOTIATE message a browser sends in `Authorization: Negotiate` when it has no ticket. */
const NTLM_NEGOTIATE = 'TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==';

async function rejected(promise: Promise<unknown>): Promise<NegotiateRejected> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof NegotiateRejected, `expected NegotiateRejected, got ${String(error)}`);
    return error;
  }
  assert.fail('expected NegotiateRejected');
}

describe('Kerberos SPNEGO acceptor (real MIT KDC)', () => {
  let kdc: Kdc;
  let startup = '';
  let aliceCache: string;
  const saved = { ...process.env };

  before(async () => {
    const started = Date.now();
    kdc = await startKdc({
      realm: 'HOPITAL.TEST',
      users: [{ name: 'alice', password: 'alice-pw' }, { name: 'bob', password: 'bob-pw' }],
      // A second service in the same keytab: a ticket for it must not open HTTP/localhost.
      services: ['HTTP/localhost', 'HTTP/intranet.hopital.test'],
    });
    startup = `KDC: ${Date.now() - started} ms in all (kdb5_util, kadmin.local, keytab, start), ${kdc.startupMs} ms from spawn to listening`;
    Object.assign(process.env, kdc.env);
    aliceCache = kdc.ccachePath('alice');
    await kdc.kinit('alice', 'alice-pw', aliceCache);
  });
  after(async () => {
    for (const key of Object.keys(kdc?.env ?? {})) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await kdc?.stop();
  });

  test('a ticket from kinit gives a token that is accepted: alice@HOPITAL.TEST and a mutual-auth token', async (t) => {
    t.diagnostic(startup);
    const client = await kdc.clientContext(aliceCache, SERVICE);
    const started = performance.now();
    const result = await acceptNegotiate(client.token, SERVICE);
    t.diagnostic(`one acceptNegotiate: ${(performance.now() - started).toFixed(1)} ms`);
    assert.equal(result.principal, 'alice@HOPITAL.TEST');
    assert.ok(result.responseToken, 'a response token for WWW-Authenticate');
    assert.equal(await client.verifyResponse(result.responseToken), true, 'the client accepts the server (mutual authentication)');
  });

  test('kinit with a wrong password fails', async () => {
    await assert.rejects(kdc.kinit('bob', 'wrong', kdc.ccachePath('bob-wrong')), /Password incorrect/);
    await assert.rejects(kdc.kinit('nobody', 'x', kdc.ccachePath('nobody')), /not found in Kerberos database/);
  });

  test('each user is who their ticket says', async () => {
    const bobCache = kdc.ccachePath('bob');
    await kdc.kinit('bob', 'bob-pw', bobCache);
    assert.equal((await acceptNegotiate(await kdc.clientToken(bobCache, SERVICE), SERVICE)).principal, 'bob@HOPITAL.TEST');
  });

  test('empty, garbage, non-base64, oversized and NTLM tokens are rejected', async () => {
    await rejected(acceptNegotiate('', SERVICE));
    await rejected(acceptNegotiate('Zm9vYmFy', SERVICE));
    await rejected(acceptNegotiate('!!!!', SERVICE));
    await rejected(acceptNegotiate('YII', SERVICE));
    await rejected(acceptNegotiate('A'.repeat(70_000), SERVICE));
    await rejected(acceptNegotiate(Buffer.alloc(3000, 0x60).toString('base64'), SERVICE));
    const ntlm = await rejected(acceptNegotiate(NTLM_NEGOTIATE, SERVICE));
    assert.match(ntlm.message, /NTLM/);
  });

  test('damaged real tokens (truncated, bit-flipped) are rejected and the process stays up', async () => {
    const token = Buffer.from(await kdc.clientToken(aliceCache, SERVICE), 'base64');
    for (const length of [1, 2, 16, 64, token.length >> 1, token.length - 1]) {
      await rejected(acceptNegotiate(token.subarray(0, length).toString('base64'), SERVICE));
    }
    for (const position of [0, 5, 40, token.length >> 1, token.length - 10]) {
      const damaged = Buffer.from(token);
      damaged[position] = (damaged[position] ?? 0) ^ 0x41;
      await rejected(acceptNegotiate(damaged.toString('base64'), SERVICE));
    }
    // Still accepting good tokens afterwards.
    assert.equal((await acceptNegotiate(await kdc.clientToken(aliceCache, SERVICE), SERVICE)).principal, 'alice@HOPITAL.TEST');
  });

  test('a token for another service, even one in the same keytab, is rejected', async () => {
    const token = await kdc.clientToken(aliceCache, 'HTTP@intranet.hopital.test');
    const error = await rejected(acceptNegotiate(token, SERVICE));
    assert.match(error.message, /does not match server principal/);
  });

  test('a replayed token is rejected by the replay cache', async () => {
    const token = await kdc.clientToken(aliceCache, SERVICE);
    assert.equal((await acceptNegotiate(token, SERVICE)).principal, 'alice@HOPITAL.TEST');
    const error = await rejected(acceptNegotiate(token, SERVICE));
    assert.match(error.message, /replay/);
  });

  test('an old token from a ticket that has since expired is rejected', async () => {
    const cache = kdc.ccachePath('short');
    await kdc.kinit('alice', 'alice-pw', cache, { lifetime: '1s' });
    const token = await kdc.clientToken(cache, SERVICE);
    // Past the lifetime plus the realm's 1 s clock skew allowance (krb5.conf clockskew). MIT
    // reports either the ticket's expiry or the authenticator's age, whichever it checks first.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const error = await rejected(acceptNegotiate(token, SERVICE));
    assert.match(error.message, /Ticket expired|Clock skew too great/);
    // And the client cannot make a new token from the expired ticket.
    await assert.rejects(kdc.clientToken(cache, SERVICE), /Ticket expired/);
  });

  test('a service whose key is not in the keytab, or no keytab at all, is KerberosUnavailable (503)', async () => {
    const token = await kdc.clientToken(aliceCache, SERVICE);
    await assert.rejects(acceptNegotiate(token, 'HTTP@elsewhere.hopital.test'), KerberosUnavailable);
    await assert.rejects(acceptNegotiate(token, 'not a service name'), KerberosUnavailable);
    const keytab = process.env.KRB5_KTNAME;
    process.env.KRB5_KTNAME = `FILE:${kdc.ccachePath('no-such-keytab')}`;
    try {
      await assert.rejects(acceptNegotiate(token, SERVICE), KerberosUnavailable);
    } finally {
      process.env.KRB5_KTNAME = keytab;
    }
  });

  test('many tokens accepted concurrently', async (t) => {
    const tokens: string[] = [];
    for (let i = 0; i < 50; i++) tokens.push(await kdc.clientToken(aliceCache, SERVICE));
    const started = performance.now();
    const results = await Promise.all(tokens.map((token) => acceptNegotiate(token, SERVICE)));
    t.diagnostic(`50 concurrent acceptNegotiate: ${(performance.now() - started).toFixed(0)} ms`);
    assert.ok(results.every((r) => r.principal === 'alice@HOPITAL.TEST'));
  });
});
