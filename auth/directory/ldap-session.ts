/**
 * One connection pair to the directory (ldapauth-fork's `LdapAuth`: a service connection that
 * searches, a user connection that binds), driven through promises, used by one operation at
 * a time, and discarded as soon as anything goes wrong with it.
 *
 * ldapauth-fork is the engine of passport-ldapauth. We use it directly, and reach past its
 * public API for the few things it gets wrong under load or with TLS (all seen against slapd):
 * - concurrent `authenticate` calls share one user connection, so binds overlap, which
 *   RFC 4511 section 4.2.1 forbids (https://www.rfc-editor.org/rfc/rfc4511#section-4.2.1):
 *   with 50 at once slapd left most unanswered. A session here serves one call at a time;
 *   `SessionPool` gives concurrency.
 * - its `starttls` option sends the first binds before the StartTLS response, in clear text,
 *   and slapd drops the connection (the password has left in clear by then). We run StartTLS
 *   ourselves and use the session only once TLS is up on both connections (RFC 4513 section 3,
 *   https://www.rfc-editor.org/rfc/rfc4513#section-3).
 * - its user lookup has no public entry point, which a Kerberos principal needs (no password).
 * - a connection closed by the server raises no error; requests then queue forever.
 * The internals are those of ldapauth-fork 5.0.5 exactly (pinned); `internalsOf` checks their
 * shape at construction so an upgrade that changes them fails at start-up, not at a login.
 */
import LdapAuth from 'ldapauth-fork';
import type { Client } from 'ldapjs';
import type { ConnectionOptions } from 'node:tls';
import { DirectoryUnavailable } from './errors.ts';

/** A search result entry as ldapjs gives it: `dn` plus each attribute, one value or several. */
export interface LdapEntry {
  dn: string;
  [attribute: string]: unknown;
  /** Set by ldapauth-fork's group search. */
  _groups?: LdapEntry[];
}

type Callback<T> = (error: unknown, result?: T) => void;

/** The parts of ldapauth-fork 5.0.5 we use beyond `authenticate`/`close`. */
interface LdapAuthInternals {
  /** The options object we passed in, read again on every call (we set `searchFilter` per call). */
  opts: { searchFilter: string };
  _adminClient: Client;
  _userClient: Client;
  _adminBind(callback: (error?: unknown) => void): void;
  _findUser(username: string, callback: Callback<LdapEntry>): void;
  _getGroups(user: LdapEntry, callback: Callback<LdapEntry>): void;
}

function internalsOf(auth: LdapAuth): LdapAuthInternals {
  const internals = auth as unknown as LdapAuthInternals;
  const ok = typeof internals.opts === 'object' && typeof internals._adminClient?.bind === 'function'
    && typeof internals._userClient?.bind === 'function' && typeof internals._adminBind === 'function'
    && typeof internals._findUser === 'function' && typeof internals._getGroups === 'function';
  if (!ok) throw new Error('ldapauth-fork internals changed: auth/directory/ldap-session.ts supports ldapauth-fork 5.0.5');
  return internals;
}

export interface LdapSessionOptions {
  url: string;
  bindDN?: string;
  bindCredentials?: string;
  searchBase: string;
  groupSearchBase?: string;
  /** Builds the group filter for a found user (values already escaped by the caller). */
  groupSearchFilter?: (user: LdapEntry) => string;
  searchAttributes: string[];
  /** For ldaps:// and StartTLS: the CA, and rejectUnauthorized left at its default (true). */
  tlsOptions?: ConnectionOptions;
  startTls: boolean;
  timeoutMs: number;
}

/** What a bind-and-search said about the credentials (errors meaning "unavailable" are thrown). */
export type AuthenticateResult = { user: LdapEntry } | { user: undefined; reason: string };

/**
 * LDAP result codes that mean "these credentials do not log in" (RFC 4511 appendix A):
 * invalidCredentials (49, also Active Directory's disabled, expired and locked accounts),
 * inappropriateAuthentication (48, an entry without a password), constraintViolation (19,
 * password policy lockouts), unwillingToPerform (53).
 */
const REFUSALS = new Set(['InvalidCredentialsError', 'InappropriateAuthenticationError', 'ConstraintViolationError', 'UnwillingToPerformError']);

function errorName(error: unknown): string {
  if (typeof error === 'string') return error;
  return error instanceof Error ? error.name : String(error);
}

/** For messages: the error's name, code and text (LDAP and TLS errors carry no credentials). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
}

export class LdapSession {
  readonly #auth: LdapAuth;
  readonly #internals: LdapAuthInternals;
  readonly #options: LdapSessionOptions;
  /** Rejects once the session breaks, so that operations in flight fail at once. */
  readonly #broken: Promise<never>;
  #fail!: (error: DirectoryUnavailable) => void;
  #failure: DirectoryUnavailable | undefined;
  #closed = false;
  lastUsed = Date.now();

  private constructor(options: LdapSessionOptions) {
    this.#options = options;
    this.#broken = new Promise<never>((_, reject) => {
      this.#fail = reject;
    });
    this.#broken.catch(() => undefined);
    this.#auth = new LdapAuth({
      url: options.url,
      bindDN: options.bindDN,
      bindCredentials: options.bindCredentials,
      searchBase: options.searchBase,
      // Replaced before each call by a filter we built and escaped (see filter.ts).
      searchFilter: '(objectClass=*)',
      searchAttributes: options.searchAttributes,
      ...(options.groupSearchBase && options.groupSearchFilter
        ? { groupSearchBase: options.groupSearchBase, groupSearchFilter: options.groupSearchFilter, groupSearchAttributes: ['cn'] }
        : {}),
      tlsOptions: options.tlsOptions,
      timeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
      cache: false,
    });
    this.#internals = internalsOf(this.#auth);
    // Without a listener an 'error' event would throw and end the process.
    this.#auth.on('error', (error: unknown) => this.#breaks(`LDAP connection to ${options.url} failed: ${describeError(error)}`, error));
    for (const client of [this.#internals._adminClient, this.#internals._userClient]) {
      client.on('close', () => this.#breaks(`LDAP connection to ${options.url} closed`));
    }
  }

  /** Connects, runs StartTLS when asked, and binds the service account. */
  static async open(options: LdapSessionOptions): Promise<LdapSession> {
    const session = new LdapSession(options);
    try {
      await session.#guard(async () => {
        if (options.startTls) {
          await Promise.all([session.#internals._adminClient, session.#internals._userClient].map((client) => session.#startTls(client)));
        }
        await new Promise<void>((resolve, reject) => session.#internals._adminBind((error) => (error ? reject(error) : resolve())));
      }, 'connecting');
    } catch (error) {
      session.close();
      if (REFUSALS.has(errorName((error as DirectoryUnavailable).cause))) {
        throw new DirectoryUnavailable(`the directory refused the service account's bind (${errorName((error as DirectoryUnavailable).cause)}): check the bind DN and credentials`, { cause: error });
      }
      throw error;
    }
    return session;
  }

  get usable(): boolean {
    return !this.#closed && this.#failure === undefined;
  }

  /**
   * Searches with `filter` (already built and escaped), then binds as the entry found with
   * `password`, then resolves groups. Refusals are results; anything else throws DirectoryUnavailable.
   */
  authenticate(filter: string, username: string, password: string): Promise<AuthenticateResult> {
    return this.#guard(() => new Promise<AuthenticateResult>((resolve, reject) => {
      this.#internals.opts.searchFilter = filter;
      this.#auth.authenticate(username, password, (error, user: LdapEntry | undefined) => {
        if (!error) return user ? resolve({ user }) : resolve({ user: undefined, reason: 'no such user' });
        const name = errorName(error);
        // ldapauth-fork reports these two as strings, not errors.
        if (name.startsWith('no such user')) return resolve({ user: undefined, reason: 'no such user' });
        if (name.startsWith('unexpected number of matches')) return resolve({ user: undefined, reason: 'several entries match' });
        if (REFUSALS.has(name)) return resolve({ user: undefined, reason: name });
        reject(error);
      });
    }), 'authenticating');
  }

  /** Searches with `filter` and resolves the entry's groups; undefined when nothing (or several) match. */
  lookup(filter: string): Promise<LdapEntry | undefined> {
    return this.#guard(() => new Promise<LdapEntry | undefined>((resolve, reject) => {
      this.#internals.opts.searchFilter = filter;
      // The name only appears in ldapauth-fork's messages: the filter has no placeholder left.
      this.#internals._findUser('lookup', (error, user) => {
        if (error) return typeof error === 'string' && error.startsWith('unexpected number of matches') ? resolve(undefined) : reject(error);
        if (!user) return resolve(undefined);
        this.#internals._getGroups(user, (groupError, withGroups) => (groupError ? reject(groupError) : resolve(withGroups)));
      });
    }), 'searching');
  }

  /** Unbinds and drops both connections (and anything still queued on them). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#breaks('LDAP session closed');
    const { _adminClient, _userClient } = this.#internals;
    this.#auth.close(() => {
      _adminClient.destroy();
      _userClient.destroy();
    });
  }

  #startTls(client: Client): Promise<void> {
    // A fresh options object per connection: ldapjs stores the socket in it.
    return new Promise((resolve, reject) => client.starttls({ ...this.#options.tlsOptions }, [], (error) => (error ? reject(error) : resolve())));
  }

  #breaks(message: string, cause?: unknown): void {
    if (this.#failure) return;
    this.#failure = new DirectoryUnavailable(message, { cause });
    this.#fail(this.#failure);
  }

  /**
   * Runs one operation against the time limit and the session's failure; anything that is not
   * an answer from the directory breaks the session (a timed-out connection is not reused).
   */
  async #guard<T>(operation: () => Promise<T>, doing: string): Promise<T> {
    if (this.#failure) throw this.#failure;
    this.lastUsed = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DirectoryUnavailable(`LDAP server ${this.#options.url} did not answer within ${this.#options.timeoutMs} ms (${doing})`)), this.#options.timeoutMs);
    });
    try {
      return await Promise.race([operation(), this.#broken, timeout]);
    } catch (error) {
      const unavailable = error instanceof DirectoryUnavailable
        ? error
        : new DirectoryUnavailable(`LDAP server ${this.#options.url} failed while ${doing}: ${describeError(error)}`, { cause: error });
      this.#breaks(unavailable.message, unavailable.cause);
      throw unavailable;
    } finally {
      clearTimeout(timer);
      this.lastUsed = Date.now();
    }
  }
}
