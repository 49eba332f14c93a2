/**
 * Service accounts: long-lived client credentials (a client id and a secret) for software that
 * calls Passerelle without a person, such as HL7 feeds and the dispatch software, used with the
 * OAuth `client_credentials` grant at `POST /auth/token`. Admins create, list, disable them and
 * rotate their secrets; each has its own roles. Table `auth_client` (migration 0007).
 *
 * Secrets are 256 random bits, shown once and stored only as a salted scrypt hash, so a copy of
 * the database does not give them away. Verification compares in constant time and spends the
 * same work on an unknown client id as on a known one, so timing does not reveal which ids exist.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4 (client credentials grant)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 (client password authentication)
 * @see https://www.rfc-editor.org/rfc/rfc7914 (scrypt)
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Queryable } from '../fhir/index.ts';
import type { Principal } from './principal.ts';

const CLIENT_ID = /^[A-Za-z0-9._-]{3,64}$/;
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
/** Node's default cost (16 MiB, tens of milliseconds): ample for a random 256-bit secret. */
const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
/** Compared against when the client id is unknown, so that the answer takes as long. */
const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`;

export interface ClientCredentials {
  clientId: string;
  /** Shown once: only its hash is kept. */
  clientSecret: string;
}

export interface ClientInfo {
  clientId: string;
  description: string;
  roles: string[];
  createdAt: Date;
  rotatedAt: Date | null;
  disabledAt: Date | null;
  lastUsedAt: Date | null;
}

interface ClientRow {
  client_id: string;
  description: string;
  roles: string[];
  created_at: Date | string;
  rotated_at: Date | string | null;
  disabled_at: Date | string | null;
  last_used_at: Date | string | null;
}

const COLUMNS = 'client_id, description, roles, created_at, rotated_at, disabled_at, last_used_at';

function scryptAsync(secret: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, length, options, (err, key) => (err ? reject(err) : resolve(key))));
}

async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, KEY_LENGTH, { ...SCRYPT, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

async function secretMatches(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function checkRoles(roles: readonly string[]): void {
  if (roles.length === 0) throw new RangeError('A service account needs at least one role');
  for (const role of roles) if (!ROLE_NAME.test(role)) throw new RangeError(`"${role}" is not a role name`);
}

const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

function info(row: ClientRow): ClientInfo {
  return {
    clientId: row.client_id,
    description: row.description,
    roles: row.roles,
    createdAt: new Date(row.created_at),
    rotatedAt: date(row.rotated_at),
    disabledAt: date(row.disabled_at),
    lastUsedAt: date(row.last_used_at),
  };
}

/**
 * Creates a service account with its roles (check them against the role map first) and returns
 * its credentials, the secret for the only time. `clientId` defaults to a random one.
 */
export async function createClient(db: Queryable, options: { description: string; roles: readonly string[]; clientId?: string }): Promise<ClientCredentials> {
  const clientId = options.clientId ?? `svc-${randomBytes(9).toString('base64url')}`;
  if (!CLIENT_ID.test(clientId)) throw new RangeError('A client id is 3-64 letters, digits, . _ -');
  checkRoles(options.roles);
  const clientSecret = newSecret();
  const rows = await db.query(
    `INSERT INTO auth_client (client_id, secret_hash, roles, description) VALUES ($1, $2, $3::text[], $4)
     ON CONFLICT (client_id) DO NOTHING RETURNING client_id`,
    [clientId, await hashSecret(clientSecret), [...options.roles], options.description],
  );
  if (rows.length === 0) throw new RangeError(`A client "${clientId}" already exists`);
  return { clientId, clientSecret };
}

/**
 * The principal of a service account whose secret matches, or undefined (unknown, disabled or
 * wrong secret: the caller answers all three alike, `invalid_client`). Records the use, at most
 * once a minute per client so that a busy feed does not write on every request.
 */
export async function verifyClient(db: Queryable, clientId: string, secret: string): Promise<Principal | undefined> {
  const [row] = CLIENT_ID.test(clientId)
    ? await db.query<{ secret_hash: string; roles: string[] }>('SELECT secret_hash, roles FROM auth_client WHERE client_id = $1 AND disabled_at IS NULL', [clientId])
    : [];
  const matches = await secretMatches(secret, row?.secret_hash ?? DUMMY_HASH);
  if (!row || !matches) return undefined;
  await db.query(
    `UPDATE auth_client SET last_used_at = now()
     WHERE client_id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [clientId],
  );
  return { id: `client:${clientId}`, name: clientId, method: 'client-credentials', groups: [], roles: row.roles };
}

/** Every service account, disabled ones included, oldest first; never their secrets. */
export async function listClients(db: Queryable): Promise<ClientInfo[]> {
  const rows = await db.query<ClientRow>(`SELECT ${COLUMNS} FROM auth_client ORDER BY created_at, client_id`);
  return rows.map(info);
}

/** One service account, or undefined. */
export async function getClient(db: Queryable, clientId: string): Promise<ClientInfo | undefined> {
  const [row] = await db.query<ClientRow>(`SELECT ${COLUMNS} FROM auth_client WHERE client_id = $1`, [clientId]);
  return row ? info(row) : undefined;
}

/**
 * Disables a service account: it can no longer authenticate (tokens already issued to it stay
 * valid until they expire, minutes). False when there is no such enabled client.
 */
export async function disableClient(db: Queryable, clientId: string): Promise<boolean> {
  const rows = await db.query('UPDATE auth_client SET disabled_at = now() WHERE client_id = $1 AND disabled_at IS NULL RETURNING client_id', [clientId]);
  return rows.length > 0;
}

/** Replaces a client's secret (the old one stops working at once); undefined when there is no such client. */
export async function rotateSecret(db: Queryable, clientId: string): Promise<ClientCredentials | undefined> {
  const clientSecret = newSecret();
  const rows = await db.query('UPDATE auth_client SET secret_hash = $2, rotated_at = now() WHERE client_id = $1 RETURNING client_id', [clientId, await hashSecret(clientSecret)]);
  return rows.length > 0 ? { clientId, clientSecret } : undefined;
}
