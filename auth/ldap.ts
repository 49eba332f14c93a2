/**
 * The hospital directory (OpenLDAP, Active Directory) as Passerelle sees it: check a password
 * (HTTP Basic), or look up the person behind a Kerberos principal, and give back their groups.
 *
 * A password is checked the way RFC 4513 section 5.1.3 describes a simple bind
 * (https://www.rfc-editor.org/rfc/rfc4513#section-5.1.3): the service account binds and
 * searches for the user's entry (filter built with RFC 4515 escaping), then a second
 * connection binds as that entry with the password. Groups come from the entry's `memberOf`
 * and, when `groupSearchBase` is set, from a search for groups naming the entry as a member.
 * The LDAP work is ldapauth-fork's (the engine of passport-ldapauth); see
 * directory/ldap-session.ts for why we drive it directly, in a pool of sessions.
 *
 * Nothing here logs; no error message carries a password.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { checkFilterTemplate, fillFilter } from './directory/filter.ts';
import { LdapSession, type LdapEntry, type LdapSessionOptions } from './directory/ldap-session.ts';
import { SessionPool } from './directory/pool.ts';
import { usernameFromPrincipal } from './directory/principal-name.ts';
import { directoryUser, type DirectoryUser } from './directory/user.ts';

export { DirectoryUnavailable } from './directory/errors.ts';
export { escapeFilterValue } from './directory/filter.ts';
export type { DirectoryUser } from './directory/user.ts';

/** Settings, usually from LDAP_* environment variables (read by server/, not here). */
export interface LdapConfig {
  /** `ldap://host:389` (with `startTls`, or on loopback) or `ldaps://host:636`. */
  url: string;
  /** The service account that searches; unset means anonymous searches. */
  bindDN?: string;
  bindCredentials?: string;
  /** Where users live, e.g. `ou=people,dc=hopital,dc=test`. */
  searchBase: string;
  /** Default `(uid={{username}})`; Active Directory: `(sAMAccountName={{username}})`. */
  searchFilter?: string;
  /** The attribute holding the login name (default `uid`; Active Directory: `sAMAccountName`). */
  usernameAttribute?: string;
  /** Where groups live; unset: groups come from `memberOf` only. */
  groupSearchBase?: string;
  /** Default `(member={{dn}})`; `{{username}}` is also available (posixGroup: `(memberUid={{username}})`). */
  groupSearchFilter?: string;
  /** PEM CA certificate(s) for ldaps:// and StartTLS; unset: Node's default CAs. */
  tlsCaFile?: string;
  /** RFC 4511 StartTLS (RFC 4513 section 3) on an ldap:// URL before any bind. */
  startTls?: boolean;
  /** Limit for connecting and for each login or lookup (default 5000 ms). */
  timeoutMs?: number;
  /** Concurrent logins (each uses two connections; default 4). */
  poolSize?: number;
  /** Connections idle longer than this are reopened rather than reused (default 60 s). */
  idleMs?: number;
  /** Kerberos realms whose principals are directory users (see principal-name.ts). */
  principalRealms?: string[];
  /** Replaces the default principal -> login name mapping (`alice@REALM` -> `alice`). */
  principalToUsername?: (principal: string) => string | undefined;
  /**
   * Allows simple binds over plain ldap:// to a host that is not loopback, i.e. passwords in
   * clear on the network (RFC 4513 section 6.3.1 says not to). Default false: refused at start-up.
   */
  allowCleartextPasswords?: boolean;
}

/** Longer names are no one's; refusing them early keeps them out of filters and logs. */
const MAX_USERNAME = 256;
/** Far beyond any passphrase; bounds the work an anonymous caller can make us do. */
const MAX_PASSWORD = 1024;

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function tlsOptionsFor(config: LdapConfig, url: URL): ConnectionOptions | undefined {
  if (url.protocol !== 'ldaps:' && !config.startTls) return undefined;
  const options: ConnectionOptions = {};
  if (config.tlsCaFile) options.ca = [readFileSync(config.tlsCaFile)];
  if (config.startTls) {
    // With StartTLS the socket already exists: name the host so the certificate is checked
    // against it (and sent as SNI when it is a name; RFC 6066 forbids IP addresses there).
    const host = url.hostname.replace(/^\[|\]$/g, '');
    options.host = host;
    if (!/^[\d.]+$/.test(host) && !host.includes(':')) options.servername = host;
  }
  return options;
}

function sessionOptions(config: LdapConfig): LdapSessionOptions & { usernameAttribute: string; searchFilter: string } {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch (error) {
    throw new Error(`LDAP URL is not a URL: ${config.url}`, { cause: error });
  }
  if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') throw new Error(`LDAP URL must be ldap:// or ldaps://: ${config.url}`);
  if (config.startTls && url.protocol === 'ldaps:') throw new Error('StartTLS is for ldap:// URLs; ldaps:// is already TLS');
  if (url.protocol === 'ldap:' && !config.startTls && !isLoopback(url.hostname) && !config.allowCleartextPasswords) {
    throw new Error(`LDAP over ${config.url} would send passwords in clear: use ldaps://, StartTLS, or allow cleartext explicitly`);
  }
  if (config.bindDN !== undefined && !config.bindCredentials) {
    // An empty password turns the bind into an anonymous one (RFC 4513 section 5.1.2).
    throw new Error('LDAP bind DN given without bind credentials');
  }
  const searchFilter = config.searchFilter ?? '(uid={{username}})';
  checkFilterTemplate('LDAP search filter', searchFilter, 'username');
  const groupTemplate = config.groupSearchFilter ?? '(member={{dn}})';
  if (config.groupSearchBase) checkFilterTemplate('LDAP group search filter', groupTemplate, groupTemplate.includes('{{dn}}') ? 'dn' : 'username');
  const usernameAttribute = config.usernameAttribute ?? 'uid';
  const tlsOptions = tlsOptionsFor(config, url);
  return {
    url: config.url,
    ...(config.bindDN === undefined ? {} : { bindDN: config.bindDN, bindCredentials: config.bindCredentials }),
    searchBase: config.searchBase,
    searchFilter,
    usernameAttribute,
    // memberOf is operational in OpenLDAP: returned only when asked for by name.
    searchAttributes: [usernameAttribute, 'cn', 'displayName', 'memberOf'],
    ...(config.groupSearchBase
      ? {
          groupSearchBase: config.groupSearchBase,
          groupSearchFilter: (user: LdapEntry) => {
            const name = user[usernameAttribute];
            return fillFilter(groupTemplate, { dn: user.dn, username: typeof name === 'string' ? name : Array.isArray(name) ? String(name[0]) : '' });
          },
        }
      : {}),
    ...(tlsOptions ? { tlsOptions } : {}),
    startTls: config.startTls ?? false,
    timeoutMs: config.timeoutMs ?? 5000,
  };
}

export class LdapDirectory {
  readonly #pool: SessionPool<LdapSession>;
  readonly #searchFilter: string;
  readonly #usernameAttribute: string;
  readonly #principalToUsername: (principal: string) => string | undefined;

  /** Checks the configuration (throws on a mistake); connects lazily, on first use. */
  constructor(config: LdapConfig) {
    const options = sessionOptions(config);
    this.#searchFilter = options.searchFilter;
    this.#usernameAttribute = options.usernameAttribute;
    this.#principalToUsername = config.principalToUsername
      ?? ((principal) => usernameFromPrincipal(principal, config.principalRealms ? { realms: config.principalRealms } : {}));
    this.#pool = new SessionPool(() => LdapSession.open(options), { size: config.poolSize ?? 4, idleMs: config.idleMs ?? 60_000 });
  }

  /**
   * The user if `password` is theirs; undefined for a wrong password, an unknown, disabled or
   * locked user, or an empty password (refused before any bind: an empty password makes an
   * unauthenticated bind, which succeeds, RFC 4513 section 5.1.2). Throws DirectoryUnavailable
   * when the directory cannot answer (the caller answers 503, not 401).
   */
  async verifyPassword(username: string, password: string): Promise<DirectoryUser | undefined> {
    if (typeof username !== 'string' || username.length === 0 || username.length > MAX_USERNAME) return undefined;
    if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD) return undefined;
    const filter = fillFilter(this.#searchFilter, { username });
    const result = await this.#pool.use((session) => session.authenticate(filter, username, password));
    return result.user ? directoryUser(result.user, this.#usernameAttribute, username) : undefined;
  }

  /**
   * The directory user behind an authenticated Kerberos principal (`alice@HOPITAL.TEST` ->
   * the entry found with `uid=alice`), with groups; undefined when the principal maps to no
   * user or to no single entry. Throws DirectoryUnavailable like verifyPassword.
   */
  async findUser(principal: string): Promise<DirectoryUser | undefined> {
    const username = this.#principalToUsername(principal);
    if (username === undefined || username.length === 0 || username.length > MAX_USERNAME) return undefined;
    const filter = fillFilter(this.#searchFilter, { username });
    const entry = await this.#pool.use((session) => session.lookup(filter));
    return entry ? directoryUser(entry, this.#usernameAttribute, username) : undefined;
  }

  /** Closes the connections; later calls throw DirectoryUnavailable. */
  async close(): Promise<void> {
    this.#pool.close();
  }
}

