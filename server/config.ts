/**
 * Configuration, read once from the environment and passed to whoever needs it.
 * See the README's settings table.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { resolve } from 'node:path';
import { RoomMap, RoomMapError } from '../igtlink/bridge/room-map.ts';

export interface Config {
  host: string;
  port: number;
  mllpPort: number;
  igtlPort: number;
  igtl: IgtlConfig;
  dataDir: string;
  /** postgres://... to use a PostgreSQL server instead of the embedded database. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  logLevel: string;
  /** Largest FHIR request body, in bytes. */
  maxBodyBytes: number;
  /** Public base URL of the server (e.g. behind a proxy); default from each request's Host. */
  publicUrl: string | undefined;
  /** Seconds to wait for in-flight requests on SIGTERM. */
  shutdownGraceSeconds: number;
  authConfigured: boolean;
  hl7: Hl7Config;
  dicomweb: DicomwebConfig;
  events: EventsConfig;
  anon: AnonConfig;
  /** The openEHR system id, the middle part of the version uids Passerelle assigns (`uuid::system::1`). */
  openehrSystemId: string;
  /** Undefined when no authentication is configured (loopback-only mode). */
  auth: AuthConfig | undefined;
}

/** Single sign-on, tokens, roles and the audit trail (see the README's Authentication section). */
export interface AuthConfig {
  ldap: LdapSettings | undefined;
  /** `HTTP@host` for SPNEGO; the keytab is KRB5_KTNAME, read by the Kerberos library itself. */
  kerberosService: string | undefined;
  jwt: { secret: string | undefined; previousSecrets: string[]; keysDir: string | undefined; issuer: string; audience: string; lifetimeSeconds: number };
  roleMapFile: string | undefined;
  failures: { perUser: number; perAddress: number; windowSeconds: number };
  realm: string;
}

export interface LdapSettings {
  url: string;
  bindDN: string;
  bindCredentials: string;
  searchBase: string;
  searchFilter: string | undefined;
  groupSearchBase: string | undefined;
  groupSearchFilter: string | undefined;
  tlsCaFile: string | undefined;
  startTls: boolean;
  /** Simple binds over plain ldap:// to a host that is not loopback (passwords in clear): refused unless set. */
  allowCleartextPasswords: boolean;
}

/** The DICOMweb server's settings. */
export interface DicomwebConfig {
  /** Largest STOW-RS request, in bytes (413 beyond); requests stream, so this bounds disk use, not memory. */
  maxRequestBytes: number;
}

/** The OpenIGTLink bridge (IGTL_PORT is in Config itself). */
export interface IgtlConfig {
  /** IGTL_ROOM_MAP: which operating room a device is in (see igtlink/bridge/room-map.ts). */
  roomMap: string;
  /** A tool's poses are persisted at most this often (the live stream gets them all). */
  persistIntervalMs: number;
  /** A device's images are kept as DICOM at most this often (the live stream announces them all). */
  imageIntervalMs: number;
  maxBodyBytes: number;
  /** A connection silent this long is closed; 0: never. */
  idleTimeoutSeconds: number;
}

/** De-identification and export (see the README's Research export section). */
export interface AnonConfig {
  /** The key of pseudonyms, date shifts and replaced UIDs; export and `anonymize` refuse to run without it. */
  secret: string | undefined;
  /** The per-patient date shift is between these many days into the past. */
  minShiftDays: number;
  maxShiftDays: number;
  /** Hours a finished export's files stay before they are deleted. */
  exportRetentionHours: number;
}

/** The change feed's settings: its readers, its retention, and the AMQP bridge. */
export interface EventsConfig {
  /** How often the feed is read for new changes, in ms (the floor of notification latency). */
  pollMs: number;
  /** Hours delivered changes stay in the feed (for live readers catching up) before they are pruned. */
  retentionHours: number;
  /** Undefined: no AMQP bridge. */
  amqp: AmqpConfig | undefined;
  /** Rest-hook notifications: attempts before a Subscription is set to `error`. */
  restHookMaxAttempts: number;
}

export interface AmqpConfig {
  url: string;
  /** The topic exchange changes are published to. */
  exchange: string;
  /** Unacknowledged inbound messages per queue. */
  prefetch: number;
  /** The inbound queues (empty setting: that queue is not consumed). */
  queues: { hl7v2: string | undefined; fhir: string | undefined };
}

/** The HL7 v2 bridge's settings (MLLP listener and mapping). */
export interface Hl7Config {
  /** Largest message accepted over MLLP or HTTP, in bytes. */
  maxMessageBytes: number;
  /** Seconds an MLLP connection may stay silent before it is closed (0: never). */
  idleTimeoutSeconds: number;
  /** TLS for MLLP: certificate and key files, and a CA file to require and verify client certificates. */
  tls: { certFile: string; keyFile: string; caFile: string | undefined } | undefined;
  unknownLocations: 'create' | 'reject';
  releasedBedStatus: 'U' | 'H';
  /** Zone of timestamps sent without one: an IANA name or an offset such as +0100. */
  timeZone: string;
  /** Peers allowed to connect over MLLP (addresses and CIDR blocks); undefined: any. */
  allowedPeers: BlockList | undefined;
}

export class ConfigError extends Error {}

const AUTH_VARIABLES = ['LDAP_URL', 'KERBEROS_SERVICE', 'JWT_SECRET', 'JWT_KEYS_DIR'];

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  return value;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function choice<T extends string>(env: NodeJS.ProcessEnv, name: string, options: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!options.includes(raw as T)) throw new ConfigError(`${name} must be one of ${options.join(', ')}, not "${raw}"`);
  return raw as T;
}

function timeZone(env: NodeJS.ProcessEnv): string {
  const raw = env.HL7_TIME_ZONE || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  if (/^[+-]\d{2}:?\d{2}$/.test(raw)) return raw;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: raw });
  } catch {
    throw new ConfigError(`HL7_TIME_ZONE must be an IANA time zone (Europe/Paris) or an offset (+0100), not "${raw}"`);
  }
  return raw;
}

function hl7Config(env: NodeJS.ProcessEnv): Hl7Config {
  const certFile = env.MLLP_TLS_CERT || undefined;
  const keyFile = env.MLLP_TLS_KEY || undefined;
  if (Boolean(certFile) !== Boolean(keyFile)) throw new ConfigError('MLLP_TLS_CERT and MLLP_TLS_KEY go together: set both for MLLP over TLS, or neither');
  if (env.MLLP_TLS_CA && !certFile) throw new ConfigError('MLLP_TLS_CA needs MLLP_TLS_CERT and MLLP_TLS_KEY');
  return {
    maxMessageBytes: integer(env, 'HL7_MAX_MESSAGE_BYTES', 16 * 1024 * 1024, 1024, 2 ** 30),
    idleTimeoutSeconds: integer(env, 'MLLP_IDLE_TIMEOUT_SECONDS', 600, 0, 86_400),
    tls: certFile && keyFile ? { certFile, keyFile, caFile: env.MLLP_TLS_CA || undefined } : undefined,
    unknownLocations: choice(env, 'HL7_UNKNOWN_LOCATIONS', ['create', 'reject'] as const, 'create'),
    releasedBedStatus: choice(env, 'HL7_RELEASED_BED_STATUS', ['U', 'H'] as const, 'U'),
    timeZone: timeZone(env),
    allowedPeers: allowedPeers(env.MLLP_ALLOWED_PEERS),
  };
}

/** MLLP_ALLOWED_PEERS: `10.1.2.3, 10.20.0.0/16, ::1` as a BlockList; each entry checked. */
function allowedPeers(raw: string | undefined): BlockList | undefined {
  const entries = (raw ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIPv6(address) ? 'ipv6' : isIPv4(address) ? 'ipv4' : undefined;
    const bits = prefix === undefined ? undefined : Number(prefix);
    if (!type || (bits !== undefined && (!Number.isInteger(bits) || bits < 0 || bits > (type === 'ipv4' ? 32 : 128)))) {
      throw new ConfigError(`MLLP_ALLOWED_PEERS: "${entry}" is not an IP address or CIDR block`);
    }
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  return list;
}

function eventsConfig(env: NodeJS.ProcessEnv): EventsConfig {
  const url = env.AMQP_URL || undefined;
  if (url && !/^amqps?:\/\//.test(url)) throw new ConfigError('AMQP_URL must start with amqp:// or amqps://');
  return {
    pollMs: integer(env, 'EVENTS_POLL_MS', 25, 1, 60_000),
    retentionHours: integer(env, 'EVENTS_RETENTION_HOURS', 24, 0, 24 * 365),
    amqp: url
      ? {
          url,
          exchange: env.AMQP_EXCHANGE || 'passerelle.events',
          prefetch: integer(env, 'AMQP_PREFETCH', 50, 1, 65_535),
          queues: {
            hl7v2: queueName(env, 'AMQP_INBOUND_HL7_QUEUE', 'passerelle.inbound.hl7v2'),
            fhir: queueName(env, 'AMQP_INBOUND_FHIR_QUEUE', 'passerelle.inbound.fhir'),
          },
        }
      : undefined,
    restHookMaxAttempts: integer(env, 'SUBSCRIPTION_MAX_ATTEMPTS', 5, 1, 100),
  };
}

/** A queue name setting: unset gives the default, empty turns the queue off. */
function queueName(env: NodeJS.ProcessEnv, name: string, fallback: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw === '') return undefined;
  if (raw.length > 255 || raw.startsWith('amq.')) throw new ConfigError(`${name} must be a queue name of up to 255 characters not starting with "amq.", not "${raw}"`);
  return raw;
}

function required(env: NodeJS.ProcessEnv, name: string, why: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} is required ${why}`);
  return value;
}

function ldapSettings(env: NodeJS.ProcessEnv): LdapSettings | undefined {
  const url = env.LDAP_URL || undefined;
  if (!url) return undefined;
  if (!/^ldaps?:\/\//.test(url)) throw new ConfigError('LDAP_URL must start with ldap:// or ldaps://');
  const why = 'with LDAP_URL (the service account that searches the directory)';
  return {
    url,
    bindDN: required(env, 'LDAP_BIND_DN', why),
    bindCredentials: required(env, 'LDAP_BIND_CREDENTIALS', why),
    searchBase: required(env, 'LDAP_SEARCH_BASE', 'with LDAP_URL (where users are searched)'),
    searchFilter: env.LDAP_SEARCH_FILTER || undefined,
    groupSearchBase: env.LDAP_GROUP_SEARCH_BASE || undefined,
    groupSearchFilter: env.LDAP_GROUP_SEARCH_FILTER || undefined,
    tlsCaFile: env.LDAP_TLS_CA_FILE || undefined,
    startTls: env.LDAP_STARTTLS === 'true',
    allowCleartextPasswords: env.LDAP_ALLOW_CLEARTEXT === 'true',
  };
}

function authConfig(env: NodeJS.ProcessEnv, publicUrl: string | undefined): AuthConfig | undefined {
  if (!AUTH_VARIABLES.some((name) => Boolean(env[name]))) return undefined;
  const kerberosService = env.KERBEROS_SERVICE || undefined;
  if (kerberosService && !env.KRB5_KTNAME) throw new ConfigError('KERBEROS_SERVICE needs KRB5_KTNAME, the service keytab');
  if (!env.JWT_SECRET && !env.JWT_KEYS_DIR) {
    throw new ConfigError('with authentication configured, JWT_SECRET (32 characters or more) or JWT_KEYS_DIR is needed to sign the bearer tokens of /auth/token');
  }
  return {
    ldap: ldapSettings(env),
    kerberosService,
    jwt: {
      secret: env.JWT_SECRET || undefined,
      previousSecrets: (env.JWT_PREVIOUS_SECRETS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
      keysDir: env.JWT_KEYS_DIR || undefined,
      issuer: env.JWT_ISSUER || publicUrl || 'passerelle',
      audience: env.JWT_AUDIENCE || 'passerelle',
      lifetimeSeconds: integer(env, 'TOKEN_LIFETIME_SECONDS', 900, 30, 86_400),
    },
    roleMapFile: env.AUTH_ROLE_MAP || undefined,
    failures: {
      perUser: integer(env, 'AUTH_FAILURES_PER_USER', 5, 1, 1000),
      perAddress: integer(env, 'AUTH_FAILURES_PER_ADDRESS', 20, 1, 100_000),
      windowSeconds: integer(env, 'AUTH_FAILURE_WINDOW_SECONDS', 900, 1, 86_400),
    },
    realm: env.AUTH_REALM || 'Passerelle',
  };
}

function igtlConfig(env: NodeJS.ProcessEnv): IgtlConfig {
  const roomMap = env.IGTL_ROOM_MAP ?? '';
  try {
    new RoomMap(roomMap);
  } catch (err) {
    if (err instanceof RoomMapError) throw new ConfigError(`IGTL_ROOM_MAP: ${err.message}`);
    throw err;
  }
  return {
    roomMap,
    persistIntervalMs: integer(env, 'IGTL_PERSIST_INTERVAL_MS', 1000, 0, 3_600_000),
    imageIntervalMs: integer(env, 'IGTL_IMAGE_INTERVAL_MS', 10_000, 0, 3_600_000),
    maxBodyBytes: integer(env, 'IGTL_MAX_BODY_BYTES', 64 * 1024 * 1024, 1024, 2 ** 31),
    idleTimeoutSeconds: integer(env, 'IGTL_IDLE_TIMEOUT_SECONDS', 300, 0, 86_400),
  };
}

function openehrSystemId(env: NodeJS.ProcessEnv): string {
  const raw = env.OPENEHR_SYSTEM_ID || 'passerelle';
  // It sits between "::" separators of version uids, and in URLs.
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(raw)) throw new ConfigError(`OPENEHR_SYSTEM_ID must be letters, digits, dots and dashes (a host name), not "${raw}"`);
  return raw;
}

function anonConfig(env: NodeJS.ProcessEnv): AnonConfig {
  const minShiftDays = integer(env, 'ANON_SHIFT_MIN_DAYS', 30, 1, 36_500);
  const maxShiftDays = integer(env, 'ANON_SHIFT_MAX_DAYS', 730, 1, 36_500);
  if (maxShiftDays < minShiftDays) throw new ConfigError(`ANON_SHIFT_MAX_DAYS (${maxShiftDays}) is below ANON_SHIFT_MIN_DAYS (${minShiftDays})`);
  return { secret: env.ANON_SECRET || undefined, minShiftDays, maxShiftDays, exportRetentionHours: integer(env, 'EXPORT_RETENTION_HOURS', 24, 1, 24 * 365) };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  const publicUrl = env.PUBLIC_URL?.replace(/\/$/, '') || undefined;
  const auth = authConfig(env, publicUrl);
  const config: Config = {
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', 8080, 0, 65535),
    mllpPort: integer(env, 'MLLP_PORT', 2575, 0, 65535),
    igtlPort: integer(env, 'IGTL_PORT', 18944, 0, 65535),
    igtl: igtlConfig(env),
    dataDir: resolve(env.DATA_DIR || './data'),
    databaseUrl,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 16, 1, 1000),
    logLevel: env.LOG_LEVEL || 'info',
    maxBodyBytes: integer(env, 'FHIR_MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 2 ** 31),
    publicUrl,
    shutdownGraceSeconds: integer(env, 'SHUTDOWN_GRACE_SECONDS', 10, 0, 3600),
    authConfigured: auth !== undefined,
    hl7: hl7Config(env),
    dicomweb: { maxRequestBytes: integer(env, 'DICOMWEB_MAX_REQUEST_BYTES', 4 * 1024 ** 3, 1024, Number.MAX_SAFE_INTEGER) },
    events: eventsConfig(env),
    anon: anonConfig(env),
    openehrSystemId: openehrSystemId(env),
    auth,
  };
  if (!config.authConfigured && !isLoopback(config.host)) {
    throw new ConfigError(`HOST=${config.host} is not a loopback address and no authentication is configured: refusing to serve patient data to the network. Configure LDAP or Kerberos, or bind to 127.0.0.1.`);
  }
  return config;
}
