/**
 * A throwaway MIT Kerberos realm for tests: Debian's `krb5kdc` on a free loopback port with
 * its database, kdc.conf, krb5.conf and the service keytab in a temp dir, stopped by PID.
 *
 * Clients are real: `kinit` gets tickets into a cache file, and `clientToken` makes the
 * SPNEGO token a browser would send, with the `kerberos` package as initiator.
 *
 * The `kerberos` package and MIT's tools read KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME and
 * KRB5RCACHEDIR from the environment at each call: tests copy `env` into process.env before
 * accepting tokens; `clientToken` sets KRB5CCNAME itself, one call at a time, and restores it.
 *
 * When a binary is missing this throws with the Debian package to install: in CI a missing
 * KDC is a failure, never a skip.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import kerberos from 'kerberos';
import { freePort, inDaemonDir, requireBinary } from './daemon.ts';

const run = promisify(execFile);

export interface KdcOptions {
  realm: string;
  users: Array<{ name: string; password: string }>;
  /** Service principals (`HTTP/localhost`), each given a random key and put into the keytab. */
  services: string[];
}

export interface KdcEnv {
  KRB5_CONFIG: string;
  KRB5_KDC_PROFILE: string;
  KRB5_KTNAME: string;
  KRB5RCACHEDIR: string;
}

export interface Kdc {
  realm: string;
  env: KdcEnv;
  /** Milliseconds from spawning krb5kdc to its first accepted connection (the realm is created before). */
  startupMs: number;
  /** Gets a TGT into `ccache` (a file path); rejects with kinit's message on a wrong password. */
  kinit(user: string, password: string, ccache: string, options?: { lifetime?: string }): Promise<void>;
  /** The base64 SPNEGO token for `service` (`HTTP@localhost`) from the tickets in `ccache`. */
  clientToken(ccache: string, service: string): Promise<string>;
  /** Like clientToken, and checks the server's mutual-authentication token as a client would. */
  clientContext(ccache: string, service: string): Promise<{ token: string; verifyResponse(responseToken: string): Promise<boolean> }>;
  /** A fresh cache file path in the realm's temp dir. */
  ccachePath(name: string): string;
  /** Stops krb5kdc and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** The Debian package of each binary, and who needs it: for requireBinary's error. */
const PACKAGES: Record<string, string> = { krb5kdc: 'krb5-kdc', kdb5_util: 'krb5-kdc', 'kadmin.local': 'krb5-admin-server', kinit: 'krb5-user' };
const NEED = 'the Kerberos tests need a real MIT KDC';

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`krb5kdc exited with ${child.exitCode}: ${stderr()}`);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`krb5kdc did not listen within 15 s: ${stderr()}`);
}

function kdcConf(dir: string, realm: string, port: number): string {
  return `# Throwaway test realm, written by tests/support/kdc.ts
[kdcdefaults]
 kdc_listen = 127.0.0.1:${port}
 kdc_tcp_listen = 127.0.0.1:${port}
[realms]
 ${realm} = {
  database_name = ${dir}/principal
  key_stash_file = ${dir}/stash
  acl_file = ${dir}/kadm5.acl
  max_life = 10h
 }
[logging]
 kdc = FILE:${dir}/kdc.log
`;
}

function krb5Conf(realm: string, port: number): string {
  const domain = realm.toLowerCase();
  return `# Throwaway test realm, written by tests/support/kdc.ts
[libdefaults]
 default_realm = ${realm}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 dns_canonicalize_hostname = false
 rdns = false
 # Short, so that a ticket's expiry can be observed within a test.
 clockskew = 1
[realms]
 ${realm} = {
  kdc = 127.0.0.1:${port}
 }
[domain_realm]
 localhost = ${realm}
 .${domain} = ${realm}
 ${domain} = ${realm}
`;
}

/** One client-side Kerberos call at a time: KRB5CCNAME is process-wide. */
let clientQueue: Promise<unknown> = Promise.resolve();

function withEnvironment<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const next = clientQueue.then(async () => {
    const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
    Object.assign(process.env, vars);
    try {
      return await work();
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
  clientQueue = next.catch(() => undefined);
  return next;
}

/** Creates the realm, its principals and keytab, and starts krb5kdc; resolves once it listens. */
export async function startKdc(options: KdcOptions): Promise<Kdc> {
  const [krb5kdc, kdb5Util, kadminLocal, kinit] = await Promise.all(['krb5kdc', 'kdb5_util', 'kadmin.local', 'kinit'].map((name) => requireBinary(name, PACKAGES, NEED))) as [string, string, string, string];
  return inDaemonDir<Kdc>('passerelle-kdc-', async (daemon) => {
    const { dir } = daemon;
    const { realm } = options;
    const port = await freePort({ udp: true, daemon: 'the KDC' });
    const env: KdcEnv = {
      KRB5_CONFIG: path.join(dir, 'krb5.conf'),
      KRB5_KDC_PROFILE: path.join(dir, 'kdc.conf'),
      KRB5_KTNAME: `FILE:${path.join(dir, 'http.keytab')}`,
      KRB5RCACHEDIR: path.join(dir, 'rcache'),
    };
    mkdirSync(env.KRB5RCACHEDIR);
    writeFileSync(env.KRB5_KDC_PROFILE, kdcConf(dir, realm, port));
    writeFileSync(env.KRB5_CONFIG, krb5Conf(realm, port));
    writeFileSync(path.join(dir, 'kadm5.acl'), '');
    const toolEnv = { ...process.env, ...env };
    await run(kdb5Util, ['create', '-s', '-r', realm, '-P', 'master-key-for-tests'], { env: toolEnv });
    // kadmin.local reads one command per line from stdin: one process for the whole realm.
    const commands = [
      ...options.users.map((user) => `addprinc -pw ${user.password} ${user.name}`),
      ...options.services.flatMap((service) => [`addprinc -randkey ${service}`, `ktadd -k ${path.join(dir, 'http.keytab')} ${service}`]),
    ];
    const kadmin = spawn(kadminLocal, ['-r', realm], { env: toolEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let kadminOutput = '';
    kadmin.stdout.on('data', (chunk: Buffer) => { kadminOutput += chunk.toString(); });
    kadmin.stderr.on('data', (chunk: Buffer) => { kadminOutput += chunk.toString(); });
    kadmin.stdin.end(`${commands.join('\n')}\n`);
    const [code] = await once(kadmin, 'close') as [number | null];
    if (code !== 0 || /error|unknown|usage/i.test(kadminOutput)) throw new Error(`kadmin.local failed: ${kadminOutput}`);

    const started = Date.now();
    const child = daemon.spawn(krb5kdc, ['-n'], toolEnv);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    await waitForPort(port, child, () => stderr);
    const startupMs = Date.now() - started;

    const clientContext = (ccache: string, service: string) => withEnvironment({ KRB5_CONFIG: env.KRB5_CONFIG, KRB5CCNAME: `FILE:${ccache}` }, async () => {
      const client = await kerberos.initializeClient(service, { mechOID: kerberos.GSS_MECH_OID_SPNEGO });
      const token = await client.step('');
      return {
        token,
        async verifyResponse(responseToken: string) {
          await client.step(responseToken);
          return client.contextComplete;
        },
      };
    });
    return {
      realm,
      env,
      startupMs,
      async kinit(user, password, ccache, kinitOptions = {}) {
        const args = ['-c', `FILE:${ccache}`, ...(kinitOptions.lifetime ? ['-l', kinitOptions.lifetime] : []), user.includes('@') ? user : `${user}@${realm}`];
        const kinitProcess = spawn(kinit, args, { env: toolEnv, stdio: ['pipe', 'pipe', 'pipe'] });
        let output = '';
        kinitProcess.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
        kinitProcess.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
        kinitProcess.stdin.end(`${password}\n`);
        const [exitCode] = await once(kinitProcess, 'close') as [number | null];
        if (exitCode !== 0) throw new Error(`kinit ${user} failed: ${output.replace(/^Password for .*?: /, '').trim()}`);
      },
      async clientToken(ccache, service) {
        return (await clientContext(ccache, service)).token;
      },
      clientContext,
      ccachePath(name) {
        return path.join(dir, `ccache-${name}`);
      },
      stop: daemon.stop,
    };
  });
}
