/**
 * Who is calling, from the Authorization header: Kerberos SPNEGO (`Negotiate`, RFC 4559), LDAP
 * credentials or service-account client credentials (`Basic`, RFC 7617), or a token Passerelle
 * issued (`Bearer`, RFC 6750). Staff get their roles from their directory groups through the
 * role map; service accounts carry theirs. Failed logins are rate-limited per user and per
 * address. No transport here: the Express middleware turns the outcome into a status.
 * @see https://www.rfc-editor.org/rfc/rfc4559
 * @see https://www.rfc-editor.org/rfc/rfc7617
 * @see https://www.rfc-editor.org/rfc/rfc6750
 */
import type { Database } from '../fhir/index.ts';
import type { Principal } from './principal.ts';
import type { LdapDirectory, DirectoryUser } from './ldap.ts';
import { DirectoryUnavailable } from './ldap.ts';
import { acceptNegotiate, KerberosUnavailable, NegotiateRejected } from './kerberos.ts';
import { InvalidToken, type TokenService } from './tokens.ts';
import type { LoginRateLimiter } from './rate-limit.ts';
import { rolesFor, type RoleMap } from './roles.ts';
import { verifyClient } from './service-accounts.ts';

export interface AuthenticatorOptions {
  db: Database;
  ldap?: LdapDirectory;
  /** The Kerberos service name (`HTTP@host`) when SPNEGO is on; the keytab comes from KRB5_KTNAME. */
  kerberosService?: string;
  tokens: TokenService;
  roleMap: RoleMap;
  limiter: LoginRateLimiter;
  /** The realm named in `WWW-Authenticate: Basic realm=...`. */
  realm: string;
}

export type AuthOutcome =
  | { ok: true; principal: Principal; /** Header values to send back (the SPNEGO mutual-authentication token). */ wwwAuthenticate?: string }
  | { ok: false; status: 401 | 429 | 503; reason: string; retryAfterSeconds?: number };

/** Client ids of service accounts are told apart from directory users by this prefix. */
const CLIENT_PREFIX = 'client:';

export class Authenticator {
  readonly #options: AuthenticatorOptions;

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
  }

  /** The methods offered, as restful-security-service codes for the CapabilityStatement. */
  methods(): ('Kerberos' | 'Basic' | 'OAuth')[] {
    return [...(this.#options.kerberosService ? (['Kerberos'] as const) : []), 'Basic', 'OAuth'];
  }

  /** The challenges of a 401, one per method offered (RFC 7235 4.1). */
  challenges(): string[] {
    const challenges: string[] = [];
    if (this.#options.kerberosService) challenges.push('Negotiate');
    challenges.push(`Basic realm="${this.#options.realm}", charset="UTF-8"`);
    challenges.push(`Bearer realm="${this.#options.realm}"`);
    return challenges;
  }

  async authenticate(authorization: string | undefined, address: string): Promise<AuthOutcome> {
    if (!authorization) return { ok: false, status: 401, reason: 'authentication is required' };
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const credentials = space < 0 ? '' : authorization.slice(space + 1).trim();
    switch (scheme) {
      case 'bearer':
        return this.#bearer(credentials);
      case 'basic':
        return this.#basic(credentials, address);
      case 'negotiate':
        return this.#negotiate(credentials, address);
      default:
        return { ok: false, status: 401, reason: `the ${scheme} authentication scheme is not supported` };
    }
  }

  async #bearer(token: string): Promise<AuthOutcome> {
    try {
      return { ok: true, principal: await this.#options.tokens.verify(token) };
    } catch (err) {
      if (err instanceof InvalidToken) return { ok: false, status: 401, reason: `the bearer token is not valid (${err.reason})` };
      throw err;
    }
  }

  /** Basic credentials: `client:<id>` and its secret for a service account, else a directory user. */
  async #basic(credentials: string, address: string): Promise<AuthOutcome> {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    // A service account's user name is `client:<id>`: its own colon is not the separator.
    const colon = decoded.indexOf(':', decoded.startsWith(CLIENT_PREFIX) ? CLIENT_PREFIX.length : 0);
    if (colon < 1) return { ok: false, status: 401, reason: 'the Basic credentials are not user:password' };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const { limiter } = this.#options;
    const decision = limiter.check(user, address);
    if (!decision.allowed) return { ok: false, status: 429, reason: 'too many failed logins', retryAfterSeconds: decision.retryAfterSeconds };
    const principal = user.startsWith(CLIENT_PREFIX)
      ? await verifyClient(this.#options.db, user.slice(CLIENT_PREFIX.length), password)
      : await this.#directoryLogin(user, password);
    if (principal === 'unavailable') return { ok: false, status: 503, reason: 'the directory cannot be reached' };
    if (!principal) {
      limiter.recordFailure(user, address);
      return { ok: false, status: 401, reason: 'the user name or password is not right' };
    }
    limiter.recordSuccess(user);
    return { ok: true, principal };
  }

  async #directoryLogin(user: string, password: string): Promise<Principal | undefined | 'unavailable'> {
    const { ldap } = this.#options;
    if (!ldap) return undefined;
    try {
      const found = await ldap.verifyPassword(user, password);
      return found && this.#staff(found, user, 'ldap');
    } catch (err) {
      if (err instanceof DirectoryUnavailable) return 'unavailable';
      throw err;
    }
  }

  async #negotiate(token: string, address: string): Promise<AuthOutcome> {
    const { kerberosService, ldap, limiter } = this.#options;
    if (!kerberosService) return { ok: false, status: 401, reason: 'Kerberos is not configured here' };
    const decision = limiter.check(undefined, address);
    if (!decision.allowed) return { ok: false, status: 429, reason: 'too many failed logins', retryAfterSeconds: decision.retryAfterSeconds };
    let accepted: { principal: string; responseToken?: string };
    try {
      accepted = await acceptNegotiate(token, kerberosService);
    } catch (err) {
      if (err instanceof NegotiateRejected) {
        limiter.recordFailure(undefined, address);
        return { ok: false, status: 401, reason: 'the Kerberos token was not accepted' };
      }
      if (err instanceof KerberosUnavailable) return { ok: false, status: 503, reason: 'Kerberos is not usable on this server' };
      throw err;
    }
    let found: DirectoryUser | undefined;
    try {
      found = await ldap?.findUser(accepted.principal);
    } catch (err) {
      if (err instanceof DirectoryUnavailable) return { ok: false, status: 503, reason: 'the directory cannot be reached' };
      throw err;
    }
    // A ticket for someone the directory does not know gives no roles, hence no access: still who they are, for the audit.
    const principal = found
      ? this.#staff(found, accepted.principal, 'kerberos')
      : { id: accepted.principal, name: accepted.principal, method: 'kerberos' as const, groups: [], roles: [] };
    return { ok: true, principal, ...(accepted.responseToken ? { wwwAuthenticate: `Negotiate ${accepted.responseToken}` } : {}) };
  }

  #staff(user: DirectoryUser, name: string, method: 'ldap' | 'kerberos'): Principal {
    return { id: user.dn, name, method, groups: user.groups, roles: rolesFor(user.groups, this.#options.roleMap) };
  }
}
