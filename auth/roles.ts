/**
 * The role map: which directory groups hold which roles, and what each role may do. Loaded and
 * checked once at start-up from the shipped `default-roles.json` and, when AUTH_ROLE_MAP is set,
 * the site's file, which may only map groups to roles or also add and replace roles:
 *
 * ```json
 * {
 *   "groups": { "cn=urgentistes,ou=groups,dc=chu,dc=fr": ["clinician"], "samu-regulation": "samu-dispatch" },
 *   "roles": {
 *     "radiographer": {
 *       "description": "what it is for",
 *       "fhir": {
 *         "ImagingStudy": ["read", "search"],
 *         "@administrative": ["read"],
 *         "Observation": { "interactions": ["read", "search"], "only": { "profile": "<canonical>", "code": "<system>|<code>" } }
 *       },
 *       "dicomweb": ["search", "retrieve", "store"],
 *       "capabilities": []
 *     }
 *   },
 *   "typeSets": { "imaging": ["ImagingStudy", "Media"] }
 * }
 * ```
 *
 * The short form `{ "<group cn or DN>": "<role>" }` (values strings or arrays of roles) is the
 * `groups` section alone. A role or type set of the site's file replaces the shipped one of the
 * same name. `fhir` keys are resource types, `*` (every type) or `@<type set>`; values list
 * interactions (`read`, `vread`, `search`, `history`, `create`, `update`, `patch`, `delete`,
 * `operation`) and operation names (`$find-available-beds`), or an object with `interactions` and
 * `only`, a filter on the resources of that one type (what is read and what is written: see
 * auth/policy.ts). `dicomweb`: `store`, `search`, `retrieve`,
 * `delete`. `capabilities`: `admin`, `audit:read`, `hl7:ingest`, `export:identified`,
 * `export:deidentified`. Groups match the principal's groups by DN or by cn, ignoring case.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isKnownResourceType } from '../fhir/index.ts';
import {
  CAPABILITIES,
  combine,
  DICOMWEB_ACTIONS,
  FHIR_INTERACTIONS,
  type Capability,
  type DicomwebAction,
  type FhirGrant,
  type Permissions,
  type ResourceFilter,
  type RoleDefinition,
} from './permissions.ts';

const DEFAULT_ROLES_FILE = join(import.meta.dirname, 'default-roles.json');
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const OPERATION = /^\$[A-Za-z][A-Za-z0-9-]*$/;
const FULL_FORM_KEYS = new Set(['description', 'groups', 'roles', 'typeSets']);

/** A role map file that does not say what it should; the message names the file and the bad key. */
export class RoleMapError extends Error {}

/** A group entry: the key as written, whether it is a DN, and its normalised form for matching. */
export interface GroupMapping {
  group: string;
  isDn: boolean;
  normalised: string;
  roles: readonly string[];
}

export interface RoleMap {
  roles: ReadonlyMap<string, RoleDefinition>;
  groups: readonly GroupMapping[];
  typeSets: ReadonlyMap<string, readonly string[]>;
}

/**
 * Loads the shipped roles and, when `path` is given (AUTH_ROLE_MAP), the site's file on top.
 * Throws a {@link RoleMapError} naming the file and key at the first problem.
 */
export function loadRoleMap(path?: string): RoleMap {
  const defaults = parseRoleMap(readJson(DEFAULT_ROLES_FILE), DEFAULT_ROLES_FILE);
  return path === undefined ? defaults : parseRoleMap(readJson(path), path, defaults);
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RoleMapError(`${path}: cannot read the role map (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RoleMapError(`${path}: not JSON (${(err as Error).message})`);
  }
}

/** Parses a role map (either form) from parsed JSON; `base` (the shipped roles) is extended, not changed. */
export function parseRoleMap(json: unknown, source: string, base?: RoleMap): RoleMap {
  const fail = (path: string, problem: string): never => {
    throw new RoleMapError(`${source}: ${path ? `${path}: ` : ''}${problem}`);
  };
  const top = object(json, '', fail);
  const shortForm = Object.values(top).every((value) => typeof value === 'string' || Array.isArray(value));
  const sections: Record<string, unknown> = shortForm ? { groups: top } : top;
  if (!shortForm) {
    for (const key of Object.keys(top)) if (!FULL_FORM_KEYS.has(key)) fail(key, `unknown section (expected ${[...FULL_FORM_KEYS].join(', ')})`);
  }

  const typeSets = new Map(base?.typeSets);
  for (const [name, types] of Object.entries(object(sections.typeSets ?? {}, 'typeSets', fail))) {
    const path = `typeSets.${name}`;
    typeSets.set(name, strings(types, path, fail).map((type, i) => (isKnownResourceType(type) ? type : fail(`${path}[${i}]`, `"${type}" is not an R4 resource type`))));
  }

  const roles = new Map(base?.roles);
  for (const [name, definition] of Object.entries(object(sections.roles ?? {}, 'roles', fail))) {
    if (!ROLE_NAME.test(name)) fail(`roles.${name}`, 'a role name is letters, digits and . _ : -');
    roles.set(name, roleDefinition(name, definition, typeSets, fail));
  }

  const groups: GroupMapping[] = [...(base?.groups ?? [])];
  for (const [group, value] of Object.entries(object(sections.groups ?? {}, 'groups', fail))) {
    const path = shortForm ? group : `groups.${group}`;
    if (group.trim() === '') fail(path, 'empty group name');
    const names = typeof value === 'string' ? [value] : strings(value, path, fail);
    for (const role of names) if (!roles.has(role)) fail(path, `unknown role "${role}" (known: ${[...roles.keys()].join(', ')})`);
    const isDn = group.includes('=');
    groups.push({ group, isDn, normalised: isDn ? normaliseDn(group) : group.trim().toLowerCase(), roles: names });
  }
  return { roles, groups, typeSets };
}

type Fail = (path: string, problem: string) => never;

function object(value: unknown, path: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(path, 'expected a JSON object');
  return value as Record<string, unknown>;
}

function strings(value: unknown, path: string, fail: Fail): string[] {
  if (!Array.isArray(value)) return fail(path, 'expected an array of strings');
  return value.map((item, i) => (typeof item === 'string' ? item : fail(`${path}[${i}]`, 'expected a string')));
}

function oneOf<T extends string>(value: unknown, path: string, fail: Fail, allowed: readonly T[]): T[] {
  return strings(value, path, fail).map((item, i) => (allowed.includes(item as T) ? (item as T) : fail(`${path}[${i}]`, `"${item}" is not one of ${allowed.join(', ')}`)));
}

function roleDefinition(name: string, json: unknown, typeSets: ReadonlyMap<string, readonly string[]>, fail: Fail): RoleDefinition {
  const path = `roles.${name}`;
  const role = object(json, path, fail);
  for (const key of Object.keys(role)) if (!['description', 'fhir', 'dicomweb', 'capabilities'].includes(key)) fail(`${path}.${key}`, 'unknown key (expected description, fhir, dicomweb, capabilities)');
  if (role.description !== undefined && typeof role.description !== 'string') fail(`${path}.description`, 'expected a string');
  const fhir: FhirGrant[] = [];
  for (const [key, value] of Object.entries(object(role.fhir ?? {}, `${path}.fhir`, fail))) {
    fhir.push(...fhirGrants(key, value, `${path}.fhir.${key}`, typeSets, fail));
  }
  return {
    name,
    description: role.description as string | undefined,
    fhir,
    dicomweb: new Set<DicomwebAction>(oneOf(role.dicomweb ?? [], `${path}.dicomweb`, fail, DICOMWEB_ACTIONS)),
    capabilities: new Set<Capability>(oneOf(role.capabilities ?? [], `${path}.capabilities`, fail, CAPABILITIES)),
  };
}

function fhirGrants(key: string, value: unknown, path: string, typeSets: ReadonlyMap<string, readonly string[]>, fail: Fail): FhirGrant[] {
  let types: readonly string[];
  if (key === '*') types = ['*'];
  else if (key.startsWith('@')) types = typeSets.get(key.slice(1)) ?? fail(path, `unknown type set "${key.slice(1)}" (known: ${[...typeSets.keys()].join(', ')})`);
  else types = isKnownResourceType(key) ? [key] : fail(path, `"${key}" is not an R4 resource type, * or @<type set>`);

  const restricted = typeof value === 'object' && value !== null && !Array.isArray(value);
  const entry = restricted ? object(value, path, fail) : { interactions: value };
  if (restricted) for (const k of Object.keys(entry)) if (k !== 'interactions' && k !== 'only') fail(`${path}.${k}`, 'unknown key (expected interactions, only)');
  const actionsPath = restricted ? `${path}.interactions` : path;
  const actions = new Set(
    strings(entry.interactions, actionsPath, fail).map((action, i) =>
      (FHIR_INTERACTIONS as readonly string[]).includes(action) || OPERATION.test(action) ? action : fail(`${actionsPath}[${i}]`, `"${action}" is not an interaction (${FHIR_INTERACTIONS.join(', ')}) or a $operation`),
    ),
  );
  if (entry.only === undefined) return types.map((type) => ({ type, actions }));
  if (types.length !== 1 || key === '*' || key.startsWith('@')) return fail(`${path}.only`, 'a filter applies to one resource type, not to * or a type set');
  return [{ type: key, actions, filter: resourceFilter(key, entry.only, `${path}.only`, fail) }];
}

function resourceFilter(type: string, json: unknown, path: string, fail: Fail): ResourceFilter {
  const only = object(json, path, fail);
  const filter: ResourceFilter = { type };
  for (const [key, value] of Object.entries(only)) {
    if (typeof value !== 'string' || value === '') fail(`${path}.${key}`, 'expected a non-empty string');
    const text = value as string;
    if (key === 'profile') {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) fail(`${path}.profile`, 'expected a canonical URL');
      filter.profile = text;
    } else if (key === 'code') {
      const bar = text.indexOf('|');
      if (bar <= 0 || bar === text.length - 1) fail(`${path}.code`, 'expected <system>|<code>');
      filter.code = { system: text.slice(0, bar), code: text.slice(bar + 1) };
    } else fail(`${path}.${key}`, 'unknown filter (expected profile, code)');
  }
  if (filter.profile === undefined && filter.code === undefined) fail(path, 'a filter needs a profile or a code');
  return filter;
}

/**
 * A DN in a comparable form: RDNs split at unescaped commas, spaces around them and around `=`
 * removed, lower case (group DNs compare case-insensitively in practice: AD and OpenLDAP's cn).
 * @see https://www.rfc-editor.org/rfc/rfc4514
 */
export function normaliseDn(dn: string): string {
  return splitRdns(dn)
    .map((rdn) => {
      const eq = rdn.indexOf('=');
      return eq < 0 ? rdn.trim() : `${rdn.slice(0, eq).trim()}=${rdn.slice(eq + 1).trim()}`;
    })
    .join(',')
    .toLowerCase();
}

function splitRdns(dn: string): string[] {
  const rdns: string[] = [];
  let current = '';
  for (let i = 0; i < dn.length; i++) {
    const char = dn[i] as string;
    if (char === '\\' && i + 1 < dn.length) {
      current += char + dn[++i];
    } else if (char === ',') {
      rdns.push(current);
      current = '';
    } else current += char;
  }
  rdns.push(current);
  return rdns;
}

/** The value of a DN's first RDN when it is a `cn` (`cn=Cardio\, Nord,ou=groups` -> `cardio, nord`). */
function firstCn(normalisedDn: string): string | undefined {
  const first = splitRdns(normalisedDn)[0] ?? '';
  if (!first.startsWith('cn=')) return undefined;
  return first.slice(3).replace(/\\(.)/g, '$1');
}

/**
 * The roles a principal's directory groups give. A map key written as a DN matches that DN; one
 * written as a name matches a group given by that cn or a group DN whose first RDN is that cn.
 * Case is ignored. The result is sorted and without duplicates.
 */
export function rolesFor(groups: readonly string[], map: RoleMap): string[] {
  const roles = new Set<string>();
  for (const group of groups) {
    const isDn = group.includes('=');
    const normalised = isDn ? normaliseDn(group) : group.trim().toLowerCase();
    const cn = isDn ? firstCn(normalised) : normalised;
    for (const mapping of map.groups) {
      const matches = mapping.isDn ? isDn && mapping.normalised === normalised : mapping.normalised === cn || mapping.normalised === normalised;
      if (matches) for (const role of mapping.roles) roles.add(role);
    }
  }
  return [...roles].sort();
}

/** The permissions of some roles under a role map (names the map does not define grant nothing). */
export function permissionsOf(roles: readonly string[], map: RoleMap): Permissions {
  return combine(roles, [...map.roles.values()]);
}
