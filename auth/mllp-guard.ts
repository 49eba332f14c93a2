/**
 * Access control and audit for HL7 v2 over MLLP, where there is no HTTP request to hang them on.
 * With client certificates required (MLLP_TLS_CA), a certificate's CN must name an enabled
 * service account whose roles allow `hl7:ingest`: the certificate is mapped to that account, and
 * a peer without one is not served (its connection closes without an ACK, so nothing it sent is
 * taken). Every message received becomes an AuditEvent, as HTTP accesses do.
 */
import type { Database, Repository } from '../fhir/index.ts';
import { auditEvent, type AccessOutcome, type AuditSource } from './audit-event.ts';
import { can } from './permissions.ts';
import type { Principal } from './principal.ts';
import { permissionsOf, type RoleMap } from './roles.ts';
import { getClient } from './service-accounts.ts';

/** A certificate's account is looked up again after this long (a disabled account stops within it). */
const CACHE_MS = 60_000;

export class MllpGuard {
  readonly #db: Database;
  readonly #roleMap: RoleMap;
  readonly #auditRepo: Repository;
  readonly #source: AuditSource;
  readonly #onError: (err: unknown) => void;
  readonly #accounts = new Map<string, { principal: Principal | undefined; until: number }>();

  constructor(options: { db: Database; roleMap: RoleMap; auditRepo: Repository; source: AuditSource; onError(err: unknown): void }) {
    this.#db = options.db;
    this.#roleMap = options.roleMap;
    this.#auditRepo = options.auditRepo;
    this.#source = options.source;
    this.#onError = options.onError;
  }

  /** The service account a verified client certificate stands for, if it may send HL7. */
  async accountOf(certificateCn: string): Promise<Principal | undefined> {
    const cached = this.#accounts.get(certificateCn);
    if (cached && cached.until > Date.now()) return cached.principal;
    const client = await getClient(this.#db, certificateCn);
    const allowed = client && !client.disabledAt && can(permissionsOf(client.roles, this.#roleMap), 'hl7:ingest');
    const principal: Principal | undefined = allowed
      ? { id: `client:${client.clientId}`, name: client.clientId, method: 'mtls', groups: [], roles: client.roles }
      : undefined;
    if (this.#accounts.size > 10_000) this.#accounts.clear();
    this.#accounts.set(certificateCn, { principal, until: Date.now() + CACHE_MS });
    return principal;
  }

  /** Records one message received over MLLP (never its content). */
  audit(principal: Principal | undefined, address: string, outcome: AccessOutcome, outcomeText?: string): void {
    const record = { principal, address, channel: 'hl7' as const, interaction: 'ingest', outcome, at: new Date(), ...(outcomeText ? { outcomeText } : {}) };
    this.#auditRepo.create(auditEvent(record, this.#source)).catch(this.#onError);
  }
}
