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
  };
  if (!config.authConfigured && !isLoopback(config.host)) {
    throw new ConfigError(`HOST=${config.host} is not a loopback address and no authentication is configured: refusing to serve patient data to the network. Configure LDAP or Kerberos, or bind to 127.0.0.1.`);
  }
  return config;
}
