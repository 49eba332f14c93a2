/**
 * Kerberos single sign-on over HTTP: the acceptor side of SPNEGO as RFC 4559 describes it
 * (https://www.rfc-editor.org/rfc/rfc4559#section-4). The browser sends
 * `Authorization: Negotiate <base64 token>` with a service ticket for `HTTP/<host>`; we accept
 * it with the service's key from the keytab, learn the client principal (`alice@HOPITAL.TEST`)
 * and, when the client asked for mutual authentication, return the token that goes back in
 * `WWW-Authenticate: Negotiate <token>` (RFC 4559 section 5).
 *
 * The `kerberos` package (MIT GSS-API underneath) reads its configuration from the process
 * environment at each call, not at import: `KRB5_KTNAME` (the keytab), `KRB5_CONFIG`
 * (krb5.conf) and `KRB5RCACHEDIR` (the replay cache). Set them before the first call and
 * leave them alone afterwards: the library reads them from worker threads.
 *
 * Replayed tokens are refused by MIT's replay cache (one authenticator, one use): a file in
 * KRB5RCACHEDIR, shared by the processes of one host. Instances on other hosts behind a load
 * balancer have their own; there, authenticators older than the clock skew (5 minutes by
 * default) are refused anyway, and tokens travel inside TLS, which is what stops replays.
 */
import kerberos, { type KerberosServer } from 'kerberos';

/** The token is not acceptable (garbage, NTLM, expired, replayed, for another service): answer 401. */
export class NegotiateRejected extends Error {
  override readonly name = 'NegotiateRejected';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** This server cannot accept any token (no keytab, no key for the service, bad krb5.conf): answer 503. */
export class KerberosUnavailable extends Error {
  override readonly name = 'KerberosUnavailable';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface NegotiateResult {
  /** The authenticated client, `name@REALM`. */
  principal: string;
  /** Base64 token for `WWW-Authenticate: Negotiate <token>` (mutual authentication), when there is one. */
  responseToken?: string;
}

/**
 * Real tickets are a few kilobytes; Active Directory ones with a large group list (PAC) reach
 * tens of kilobytes. Anything larger is not a ticket, and we do not hand it to the C library.
 */
const MAX_TOKEN_CHARS = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** `NTLMSSP\0`: browsers without a Kerberos ticket fall back to raw NTLM inside Negotiate. */
const NTLM_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

/** Checks the token's shape before the C library sees it (its base64 decoder trusts its input). */
function checkToken(token: string): void {
  if (typeof token !== 'string' || token.length === 0) throw new NegotiateRejected('empty Negotiate token');
  if (token.length > MAX_TOKEN_CHARS) throw new NegotiateRejected('Negotiate token too large');
  if (token.length % 4 !== 0 || !BASE64.test(token)) throw new NegotiateRejected('Negotiate token is not base64');
  if (Buffer.from(token.slice(0, 12), 'base64').subarray(0, NTLM_SIGNATURE.length).equals(NTLM_SIGNATURE)) {
    throw new NegotiateRejected('NTLM token: the client has no Kerberos ticket for this server');
  }
}

/**
 * Accepts one SPNEGO token for `service` (GSS host-based form, `HTTP@host`; the keytab must
 * hold `HTTP/host@REALM`). Kerberos completes in one round trip, so a token that would need
 * another (some SPNEGO negotiations) is refused rather than half-accepted.
 *
 * @throws NegotiateRejected for any token that does not authenticate a client
 * @throws KerberosUnavailable when the service's credentials cannot be acquired
 */
export async function acceptNegotiate(token: string, service: string): Promise<NegotiateResult> {
  checkToken(token);
  if (!/^[^@\s]+@[^@\s]+$/.test(service)) throw new KerberosUnavailable(`Kerberos service name must look like HTTP@host: ${service}`);
  let server: KerberosServer;
  try {
    server = await kerberos.initializeServer(service);
  } catch (error) {
    throw new KerberosUnavailable(`cannot acquire credentials for ${service} (keytab: ${process.env.KRB5_KTNAME ?? 'default'}): ${(error as Error).message}`, { cause: error });
  }
  try {
    await server.step(token);
  } catch (error) {
    // GSS messages name the failure (defective token, replay, wrong principal, skew) and never carry key material.
    throw new NegotiateRejected(`Negotiate token refused: ${(error as Error).message}`, { cause: error });
  }
  if (!server.contextComplete || !server.username) throw new NegotiateRejected('Negotiate needs another round trip, which is not supported');
  return { principal: server.username, ...(server.response ? { responseToken: server.response } : {}) };
}
