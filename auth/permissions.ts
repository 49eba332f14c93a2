/**
 * What a set of roles may do, and the decisions the enforcement asks: FHIR resource types x
 * interactions (with named operations and per-type resource filters), DICOMweb actions, and a few
 * capabilities that are not FHIR interactions (admin endpoints, the audit trail, HL7 ingest, export).
 * Roles are combined by union: a request is allowed when any of the principal's roles allows it.
 * The vocabulary is checked when the role file is loaded (roles.ts), so a typo fails at start-up
 * rather than silently granting nothing.
 * @see https://hl7.org/fhir/R4/http.html (the RESTful interactions)
 * @see https://hl7.org/fhir/R4/security.html#AccessDenied
 */
import type { Resource } from '@medplum/fhirtypes';

/** FHIR RESTful interactions as permissions. `operation` alone grants every `$operation` on the type. */
export const FHIR_INTERACTIONS = ['read', 'vread', 'search', 'history', 'create', 'update', 'patch', 'delete', 'operation'] as const;
export type FhirInteraction = (typeof FHIR_INTERACTIONS)[number];

/** DICOMweb transactions: STOW-RS, QIDO-RS, WADO-RS, and study/series/instance deletion. */
export const DICOMWEB_ACTIONS = ['store', 'search', 'retrieve', 'delete'] as const;
export type DicomwebAction = (typeof DICOMWEB_ACTIONS)[number];

/**
 * Permissions that are not FHIR or DICOMweb interactions: `admin` (admin endpoints, including the
 * HL7 message log), `audit:read` (search and read AuditEvents), `hl7:ingest` (HL7 v2 over
 * MLLP/HTTP and the AMQP feed), and bulk export with or without identifying data.
 */
export const CAPABILITIES = ['admin', 'audit:read', 'hl7:ingest', 'export:identified', 'export:deidentified'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** AuditEvents are written by the server only, read with `audit:read`, never changed by anyone. */
const AUDIT_TYPE = 'AuditEvent';
const AUDIT_READS: ReadonlySet<FhirInteraction> = new Set(['read', 'vread', 'search', 'history']);
/** `$export` is governed by the export capabilities, whatever the FHIR grants say. */
const EXPORT_OPERATION = '$export';

/**
 * A restriction on the resources of one type a grant covers: a resource passes when it has every
 * property the filter names (`meta.profile` containing `profile`, a `code` coding with `code`).
 * The enforcement applies it to reads, to every resource a search or history returns (including
 * `_include`d ones) and may add {@link filterSearchParams} to searches so paging counts stay right.
 */
export interface ResourceFilter {
  type: string;
  /** Canonical URL that must be in `meta.profile` (a `|version` suffix on the resource is ignored). */
  profile?: string;
  /** A coding that must be in the resource's `code.coding`. */
  code?: { system: string; code: string };
}

/** One entry of a role's `fhir` section, validated: a type (or `*`), actions, an optional filter. */
export interface FhirGrant {
  /** A resource type, or `*` for every type. */
  type: string;
  /** Interactions and operation names (`$find-available-beds`). */
  actions: ReadonlySet<string>;
  filter?: ResourceFilter;
}

/** A role as loaded from the role file (see roles.ts for the JSON form). */
export interface RoleDefinition {
  name: string;
  description?: string;
  fhir: readonly FhirGrant[];
  dicomweb: ReadonlySet<DicomwebAction>;
  capabilities: ReadonlySet<Capability>;
}

/** `all` when some grant is unrestricted, else the filters of which a resource must pass one. */
type Scope = 'all' | ResourceFilter[];

/** The union of some roles' definitions, ready for decisions. Build it with {@link combine}. */
export interface Permissions {
  readonly roles: readonly string[];
  /** type (or `*`) -> action (interaction or `$operation`) -> scope. */
  readonly fhir: ReadonlyMap<string, ReadonlyMap<string, Scope>>;
  readonly dicomweb: ReadonlySet<DicomwebAction>;
  readonly capabilities: ReadonlySet<Capability>;
}

/** The outcome of a FHIR decision: denied, or allowed with the filters results must pass (none: all). */
export type FhirAccess = { allowed: false } | { allowed: true; filters: readonly ResourceFilter[] | undefined };

const DENIED: FhirAccess = { allowed: false };
const UNRESTRICTED: FhirAccess = { allowed: true, filters: undefined };

/** Combines role definitions (those of `roles` found in `definitions`; unknown names grant nothing). */
export function combine(roles: readonly string[], definitions: readonly RoleDefinition[]): Permissions {
  const fhir = new Map<string, Map<string, Scope>>();
  const dicomweb = new Set<DicomwebAction>();
  const capabilities = new Set<Capability>();
  for (const definition of definitions) {
    if (!roles.includes(definition.name)) continue;
    for (const grant of definition.fhir) {
      const byAction = fhir.get(grant.type) ?? new Map<string, Scope>();
      fhir.set(grant.type, byAction);
      for (const action of grant.actions) {
        const scope = byAction.get(action);
        if (!grant.filter) byAction.set(action, 'all');
        else if (scope === undefined) byAction.set(action, [grant.filter]);
        else if (scope !== 'all') scope.push(grant.filter);
      }
    }
    for (const action of definition.dicomweb) dicomweb.add(action);
    for (const capability of definition.capabilities) capabilities.add(capability);
  }
  return { roles: [...roles], fhir, dicomweb, capabilities };
}

/** Normalises an operation name to its `$name` form. */
export function operationName(name: string): string {
  return name.startsWith('$') ? name : `$${name}`;
}

/**
 * May these permissions perform `interaction` on `type` (undefined: at the system level, which
 * only a `*` grant covers)? For `operation`, pass the operation's name: a grant of `operation`
 * or of that name allows it. Allowed answers carry the filters the resources must pass.
 */
export function fhirAccess(perms: Permissions, type: string | undefined, interaction: FhirInteraction, operation?: string): FhirAccess {
  if (type === AUDIT_TYPE) {
    // Immutability of the audit trail is not a permission anyone can be given, admin included.
    return AUDIT_READS.has(interaction) && can(perms, 'audit:read') ? UNRESTRICTED : DENIED;
  }
  const op = interaction === 'operation' && operation ? operationName(operation) : undefined;
  if (op === EXPORT_OPERATION) return exportMode(perms) ? UNRESTRICTED : DENIED;
  const scopes: ResourceFilter[][] = [];
  for (const key of type === undefined ? ['*'] : [type, '*']) {
    const byAction = perms.fhir.get(key);
    if (!byAction) continue;
    for (const action of op ? [interaction, op] : [interaction]) {
      const scope = byAction.get(action);
      if (scope === 'all') return UNRESTRICTED;
      if (scope) scopes.push(scope);
    }
  }
  if (scopes.length === 0) return DENIED;
  // A filter for another type (from a `*` grant) cannot match, so keep only this type's.
  const filters = scopes.flat().filter((filter) => filter.type === type);
  return filters.length > 0 ? { allowed: true, filters } : DENIED;
}

/** True when {@link fhirAccess} allows the interaction (possibly only on filtered resources). */
export function canFhir(perms: Permissions, type: string | undefined, interaction: FhirInteraction, operation?: string): boolean {
  return fhirAccess(perms, type, interaction, operation).allowed;
}

/** The filters resources of `type` must pass for `interaction`: undefined when unrestricted, `[]` when denied. */
export function resourceFilters(perms: Permissions, type: string, interaction: FhirInteraction): readonly ResourceFilter[] | undefined {
  const access = fhirAccess(perms, type, interaction);
  return access.allowed ? access.filters : [];
}

/** True when a resource passes a filter. */
export function matchesFilter(resource: Resource, filter: ResourceFilter): boolean {
  if (resource.resourceType !== filter.type) return false;
  if (filter.profile !== undefined) {
    const profiles = (resource.meta?.profile ?? []).map((url) => url.split('|')[0]);
    if (!profiles.includes(filter.profile)) return false;
  }
  if (filter.code !== undefined) {
    const { system, code } = filter.code;
    const codings = (resource as { code?: { coding?: { system?: string; code?: string }[] } }).code?.coding ?? [];
    if (!codings.some((coding) => coding.system === system && coding.code === code)) return false;
  }
  return true;
}

/**
 * May these permissions see this resource as a result of `interaction` (read, search, history)?
 * For search results, `_include`d resources and history entries, checked one by one: the side
 * doors through which a filtered grant could otherwise leak other resources of its type.
 */
export function allowsResource(perms: Permissions, interaction: FhirInteraction, resource: Resource): boolean {
  const access = fhirAccess(perms, resource.resourceType, interaction);
  if (!access.allowed) return false;
  return access.filters === undefined || access.filters.some((filter) => matchesFilter(resource, filter));
}

/**
 * A filter as FHIR search parameters (`_profile`, `code`), to add to a search so that the server
 * pages through allowed resources only. Several filters of one type cannot be expressed as one
 * search (they are alternatives): the enforcement then filters the results instead.
 * @see https://hl7.org/fhir/R4/search.html#profile
 */
export function filterSearchParams(filter: ResourceFilter): [name: string, value: string][] {
  const params: [string, string][] = [];
  if (filter.profile !== undefined) params.push(['_profile', filter.profile]);
  if (filter.code !== undefined) params.push(['code', `${filter.code.system}|${filter.code.code}`]);
  return params;
}

/** May these permissions perform a DICOMweb transaction? */
export function canDicomweb(perms: Permissions, action: DicomwebAction): boolean {
  return perms.dicomweb.has(action);
}

/** Do these permissions include a capability? */
export function can(perms: Permissions, capability: Capability): boolean {
  return perms.capabilities.has(capability);
}

/** What an export may contain for these permissions: identified data wins over de-identified; undefined: no export. */
export function exportMode(perms: Permissions): 'identified' | 'deidentified' | undefined {
  if (can(perms, 'export:identified')) return 'identified';
  if (can(perms, 'export:deidentified')) return 'deidentified';
  return undefined;
}

/** No permissions at all: for anonymous requests. */
export const NO_PERMISSIONS: Permissions = combine([], []);
