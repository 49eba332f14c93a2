/**
 * Wiring of authentication, authorisation and the audit trail from the configuration: the LDAP
 * directory, Kerberos, the token keys, the role map and the login rate limiter, checked at
 * start-up so that a wrong setting stops the server with a reason rather than at the first login.
 */
import type { StructureDefinition } from '@medplum/fhirtypes';
import { ProfileRegistry, Repository, type Database } from '../fhir/index.ts';
import { Authenticator } from '../auth/authenticate.ts';
import { LdapDirectory } from '../auth/ldap.ts';
import { loadKeyRing, KeyConfigError } from '../auth/keys.ts';
import { loadRoleMap, RoleMapError, type RoleMap } from '../auth/roles.ts';
import { LoginRateLimiter } from '../auth/rate-limit.ts';
import { TokenService } from '../auth/tokens.ts';
import type { AuditSource } from '../auth/audit-event.ts';
import { ConfigError, type AuthConfig } from './config.ts';

/** What the HTTP app needs to authenticate, authorise and audit. */
export interface AuthWiring {
  authenticator: Authenticator;
  tokens: TokenService;
  roleMap: RoleMap;
  /** The repository AuditEvents are written through: the server's own, with no access policy. */
  auditRepo: Repository;
  auditSource: AuditSource;
  close(): Promise<void>;
}

export function createAuth(db: Database, config: AuthConfig, deps: { profiles: StructureDefinition[]; publicUrl?: string }): AuthWiring {
  let roleMap: RoleMap;
  let tokens: TokenService;
  try {
    roleMap = loadRoleMap(config.roleMapFile);
    const keys = loadKeyRing({ secret: config.jwt.secret, previousSecrets: config.jwt.previousSecrets, keysDir: config.jwt.keysDir });
    tokens = new TokenService({ keys, issuer: config.jwt.issuer, audience: config.jwt.audience, lifetimeSeconds: config.jwt.lifetimeSeconds });
  } catch (err) {
    if (err instanceof RoleMapError || err instanceof KeyConfigError) throw new ConfigError(err.message);
    throw err;
  }
  let ldap: LdapDirectory | undefined;
  try {
    ldap = config.ldap && new LdapDirectory(config.ldap);
  } catch (err) {
    throw new ConfigError(`LDAP settings: ${err instanceof Error ? err.message : String(err)}`);
  }
  const windowSeconds = config.failures.windowSeconds;
  const limiter = new LoginRateLimiter({
    perUser: { limit: config.failures.perUser, windowSeconds },
    perAddress: { limit: config.failures.perAddress, windowSeconds },
  });
  const authenticator = new Authenticator({
    db, tokens, roleMap, limiter, realm: config.realm,
    ...(ldap ? { ldap } : {}),
    ...(config.kerberosService ? { kerberosService: config.kerberosService } : {}),
  });
  return {
    authenticator,
    tokens,
    roleMap,
    auditRepo: new Repository(db, new ProfileRegistry(deps.profiles)),
    auditSource: { name: 'Passerelle', ...(deps.publicUrl ? { url: deps.publicUrl } : {}) },
    close: async () => ldap?.close(),
  };
}
