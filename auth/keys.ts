/**
 * Keys that sign and verify Passerelle's access tokens, with rotation: every key has a `kid`
 * (carried in each token's header), the newest signs, and all of them verify, so tokens signed
 * before a rotation stay valid until they expire. Two sources:
 * - a shared secret (HS256, JWT_SECRET) and the secrets it replaced (JWT_PREVIOUS_SECRETS);
 * - a directory of PEM files (JWT_KEYS_DIR): private keys (PKCS#8 or SEC1) of P-256 (ES256) or
 *   Ed25519 (EdDSA), or public keys only (a retired key that still verifies). The file name less
 *   `.pem` is the kid; the private key whose name sorts last signs, so name them by date
 *   (`2026-05.pem`). Every instance behind a load balancer reads the same files and agrees.
 * Previous secrets may accompany a key directory, to move from HS256 to ES256 without logging
 * everyone out; a secret and a directory together are refused (which would sign?).
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3 (JWS algorithms; HS256 keys of 256 bits or more)
 * @see https://www.rfc-editor.org/rfc/rfc8037 (EdDSA for JOSE)
 */
import { createHash, createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type TokenAlgorithm = 'HS256' | 'ES256' | 'EdDSA';

/** A key that verifies tokens, and signs them when `signKey` is set. */
export interface TokenKey {
  kid: string;
  alg: TokenAlgorithm;
  verifyKey: KeyObject;
  signKey?: KeyObject;
}

export interface KeyRing {
  /** The key that signs new tokens. */
  signing: TokenKey & { signKey: KeyObject };
  /** Every key that verifies, by kid (the signing key among them). */
  byKid: ReadonlyMap<string, TokenKey>;
}

/** Where the keys come from; the lead maps JWT_SECRET, JWT_PREVIOUS_SECRETS and JWT_KEYS_DIR here. */
export interface KeyConfig {
  secret?: string;
  previousSecrets?: readonly string[];
  keysDir?: string;
}

export class KeyConfigError extends Error {}

/** RFC 7518 3.2: an HS256 key must be at least as long as the hash output, 256 bits. */
export const MIN_SECRET_LENGTH = 32;
const KID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the key ring from the configuration; throws a {@link KeyConfigError} saying what to fix. */
export function loadKeyRing(config: KeyConfig): KeyRing {
  const previous = (config.previousSecrets ?? []).map((secret, i) => secretKey(secret, `JWT_PREVIOUS_SECRETS[${i}]`, false));
  if (config.secret !== undefined && config.keysDir !== undefined) {
    throw new KeyConfigError('JWT_SECRET and JWT_KEYS_DIR are both set: choose one signing key source (a former secret goes in JWT_PREVIOUS_SECRETS)');
  }
  let keys: TokenKey[];
  if (config.keysDir !== undefined) keys = [...previous, ...directoryKeys(config.keysDir)];
  else if (config.secret !== undefined) keys = [...previous, secretKey(config.secret, 'JWT_SECRET', true)];
  else throw new KeyConfigError('No token key: set JWT_SECRET or JWT_KEYS_DIR');
  const signing = keys.findLast((key): key is TokenKey & { signKey: KeyObject } => key.signKey !== undefined);
  if (!signing) throw new KeyConfigError(`${config.keysDir}: no private key to sign with (only public keys)`);
  const byKid = new Map<string, TokenKey>();
  for (const key of keys) {
    if (byKid.has(key.kid)) throw new KeyConfigError(`Two token keys have the kid "${key.kid}" (a secret given twice, or two files of one name)`);
    byKid.set(key.kid, key);
  }
  return { signing, byKid };
}

/**
 * An HS256 key from a secret. The kid is derived from the secret, so that every instance given
 * the same secret names it the same; a hash of a 256-bit secret tells nothing about it.
 */
function secretKey(secret: string, name: string, signs: boolean): TokenKey {
  if (secret.length < MIN_SECRET_LENGTH) throw new KeyConfigError(`${name} must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -base64 48)`);
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const kid = `hs-${createHash('sha256').update('passerelle token key\0').update(secret).digest('base64url').slice(0, 16)}`;
  return signs ? { kid, alg: 'HS256', verifyKey: key, signKey: key } : { kid, alg: 'HS256', verifyKey: key };
}

function directoryKeys(dir: string): TokenKey[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.pem')).sort();
  } catch (err) {
    throw new KeyConfigError(`JWT_KEYS_DIR=${dir}: cannot read the directory (${(err as Error).message})`);
  }
  if (files.length === 0) throw new KeyConfigError(`JWT_KEYS_DIR=${dir}: no .pem file`);
  return files.map((file) => pemKey(join(dir, file), file.slice(0, -'.pem'.length)));
}

function pemKey(path: string, kid: string): TokenKey {
  if (!KID.test(kid)) throw new KeyConfigError(`${path}: the file name (the kid) must be 1-64 letters, digits, . _ -`);
  const pem = readFileSync(path, 'utf8');
  let signKey: KeyObject | undefined;
  let verifyKey: KeyObject;
  try {
    if (/-----BEGIN (EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
      signKey = createPrivateKey(pem);
      verifyKey = createPublicKey(signKey);
    } else verifyKey = createPublicKey(pem);
  } catch (err) {
    throw new KeyConfigError(`${path}: not a usable PEM key (${(err as Error).message})`);
  }
  const alg = algorithmOf(verifyKey, path);
  return signKey ? { kid, alg, verifyKey, signKey } : { kid, alg, verifyKey };
}

function algorithmOf(key: KeyObject, path: string): TokenAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  const kind = key.asymmetricKeyType === 'ec' ? `EC ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
  throw new KeyConfigError(`${path}: a ${kind} key; token keys are P-256 (ES256) or Ed25519 (EdDSA)`);
}
