/**
 * LdapDirectory against a real OpenLDAP (Debian slapd) started on loopback by the suite:
 * logins, groups from memberOf and from a group search, filter injection, Kerberos principal
 * look-ups, StartTLS and LDAPS, and what happens when the directory is down or hangs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DirectoryUnavailable, LdapDirectory, escapeFilterValue, type LdapConfig } from '../../auth/ldap.ts';
import { commonNameOf } from '../../auth/directory/dn.ts';
import { startSlapd, type Slapd } from '../support/slapd.ts';

const GROUPS = 'ou=groups,dc=hopital,dc=test';
const ALICE_DN = 'uid=alice,ou=people,dc=hopital,dc=test';

const users = [
  { uid: 'alice', password: 'alice-pw', cn: 'Alice Martin', displayName: 'Dr Alice Martin', groups: ['clinicians', 'icu'] },
  { uid: 'bob', password: 'bob-pw', cn: 'Bob Durand', groups: ['samu-dispatch'] },
  // Filter metacharacters in a real uid: correct escaping must still find this user, and only them.
  { uid: 'j(ane)*', password: 'jane-pw', cn: 'Jane Roe', groups: [] },
];

async function unavailable(promise: Promise<unknown>): Promise<DirectoryUnavailable> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DirectoryUnavailable, `expected DirectoryUnavailable, got ${String(error)}`);
    return error;
  }
  assert.fail('expected DirectoryUnavailable');
}

describe('LDAP directory (real slapd)', () => {
  let slapd: Slapd;
  let startup = '';
  const directories: LdapDirectory[] = [];
  const directory = (extra: Partial<LdapConfig> = {}) => {
    const made = new LdapDirectory({ url: slapd.url, bindDN: slapd.bindDN, bindCredentials: slapd.bindPassword, searchBase: slapd.searchBase, ...extra });
    directories.push(made);
    return made;
  };

  before(async () => {
    const started = Date.now();
    slapd = await startSlapd({ users, posixGroups: [{ cn: 'radiology', gidNumber: 5001, memberUids: ['alice'] }] });
    startup = `slapd: ${Date.now() - started} ms in all (certificates, slapadd, start, groups), ${slapd.startupMs} ms from spawn to first answer`;
  });
  after(async () => {
    await Promise.all(directories.map((d) => d.close()));
    await slapd?.stop();
  });

  test('the right password gives the user with their groups from memberOf (DNs and cns)', async (t) => {
    t.diagnostic(startup);
    const user = await directory().verifyPassword('alice', 'alice-pw');
    assert.deepEqual(user, {
      dn: ALICE_DN,
      username: 'alice',
      displayName: 'Dr Alice Martin',
      groups: [`cn=clinicians,${GROUPS}`, 'clinicians', `cn=icu,${GROUPS}`, 'icu'],
    });
  });

  test('a group search adds groups memberOf does not know (posixGroup memberUid)', async () => {
    const user = await directory({ groupSearchBase: GROUPS, groupSearchFilter: '(|(member={{dn}})(memberUid={{username}}))' }).verifyPassword('alice', 'alice-pw');
    assert.deepEqual(user?.groups, [`cn=clinicians,${GROUPS}`, 'clinicians', `cn=icu,${GROUPS}`, 'icu', `cn=radiology,${GROUPS}`, 'radiology']);
  });

  test('the default group search (member={{dn}}) agrees with memberOf', async () => {
    const user = await directory({ groupSearchBase: GROUPS }).verifyPassword('bob', 'bob-pw');
    assert.deepEqual(user?.groups, [`cn=samu-dispatch,${GROUPS}`, 'samu-dispatch']);
  });

  test('the login name comes back as the directory spells it', async () => {
    assert.equal((await directory().verifyPassword('ALICE', 'alice-pw'))?.username, 'alice');
  });

  test('a wrong password, an unknown user and another user\'s password are refused', async () => {
    const ldap = directory();
    assert.equal(await ldap.verifyPassword('alice', 'wrong'), undefined);
    assert.equal(await ldap.verifyPassword('alice', 'Alice-pw'), undefined);
    assert.equal(await ldap.verifyPassword('nobody', 'alice-pw'), undefined);
    assert.equal(await ldap.verifyPassword('bob', 'alice-pw'), undefined);
  });

  test('an empty password is refused without any bind, even with the directory down', async () => {
    // An LDAP bind with a DN and an empty password is an unauthenticated bind, which succeeds
    // (RFC 4513 section 5.1.2). Pointed at a port nobody listens on, a bind attempt would throw.
    const dead = new LdapDirectory({ url: 'ldap://127.0.0.1:9', searchBase: slapd.searchBase, timeoutMs: 500 });
    directories.push(dead);
    assert.equal(await dead.verifyPassword('alice', ''), undefined);
    assert.equal(await dead.verifyPassword('', 'alice-pw'), undefined);
    assert.equal(await directory().verifyPassword('alice', ''), undefined);
  });

  test('filter metacharacters in the user name are escaped (RFC 4515): no wildcard, no injection', async () => {
    const ldap = directory({ searchFilter: '(&(objectClass=inetOrgPerson)(uid={{username}}))' });
    for (const attempt of ['*', 'a*', '*e', 'alice)(uid=*', 'alice)(|(uid=*', '*)(objectClass=*', 'alice\\', 'alice\u0000', 'alice\u0000)(uid=*', '{{username}}', 'j*']) {
      assert.equal(await ldap.verifyPassword(attempt, 'alice-pw'), undefined, attempt);
      assert.equal(await ldap.verifyPassword(attempt, 'jane-pw'), undefined, attempt);
      assert.equal(await ldap.findUser(`${attempt}@HOPITAL.TEST`), undefined, attempt);
    }
    // The same characters, escaped rather than dropped, still find the user whose uid has them.
    assert.equal((await ldap.verifyPassword('j(ane)*', 'jane-pw'))?.dn, 'uid=j(ane)*,ou=people,dc=hopital,dc=test');
  });

  test('"$`" and "$\'" in a user name neither inject nor crash (they expand in String.replace)', async () => {
    const ldap = directory();
    for (const attempt of ["alice$'$`", "alice$')(uid=*", "$`*", '$&', '$$']) {
      assert.equal(await ldap.verifyPassword(attempt, 'alice-pw'), undefined, attempt);
    }
    assert.ok(await ldap.verifyPassword('alice', 'alice-pw'), 'still serving');
  });

  test('escaping and group names: the small pure pieces', () => {
    assert.equal(escapeFilterValue('a*b(c)d\\e\u0000f'), 'a\\2ab\\28c\\29d\\5ce\\00f');
    assert.equal(escapeFilterValue('Réa {x}'), 'Réa \\7bx\\7d');
    assert.equal(commonNameOf(`cn=clinicians,${GROUPS}`), 'clinicians');
    assert.equal(commonNameOf('CN=Dupont\\, Jean,OU=Staff,DC=hopital'), 'Dupont, Jean');
    assert.equal(commonNameOf('cn=R\\C3\\A9animation+ou=x,dc=test'), 'Réanimation');
    assert.equal(commonNameOf('ou=people,dc=test'), undefined);
  });

  test('findUser maps a Kerberos principal to the directory user, with groups', async () => {
    const ldap = directory({ principalRealms: ['HOPITAL.TEST'] });
    const user = await ldap.findUser('alice@HOPITAL.TEST');
    assert.equal(user?.dn, ALICE_DN);
    assert.deepEqual(user?.groups, [`cn=clinicians,${GROUPS}`, 'clinicians', `cn=icu,${GROUPS}`, 'icu']);
    assert.equal(await ldap.findUser('alice@OTHER.TEST'), undefined, 'another realm');
    assert.equal(await ldap.findUser('alice/admin@HOPITAL.TEST'), undefined, 'a principal with an instance is not a person');
    assert.equal(await ldap.findUser('HTTP/localhost@HOPITAL.TEST'), undefined);
    assert.equal(await ldap.findUser('nobody@HOPITAL.TEST'), undefined);
    // A custom mapping, e.g. for directories whose login names differ from principals.
    const mapped = directory({ principalToUsername: (principal) => (principal === 'a.martin@HOPITAL.TEST' ? 'alice' : undefined) });
    assert.equal((await mapped.findUser('a.martin@HOPITAL.TEST'))?.dn, ALICE_DN);
  });

  test('StartTLS with the CA: the binds happen inside TLS', async () => {
    const user = await directory({ startTls: true, tlsCaFile: slapd.caFile }).verifyPassword('alice', 'alice-pw');
    assert.equal(user?.dn, ALICE_DN);
  });

  test('LDAPS with the CA', async () => {
    const ldap = directory({ url: slapd.ldapsUrl, tlsCaFile: slapd.caFile });
    assert.equal((await ldap.verifyPassword('alice', 'alice-pw'))?.dn, ALICE_DN);
    assert.equal(await ldap.verifyPassword('alice', 'wrong'), undefined);
  });

  test('a server certificate from an unknown CA is refused, never downgraded to clear text', async () => {
    await unavailable(directory({ startTls: true }).verifyPassword('alice', 'alice-pw'));
    await unavailable(directory({ url: slapd.ldapsUrl }).verifyPassword('alice', 'alice-pw'));
  });

  test('a certificate for another host name is refused, with StartTLS as with LDAPS', async () => {
    const tls = { tlsCaFile: slapd.caFile };
    for (const config of [{ url: slapd.wrongHostUrls.ldap, startTls: true, ...tls }, { url: slapd.wrongHostUrls.ldaps, ...tls }]) {
      const error = await unavailable(directory(config).verifyPassword('alice', 'alice-pw'));
      assert.match(error.message, /ERR_TLS_CERT_ALTNAME_INVALID/, config.url);
    }
    // The same address answers in plain LDAP: it is the name check that refused.
    assert.ok(await directory({ url: slapd.wrongHostUrls.ldap }).verifyPassword('alice', 'alice-pw'));
  });

  test('a wrong service account password is an unavailable directory (503), not a wrong user password', async () => {
    const error = await unavailable(directory({ bindCredentials: 'not-the-service-password' }).verifyPassword('alice', 'alice-pw'));
    assert.match(error.message, /service account/);
    assert.doesNotMatch(error.message, /not-the-service-password|alice-pw/);
  });

  test('nothing listening: DirectoryUnavailable at once', async () => {
    const dead = new LdapDirectory({ url: 'ldap://127.0.0.1:9', searchBase: slapd.searchBase, timeoutMs: 2000 });
    directories.push(dead);
    const started = Date.now();
    await unavailable(dead.verifyPassword('alice', 'alice-pw'));
    await unavailable(dead.findUser('alice@HOPITAL.TEST'));
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  test('a directory that stops answering: DirectoryUnavailable after timeoutMs, then recovery', async () => {
    const ldap = directory({ timeoutMs: 300 });
    assert.ok(await ldap.verifyPassword('alice', 'alice-pw'));
    slapd.suspend();
    try {
      const started = Date.now();
      await unavailable(ldap.verifyPassword('alice', 'alice-pw'));
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 1500, `took ${elapsed} ms`);
    } finally {
      slapd.resume();
    }
    // The timed-out session was dropped; a new one serves the next login.
    assert.ok(await ldap.verifyPassword('alice', 'alice-pw'));
  });

  test('concurrent logins each get their own answer (binds never overlap on a connection)', async (t) => {
    const ldap = directory({ poolSize: 4 });
    const attempts = Array.from({ length: 200 }, (_, i) => {
      const user = users[i % 2] as (typeof users)[number];
      return { uid: user.uid, password: i % 3 === 0 ? 'wrong' : user.password, ok: i % 3 !== 0 };
    });
    const started = performance.now();
    const results = await Promise.all(attempts.map((a) => ldap.verifyPassword(a.uid, a.password)));
    const elapsed = performance.now() - started;
    results.forEach((result, i) => {
      const attempt = attempts[i] as (typeof attempts)[number];
      assert.equal(result?.username, attempt.ok ? attempt.uid : undefined, `attempt ${i}`);
    });
    t.diagnostic(`200 concurrent logins, pool of 4: ${elapsed.toFixed(0)} ms (${(200_000 / elapsed).toFixed(0)}/s)`);
  });

  test('pooled sessions versus a new connection pair per login (what passport-ldapauth does)', async (t) => {
    const measure = async (url: string, fresh: boolean, extra: Partial<LdapConfig> = {}) => {
      const n = fresh ? 20 : 100;
      const reused = fresh ? undefined : directory({ url, poolSize: 1, ...extra });
      if (reused) await reused.verifyPassword('alice', 'alice-pw');
      const started = performance.now();
      for (let i = 0; i < n; i++) {
        const ldap = reused ?? new LdapDirectory({ url, bindDN: slapd.bindDN, bindCredentials: slapd.bindPassword, searchBase: slapd.searchBase, ...extra });
        assert.ok(await ldap.verifyPassword('alice', 'alice-pw'));
        if (!reused) await ldap.close();
      }
      return (performance.now() - started) / n;
    };
    const tls = { tlsCaFile: slapd.caFile };
    t.diagnostic(`ldap:// per login: reused ${(await measure(slapd.url, false)).toFixed(2)} ms, new connections ${(await measure(slapd.url, true)).toFixed(2)} ms`);
    t.diagnostic(`ldaps:// per login: reused ${(await measure(slapd.ldapsUrl, false, tls)).toFixed(2)} ms, new connections ${(await measure(slapd.ldapsUrl, true, tls)).toFixed(2)} ms`);
  });

  test('configuration mistakes are refused at construction', () => {
    const base = { url: slapd.url, searchBase: slapd.searchBase };
    assert.throws(() => new LdapDirectory({ ...base, url: 'ldap://ldap.hopital.example' }), /in clear/);
    assert.doesNotThrow(() => new LdapDirectory({ ...base, url: 'ldap://ldap.hopital.example', startTls: true }));
    assert.throws(() => new LdapDirectory({ ...base, url: slapd.ldapsUrl, startTls: true }), /StartTLS/);
    assert.throws(() => new LdapDirectory({ ...base, url: 'http://ldap' }), /ldap:\/\//);
    assert.throws(() => new LdapDirectory({ ...base, bindDN: slapd.bindDN }), /without bind credentials/);
    assert.throws(() => new LdapDirectory({ ...base, searchFilter: '(uid={{username}}' }), /not a valid LDAP filter/);
    assert.throws(() => new LdapDirectory({ ...base, searchFilter: '(uid=alice)' }), /must contain \{\{username\}\}/);
  });
});

describe('LDAP directory that goes away', () => {
  test('a pooled connection to a stopped server fails fast with DirectoryUnavailable', async () => {
    const slapd = await startSlapd({ users });
    const ldap = new LdapDirectory({ url: slapd.url, bindDN: slapd.bindDN, bindCredentials: slapd.bindPassword, searchBase: slapd.searchBase, timeoutMs: 5000 });
    try {
      assert.ok(await ldap.verifyPassword('alice', 'alice-pw'));
      await slapd.stop();
      const started = Date.now();
      await unavailable(ldap.verifyPassword('alice', 'alice-pw'));
      await unavailable(ldap.findUser('alice'));
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms, not the 5 s timeout`);
    } finally {
      await ldap.close();
      await slapd.stop();
    }
  });
});

describe('LDAP directory that requires TLS (slapd security tls=1)', () => {
  test('StartTLS logs in; the same server refuses plain binds, so StartTLS really came first', async () => {
    const slapd = await startSlapd({ users, requireTls: true });
    const config = { url: slapd.url, bindDN: slapd.bindDN, bindCredentials: slapd.bindPassword, searchBase: slapd.searchBase };
    const secure = new LdapDirectory({ ...config, startTls: true, tlsCaFile: slapd.caFile });
    const plain = new LdapDirectory(config);
    try {
      assert.equal((await secure.verifyPassword('alice', 'alice-pw'))?.dn, ALICE_DN);
      assert.equal((await secure.findUser('alice@HOPITAL.TEST'))?.dn, ALICE_DN);
      await unavailable(plain.verifyPassword('alice', 'alice-pw'));
    } finally {
      await secure.close();
      await plain.close();
      await slapd.stop();
    }
  });
});
