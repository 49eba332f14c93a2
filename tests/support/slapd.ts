/**
 * A throwaway OpenLDAP directory for tests: Debian's `slapd` on loopback with its own
 * configuration, database and TLS certificates in a temp dir, stopped by PID.
 *
 * The tree is `dc=hopital,dc=test` with `ou=people` (inetOrgPerson users), `ou=groups`
 * (groupOfNames) and `ou=services` (the service account Passerelle binds as). Groups are
 * added over LDAP after start-up, not with slapadd, so that the memberof overlay really fills
 * `memberOf` on the users, as it does in production.
 *
 * When slapd, ldapadd or openssl are missing this throws with the Debian package to install:
 * in CI a missing directory is a failure, never a skip.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, inDaemonDir, requireBinary } from './daemon.ts';

const run = promisify(execFile);

export const BASE_DN = 'dc=hopital,dc=test';

export interface SlapdUser {
  uid: string;
  password: string;
  cn: string;
  /** Group cns the user is a member of. */
  groups: string[];
  displayName?: string;
}

/** An NIS posixGroup: members by uid (`memberUid`), which the memberof overlay ignores. */
export interface SlapdPosixGroup {
  cn: string;
  gidNumber: number;
  memberUids: string[];
}

export interface SlapdOptions {
  users: SlapdUser[];
  /** Group cns to create (groups named only in `users[].groups` are created too). */
  groups?: string[];
  posixGroups?: SlapdPosixGroup[];
  /** Refuse every operation but StartTLS on a connection without TLS (slapd `security tls=1`). */
  requireTls?: boolean;
}

export interface Slapd {
  /** Plain LDAP (StartTLS available on it). */
  url: string;
  /** LDAP over TLS from the first byte (RFC 8314 style implicit TLS, the usual port 636). */
  ldapsUrl: string;
  /** PEM file of the throwaway CA that signed the server certificate (CN=localhost, IP 127.0.0.1). */
  caFile: string;
  /** The same server as `url` and `ldapsUrl`, at 127.0.0.2: a host name the certificate does not cover. */
  wrongHostUrls: { ldap: string; ldaps: string };
  bindDN: string;
  bindPassword: string;
  searchBase: string;
  groupSearchBase: string;
  /** Milliseconds from spawn to the first answered LDAP request. */
  startupMs: number;
  /** Freezes slapd (SIGSTOP): connections stay open and nothing answers. stop() also ends a frozen slapd. */
  suspend(): void;
  resume(): void;
  /** Stops the server (SIGTERM, waits for the exit) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** The Debian package of each binary, and who needs it: for requireBinary's error. */
const PACKAGES: Record<string, string> = { slapd: 'slapd', slapadd: 'slapd', ldapadd: 'ldap-utils', openssl: 'openssl' };
const NEED = 'the LDAP tests need a real OpenLDAP server';

/** A CA and a server certificate it signs, for `localhost` and 127.0.0.1 (both names clients may use). */
async function makeCertificates(openssl: string, dir: string): Promise<void> {
  const file = (name: string) => path.join(dir, name);
  await run(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=Passerelle test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
    '-keyout', file('ca.key'), '-out', file('ca.crt')]);
  await run(openssl, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
    '-keyout', file('server.key'), '-out', file('server.csr')]);
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await run(openssl, ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', file('server.ext'), '-out', file('server.crt')]);
}

function slapdConf(dir: string, rootPassword: string, requireTls: boolean): string {
  return `# Throwaway test directory, written by tests/support/slapd.ts
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile ${dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
TLSCACertificateFile ${dir}/ca.crt
TLSCertificateFile ${dir}/server.crt
TLSCertificateKeyFile ${dir}/server.key
${requireTls ? 'security tls=1\n' : ''}
database mdb
suffix "${BASE_DN}"
rootdn "cn=admin,${BASE_DN}"
rootpw ${rootPassword}
directory ${dir}/db
maxsize 16777216
overlay memberof

# Passwords are usable for binding only; the service account reads the rest.
access to attrs=userPassword by self write by anonymous auth by * none
access to * by dn.exact="cn=passerelle,ou=services,${BASE_DN}" read by self read by * none
`;
}

function entry(lines: Record<string, string | string[]>): string {
  return Object.entries(lines)
    .flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${key}: ${v}`))
    .join('\n');
}

function userDn(uid: string): string {
  return `uid=${uid},ou=people,${BASE_DN}`;
}

function baseLdif(users: SlapdUser[], servicePassword: string): string {
  const entries = [
    entry({ dn: BASE_DN, objectClass: ['top', 'dcObject', 'organization'], o: 'Hopital de test', dc: 'hopital' }),
    entry({ dn: `ou=people,${BASE_DN}`, objectClass: 'organizationalUnit', ou: 'people' }),
    entry({ dn: `ou=groups,${BASE_DN}`, objectClass: 'organizationalUnit', ou: 'groups' }),
    entry({ dn: `ou=services,${BASE_DN}`, objectClass: 'organizationalUnit', ou: 'services' }),
    entry({ dn: `cn=passerelle,ou=services,${BASE_DN}`, objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'passerelle', userPassword: servicePassword }),
    ...users.map((user) => entry({
      dn: userDn(user.uid),
      objectClass: ['inetOrgPerson'],
      uid: user.uid,
      cn: user.cn,
      sn: user.cn.split(' ').at(-1) ?? user.cn,
      ...(user.displayName ? { displayName: user.displayName } : {}),
      userPassword: user.password,
    })),
  ];
  return `${entries.join('\n\n')}\n`;
}

function groupsLdif(users: SlapdUser[], extra: string[], posixGroups: SlapdPosixGroup[]): string {
  const names = [...new Set([...extra, ...users.flatMap((u) => u.groups)])];
  const groups = names.map((cn) => {
    const members = users.filter((u) => u.groups.includes(cn)).map((u) => userDn(u.uid));
    // groupOfNames requires at least one member: an empty group gets the base entry (a common convention).
    return entry({ dn: `cn=${cn},ou=groups,${BASE_DN}`, objectClass: 'groupOfNames', cn, member: members.length > 0 ? members : [BASE_DN] });
  });
  const posix = posixGroups.map((group) => entry({
    dn: `cn=${group.cn},ou=groups,${BASE_DN}`, objectClass: 'posixGroup', cn: group.cn, gidNumber: String(group.gidNumber), memberUid: group.memberUids,
  }));
  return `${[...groups, ...posix].join('\n\n')}\n`;
}

/** Retries ldapadd until slapd answers (it listens shortly after the database is open). */
async function addOverLdap(ldapadd: string, url: string, caFile: string, rootPassword: string, file: string, started: number, child: ChildProcess): Promise<void> {
  let lastError: unknown;
  while (Date.now() - started < 15_000) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}`);
    try {
      await run(ldapadd, ['-x', '-H', url, '-D', `cn=admin,${BASE_DN}`, '-w', rootPassword, '-f', file], { env: { ...process.env, LDAPTLS_CACERT: caFile } });
      return;
    } catch (error) {
      lastError = error;
      // 255 = cannot contact the server yet; anything else is a real error in the LDIF.
      if ((error as { code?: number }).code !== 255) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  throw new Error(`slapd did not answer within 15 s: ${String(lastError)}`);
}

/** Starts a private slapd with `users` and `groups`; resolves once it answers over LDAP. */
export async function startSlapd(options: SlapdOptions): Promise<Slapd> {
  const [slapd, slapadd, ldapadd, openssl] = await Promise.all(['slapd', 'slapadd', 'ldapadd', 'openssl'].map((name) => requireBinary(name, PACKAGES, NEED))) as [string, string, string, string];
  return inDaemonDir<Slapd>('passerelle-slapd-', async (daemon) => {
    const { dir } = daemon;
    const rootPassword = 'root-secret';
    const bindPassword = 'service-secret';
    await makeCertificates(openssl, dir);
    writeFileSync(path.join(dir, 'slapd.conf'), slapdConf(dir, rootPassword, options.requireTls ?? false));
    writeFileSync(path.join(dir, 'base.ldif'), baseLdif(options.users, bindPassword));
    writeFileSync(path.join(dir, 'groups.ldif'), groupsLdif(options.users, options.groups ?? [], options.posixGroups ?? []));
    mkdirSync(path.join(dir, 'db'));
    await run(slapadd, ['-q', '-f', path.join(dir, 'slapd.conf'), '-l', path.join(dir, 'base.ldif')]);

    const [port, tlsPort] = [await freePort(), await freePort()];
    const url = `ldap://127.0.0.1:${port}`;
    const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
    const started = Date.now();
    const wrongHostUrls = { ldap: `ldap://127.0.0.2:${port}`, ldaps: `ldaps://127.0.0.2:${tlsPort}` };
    const listen = [url, ldapsUrl, wrongHostUrls.ldap, wrongHostUrls.ldaps].map((u) => `${u}/`).join(' ');
    // -d 0 keeps slapd in the foreground (our child's child, stopped through the watcher) without debug output.
    const child = daemon.spawn(slapd, ['-d', '0', '-f', path.join(dir, 'slapd.conf'), '-h', listen]);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    try {
      // Over ldaps://, which works whether or not plain connections must use StartTLS.
      await addOverLdap(ldapadd, ldapsUrl, path.join(dir, 'ca.crt'), rootPassword, path.join(dir, 'groups.ldif'), started, child);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${stderr}`, { cause: error });
    }
    const startupMs = Date.now() - started;

    const slapdPid = () => Number(readFileSync(path.join(dir, 'slapd.pid'), 'utf8').trim());
    return {
      url,
      ldapsUrl,
      caFile: path.join(dir, 'ca.crt'),
      wrongHostUrls,
      bindDN: `cn=passerelle,ou=services,${BASE_DN}`,
      bindPassword,
      searchBase: `ou=people,${BASE_DN}`,
      groupSearchBase: `ou=groups,${BASE_DN}`,
      startupMs,
      suspend() {
        const pid = slapdPid();
        process.kill(pid, 'SIGSTOP');
        // kill() returns before every thread has stopped: a worker still running on another core
        // could answer one more request. Wait (up to 2 s) until each thread is in state T.
        const stopped = (): boolean => readdirSync(`/proc/${pid}/task`).every((task) => /^\d+ \(.*\) [Tt] /.test(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')));
        const deadline = Date.now() + 2000;
        while (!stopped() && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      },
      resume() {
        process.kill(slapdPid(), 'SIGCONT');
      },
      stop: daemon.stop,
    };
  });
}
