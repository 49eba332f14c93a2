/**
 * Passerelle's access tokens: short-lived signed JWTs issued after a login (LDAP, Kerberos) or a
 * client-credentials grant, so that API clients send a bearer token rather than a password on
 * every call. A token carries who and which roles (computed from the groups when it was issued:
 * a change of the role map or of someone's groups takes effect within one token lifetime) and is
 * verified without any state, by any instance that has the keys (keys.ts).
 * Tokens are explicitly typed (`typ: at+jwt`) so that no other JWT signed by the same keys is
 * accepted as one, and each key only verifies with its own algorithm (no `none`, no confusion of
 * an HMAC secret with a public key).
 * @see https://www.rfc-editor.org/rfc/rfc7519 (JWT)
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.11 (JWT best practices: explicit typing)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 (the token response)
 */
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { AuthMethod, Principal } from './principal.ts';
import type { KeyRing } from './keys.ts';

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 15 * 60;
const TOKEN_TYPE = 'at+jwt';
const ORIGINAL_METHODS: readonly AuthMethod[] = ['ldap', 'kerberos', 'client-credentials', 'mtls', 'loopback'];

export interface TokenConfig {
  keys: KeyRing;
  /** The `iss` claim written and required (e.g. the public base URL). */
  issuer: string;
  /** The `aud` claim written and required. */
  audience: string;
  /** Default lifetime of issued tokens. */
  lifetimeSeconds?: number;
  /** Clock skew between instances accepted on `exp` (default 5 s). */
  clockToleranceSeconds?: number;
  /** The clock, injectable for tests. */
  now?: () => Date;
}

/** The body of a successful token response (RFC 6749 5.1). */
export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** A principal authenticated by a bearer token; `authenticatedBy` is how they logged in to get it. */
export interface TokenPrincipal extends Principal {
  method: 'bearer';
  authenticatedBy: AuthMethod;
  tokenId: string;
  expiresAt: Date;
}

export type InvalidTokenReason = 'malformed' | 'expired' | 'signature' | 'unknown-key' | 'algorithm' | 'issuer' | 'audience' | 'type' | 'claims';

/**
 * A token that must not be accepted. The message says why in words safe for logs and for the
 * `error_description` of a `WWW-Authenticate: Bearer error="invalid_token"` challenge; it never
 * contains the token.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export class InvalidToken extends Error {
  readonly reason: InvalidTokenReason;
  constructor(reason: InvalidTokenReason, message: string) {
    super(message);
    this.name = 'InvalidToken';
    this.reason = reason;
  }
}

/** The claims Passerelle writes besides the registered ones. */
interface PasserelleClaims extends JWTPayload {
  name: string;
  roles: string[];
  method: AuthMethod;
}

export class TokenService {
  readonly #config: TokenConfig;
  readonly #now: () => Date;

  constructor(config: TokenConfig) {
    const lifetime = config.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    if (!Number.isInteger(lifetime) || lifetime < 1) throw new RangeError('The token lifetime is a whole number of seconds, at least 1');
    this.#config = config;
    this.#now = config.now ?? (() => new Date());
  }

  /**
   * Signs a token for a principal. A principal that itself came from a token is refused: a token
   * that could buy a fresh token would never expire.
   */
  async issue(principal: Principal, options: { lifetimeSeconds?: number } = {}): Promise<IssuedToken> {
    if (principal.method === 'bearer') throw new Error('A bearer token cannot be exchanged for another: log in again');
    const lifetime = options.lifetimeSeconds ?? this.#config.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    if (!Number.isInteger(lifetime) || lifetime < 1) throw new RangeError('The token lifetime is a whole number of seconds, at least 1');
    const { signing } = this.#config.keys;
    const issuedAt = Math.floor(this.#now().getTime() / 1000);
    const claims: PasserelleClaims = { name: principal.name, roles: [...principal.roles], method: principal.method };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: signing.alg, kid: signing.kid, typ: TOKEN_TYPE })
      .setSubject(principal.id)
      .setIssuer(this.#config.issuer)
      .setAudience(this.#config.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + lifetime)
      .setJti(randomUUID())
      .sign(signing.signKey);
    return { access_token: token, token_type: 'Bearer', expires_in: lifetime };
  }

  /** Verifies a token and returns its principal, or throws {@link InvalidToken}. */
  async verify(token: string): Promise<TokenPrincipal> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new InvalidToken('malformed', 'The token is not a JWS');
    }
    const key = kid === undefined ? undefined : this.#config.keys.byKid.get(kid);
    if (!key) throw new InvalidToken('unknown-key', 'The token was not signed by a key of this server');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.verifyKey, {
        algorithms: [key.alg],
        issuer: this.#config.issuer,
        audience: this.#config.audience,
        typ: TOKEN_TYPE,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        clockTolerance: this.#config.clockToleranceSeconds ?? 5,
        currentDate: this.#now(),
      }));
    } catch (err) {
      throw invalid(err);
    }
    return principalOf(payload);
  }
}

function invalid(err: unknown): InvalidToken {
  if (err instanceof errors.JWTExpired) return new InvalidToken('expired', 'The token has expired');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new InvalidToken('signature', 'The token signature is not valid');
  if (err instanceof errors.JOSEAlgNotAllowed) return new InvalidToken('algorithm', 'The token is signed with an algorithm its key does not use');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new InvalidToken('issuer', 'The token was issued by another issuer');
    if (err.claim === 'aud') return new InvalidToken('audience', 'The token is meant for another audience');
    if (err.claim === 'typ') return new InvalidToken('type', 'The JWT is not an access token');
    return new InvalidToken('claims', `The token's ${err.claim} claim is not valid`);
  }
  return new InvalidToken('malformed', 'The token is not a valid JWT');
}

function principalOf(payload: JWTPayload): TokenPrincipal {
  const { sub, jti, exp, name, roles, method } = payload;
  if (typeof sub !== 'string' || sub === '') throw new InvalidToken('claims', 'The token has no subject');
  if (typeof name !== 'string') throw new InvalidToken('claims', 'The token has no name claim');
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) throw new InvalidToken('claims', 'The token has no roles claim');
  if (!ORIGINAL_METHODS.includes(method as AuthMethod)) throw new InvalidToken('claims', 'The token has no valid method claim');
  return {
    id: sub,
    name,
    method: 'bearer',
    authenticatedBy: method as AuthMethod,
    // Groups are not carried (a directory user may be in hundreds): the roles they gave are.
    groups: [],
    roles: roles as string[],
    tokenId: jti as string,
    expiresAt: new Date((exp as number) * 1000),
  };
}
