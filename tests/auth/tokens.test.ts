/**
 * Access tokens: what a token says, that it is refused once expired, tampered with, from another
 * issuer or audience, unsigned, signed with the wrong algorithm for its key or not typed as an
 * access token; and key rotation, with secrets and with a directory of ES256/EdDSA PEM files.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { KeyConfigError, loadKeyRing, MIN_SECRET_LENGTH, type KeyRing } from '../../auth/keys.ts';
import { InvalidToken, TokenService, type InvalidTokenReason, type TokenConfig } from '../../auth/tokens.ts';
import type { Principal } from '../../auth/principal.ts';

const SECRET = 'a-test-secret-of-more-than-thirty-two-characters';
const OTHER_SECRET = 'another-test-secret-also-longer-than-thirty-two';
const alice: Principal = { id: 'uid=alice,ou=people,dc=chu,dc=fr', name: 'alice', method: 'ldap', groups: ['cn=urgentistes,ou=groups,dc=chu,dc=fr'], roles: ['clinician'] };

/** A clock the test moves. */
function clock(start = Date.parse('2026-05-01T08:00:00Z')): { now: () => Date; advance: (seconds: number) => void } {
  let t = start;
  return { now: () => new Date(t), advance: (seconds) => (t += seconds * 1000) };
}

function service(keys: KeyRing, overrides: Partial<TokenConfig> = {}): TokenService {
  return new TokenService({ keys, issuer: 'https://passerelle.chu.fr', audience: 'passerelle', ...overrides });
}

async function rejects(promise: Promise<unknown>, reason: InvalidTokenReason): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof InvalidToken, `an InvalidToken, not ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

function keyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-keys-'));
  for (const [name, pem] of Object.entries(files)) writeFileSync(join(dir, name), pem);
  return dir;
}

const ec = (): { privateKey: string; publicKey: string } => generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const ed = (): { privateKey: string; publicKey: string } => generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

describe('token issue and verify', () => {
  const keys = loadKeyRing({ secret: SECRET });

  it('issues a Bearer token whose claims say who, roles, method, when, and for whom', async () => {
    const c = clock();
    const issued = await service(keys, { now: c.now }).issue(alice);
    assert.equal(issued.token_type, 'Bearer');
    assert.equal(issued.expires_in, 900, 'fifteen minutes by default');
    const header = decodeProtectedHeader(issued.access_token);
    assert.deepEqual(header, { alg: 'HS256', kid: keys.signing.kid, typ: 'at+jwt' });
    const claims = decodeJwt(issued.access_token);
    assert.equal(claims.sub, alice.id);
    assert.equal(claims.name, 'alice');
    assert.deepEqual(claims.roles, ['clinician']);
    assert.equal(claims.method, 'ldap');
    assert.equal(claims.iss, 'https://passerelle.chu.fr');
    assert.equal(claims.aud, 'passerelle');
    assert.equal(claims.iat, c.now().getTime() / 1000);
    assert.equal((claims.exp as number) - (claims.iat as number), 900);
    assert.match(claims.jti as string, /^[0-9a-f-]{36}$/);
    assert.equal(claims.groups, undefined, 'groups are not carried');
  });

  it('verifies a token to its principal, authenticated by bearer, logged in by the original method', async () => {
    const c = clock();
    const tokens = service(keys, { now: c.now, lifetimeSeconds: 600 });
    const { access_token } = await tokens.issue(alice);
    const principal = await tokens.verify(access_token);
    assert.equal(principal.id, alice.id);
    assert.equal(principal.name, 'alice');
    assert.equal(principal.method, 'bearer');
    assert.equal(principal.authenticatedBy, 'ldap');
    assert.deepEqual(principal.roles, ['clinician']);
    assert.deepEqual(principal.groups, []);
    assert.equal(principal.expiresAt.getTime(), c.now().getTime() + 600_000);
    assert.equal(principal.tokenId, decodeJwt(access_token).jti);
  });

  it('gives each token its own lifetime when asked, and a fresh jti', async () => {
    const tokens = service(keys);
    const a = await tokens.issue(alice, { lifetimeSeconds: 60 });
    const b = await tokens.issue(alice, { lifetimeSeconds: 60 });
    assert.equal(a.expires_in, 60);
    assert.notEqual(decodeJwt(a.access_token).jti, decodeJwt(b.access_token).jti);
    await assert.rejects(tokens.issue(alice, { lifetimeSeconds: 0 }), RangeError);
  });

  it('refuses an expired token, with a little tolerance for clock skew', async () => {
    const c = clock();
    const tokens = service(keys, { now: c.now, lifetimeSeconds: 60 });
    const { access_token } = await tokens.issue(alice);
    c.advance(62);
    assert.equal((await tokens.verify(access_token)).name, 'alice', 'within 5 s of expiry');
    c.advance(10);
    await rejects(tokens.verify(access_token), 'expired');
  });

  it('refuses a token whose payload or signature was changed', async () => {
    const tokens = service(keys);
    const { access_token } = await tokens.issue(alice);
    const [header, payload, signature] = access_token.split('.') as [string, string, string];
    const forged = { ...decodeJwt(access_token), roles: ['admin'] };
    await rejects(tokens.verify(`${header}.${base64url.encode(JSON.stringify(forged))}.${signature}`), 'signature');
    await rejects(tokens.verify(`${header}.${payload}.${signature.slice(0, -4)}AAAA`), 'signature');
    const other = await service(loadKeyRing({ secret: OTHER_SECRET })).issue(alice);
    await rejects(tokens.verify(other.access_token), 'unknown-key');
  });

  it('refuses a token of another issuer or audience', async () => {
    const { access_token } = await service(keys).issue(alice);
    await rejects(service(keys, { issuer: 'https://elsewhere.example' }).verify(access_token), 'issuer');
    await rejects(service(keys, { audience: 'other-api' }).verify(access_token), 'audience');
  });

  it('refuses unsigned tokens (alg none), whatever kid they name', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid: keys.signing.kid, typ: 'at+jwt' }));
    const payload = base64url.encode(JSON.stringify({ sub: 'x', name: 'x', roles: ['admin'], method: 'ldap', iat: now, exp: now + 60, jti: 'j', iss: 'https://passerelle.chu.fr', aud: 'passerelle' }));
    await rejects(service(keys).verify(`${header}.${payload}.`), 'algorithm');
    const noKid = base64url.encode(JSON.stringify({ alg: 'none' }));
    await rejects(service(keys).verify(`${noKid}.${payload}.`), 'unknown-key');
  });

  it('refuses a token signed with another algorithm than its key\'s (no HMAC with a public key)', async () => {
    const { privateKey, publicKey } = ec();
    const ring = loadKeyRing({ keysDir: keyDir({ 'k1.pem': privateKey }) });
    // The classic confusion: HS256 keyed with the ES256 public key, which an attacker knows.
    const forged = await new SignJWT({ name: 'x', roles: ['admin'], method: 'ldap' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })
      .setSubject('x').setIssuer('https://passerelle.chu.fr').setAudience('passerelle').setIssuedAt().setExpirationTime('1m').setJti('j')
      .sign(new TextEncoder().encode(publicKey));
    await rejects(service(ring).verify(forged), 'algorithm');
  });

  it('refuses a JWT signed by our key that is not typed as an access token', async () => {
    const notAnAccessToken = await new SignJWT({ name: 'x', roles: ['admin'], method: 'ldap' })
      .setProtectedHeader({ alg: 'HS256', kid: keys.signing.kid, typ: 'JWT' })
      .setSubject('x').setIssuer('https://passerelle.chu.fr').setAudience('passerelle').setIssuedAt().setExpirationTime('1m').setJti('j')
      .sign(keys.signing.signKey);
    await rejects(service(keys).verify(notAnAccessToken), 'type');
  });

  it('refuses a token without the claims a principal needs', async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: keys.signing.kid, typ: 'at+jwt' }).setIssuer('https://passerelle.chu.fr').setAudience('passerelle').setIssuedAt().setExpirationTime('1m').setJti('j').setSubject('x').sign(keys.signing.signKey);
    await rejects(service(keys).verify(await sign({ name: 'x', roles: 'admin', method: 'ldap' })), 'claims');
    await rejects(service(keys).verify(await sign({ name: 'x', roles: [], method: 'bearer' })), 'claims');
    await rejects(service(keys).verify(await sign({ roles: [], method: 'ldap' })), 'claims');
  });

  it('refuses garbage', async () => {
    await rejects(service(keys).verify('not a token'), 'malformed');
    await rejects(service(keys).verify(''), 'malformed');
  });

  it('does not exchange a bearer token for a fresh one', async () => {
    const tokens = service(keys);
    const principal = await tokens.verify((await tokens.issue(alice)).access_token);
    await assert.rejects(tokens.issue(principal), /cannot be exchanged/);
  });
});

describe('token keys and rotation', () => {
  it('HS256: the new secret signs, previous secrets still verify, a dropped one no longer does', async () => {
    const before = service(loadKeyRing({ secret: OTHER_SECRET }));
    const old = await before.issue(alice);
    const rotated = service(loadKeyRing({ secret: SECRET, previousSecrets: [OTHER_SECRET] }));
    assert.equal((await rotated.verify(old.access_token)).name, 'alice');
    const fresh = await rotated.issue(alice);
    assert.equal(decodeProtectedHeader(fresh.access_token).kid, loadKeyRing({ secret: SECRET }).signing.kid, 'every instance names a secret alike');
    assert.notEqual(decodeProtectedHeader(fresh.access_token).kid, decodeProtectedHeader(old.access_token).kid);
    await rejects(service(loadKeyRing({ secret: SECRET })).verify(old.access_token), 'unknown-key');
  });

  it('key files: the last private key by name signs, every key verifies, public-only keys too', async () => {
    const jan = ec();
    const may = ec();
    const edKey = ed();
    const old = service(loadKeyRing({ keysDir: keyDir({ '2026-01.pem': jan.privateKey }) }));
    const janToken = await old.issue(alice);
    assert.deepEqual(decodeProtectedHeader(janToken.access_token), { alg: 'ES256', kid: '2026-01', typ: 'at+jwt' });

    const dir = keyDir({ '2026-01.pem': jan.publicKey, '2026-05.pem': may.privateKey, '2025-ed.pem': edKey.privateKey, 'README.txt': 'ignored' });
    const ring = loadKeyRing({ keysDir: dir });
    assert.equal(ring.signing.kid, '2026-05');
    assert.deepEqual([...ring.byKid.keys()].sort(), ['2025-ed', '2026-01', '2026-05']);
    const tokens = service(ring);
    assert.equal((await tokens.verify(janToken.access_token)).name, 'alice', 'a retired key, public part only, verifies');
    const mayToken = await tokens.issue(alice);
    assert.equal(decodeProtectedHeader(mayToken.access_token).kid, '2026-05');
    assert.equal((await tokens.verify(mayToken.access_token)).name, 'alice');
  });

  it('EdDSA keys sign and verify', async () => {
    const tokens = service(loadKeyRing({ keysDir: keyDir({ 'ed.pem': ed().privateKey }) }));
    const { access_token } = await tokens.issue(alice);
    assert.equal(decodeProtectedHeader(access_token).alg, 'EdDSA');
    assert.equal((await tokens.verify(access_token)).id, alice.id);
  });

  it('previous secrets verify next to a key directory (moving from HS256 to ES256)', async () => {
    const old = await service(loadKeyRing({ secret: SECRET })).issue(alice);
    const tokens = service(loadKeyRing({ keysDir: keyDir({ 'k.pem': ec().privateKey }), previousSecrets: [SECRET] }));
    assert.equal((await tokens.verify(old.access_token)).name, 'alice');
    assert.equal(decodeProtectedHeader((await tokens.issue(alice)).access_token).alg, 'ES256');
  });

  it('refuses configurations that cannot be right, saying what to fix', () => {
    assert.throws(() => loadKeyRing({ secret: 'x'.repeat(MIN_SECRET_LENGTH - 1) }), (err: Error) => err instanceof KeyConfigError && /JWT_SECRET must be at least 32 characters/.test(err.message));
    assert.throws(() => loadKeyRing({ secret: SECRET, previousSecrets: ['short'] }), /JWT_PREVIOUS_SECRETS\[0\] must be at least 32/);
    assert.throws(() => loadKeyRing({}), /set JWT_SECRET or JWT_KEYS_DIR/);
    assert.throws(() => loadKeyRing({ secret: SECRET, keysDir: '/tmp' }), /both set/);
    assert.throws(() => loadKeyRing({ secret: SECRET, previousSecrets: [SECRET] }), /Two token keys have the kid/);
    assert.throws(() => loadKeyRing({ keysDir: keyDir({}) }), /no \.pem file/);
    assert.throws(() => loadKeyRing({ keysDir: '/nonexistent-dir' }), /cannot read the directory/);
    assert.throws(() => loadKeyRing({ keysDir: keyDir({ 'only.pem': ec().publicKey }) }), /no private key to sign with/);
    assert.throws(() => loadKeyRing({ keysDir: keyDir({ 'bad.pem': 'not a key' }) }), /bad\.pem: not a usable PEM key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    assert.throws(() => loadKeyRing({ keysDir: keyDir({ 'rsa.pem': rsa.privateKey }) }), /rsa\.pem: a rsa key; token keys are P-256 \(ES256\) or Ed25519 \(EdDSA\)/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    assert.throws(() => loadKeyRing({ keysDir: keyDir({ 'p384.pem': p384.privateKey }) }), /a EC secp384r1 key/);
    assert.throws(() => loadKeyRing({ keysDir: keyDir({ 'bad kid.pem': ec().privateKey }) }), /the file name \(the kid\)/);
    assert.throws(() => new TokenService({ keys: loadKeyRing({ secret: SECRET }), issuer: 'i', audience: 'a', lifetimeSeconds: 1.5 }), RangeError);
  });
});
