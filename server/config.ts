/**
 * Configuration, read once from the environment and passed to whoever needs it.
 * See the README's settings table.
 */
import { resolve } from 'node:path';

export interface Config {
  host: string;
  port: number;
  mllpPort: number;
  igtlPort: number;
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
}

/** The DICOMweb server's settings. */
export interface DicomwebConfig {
  /** Largest STOW-RS request, in bytes (413 beyond); requests stream, so this bounds disk use, not memory. */
  maxRequestBytes: number;
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
}

export class ConfigError extends Error {}

const AUTH_VARIABLES = ['LDAP_URL', 'KRB5_KTNAME', 'KERBEROS_SERVICE', 'JWT_SECRET'];

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
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  const config: Config = {
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', 8080, 0, 65535),
    mllpPort: integer(env, 'MLLP_PORT', 2575, 0, 65535),
    igtlPort: integer(env, 'IGTL_PORT', 18944, 0, 65535),
    dataDir: resolve(env.DATA_DIR || './data'),
    databaseUrl,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 16, 1, 1000),
    logLevel: env.LOG_LEVEL || 'info',
    maxBodyBytes: integer(env, 'FHIR_MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 2 ** 31),
    publicUrl: env.PUBLIC_URL?.replace(/\/$/, '') || undefined,
    shutdownGraceSeconds: integer(env, 'SHUTDOWN_GRACE_SECONDS', 10, 0, 3600),
    authConfigured: AUTH_VARIABLES.some((name) => Boolean(env[name])),
    hl7: hl7Config(env),
    dicomweb: { maxRequestBytes: integer(env, 'DICOMWEB_MAX_REQUEST_BYTES', 4 * 1024 ** 3, 1024, Number.MAX_SAFE_INTEGER) },
  };
  if (!config.authConfigured && !isLoopback(config.host)) {
    throw new ConfigError(`HOST=${config.host} is not a loopback address and no authentication is configured: refusing to serve patient data to the network. Configure LDAP or Kerberos, or bind to 127.0.0.1.`);
  }
  return config;
}
