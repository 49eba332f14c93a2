/**
 * The directory's answer about a person: their entry's DN, login name, display name and
 * groups. Groups are listed as DNs and as their common names, so that AUTH_ROLE_MAP may name
 * either (`cn=clinicians,ou=groups,dc=hopital,dc=test` or `clinicians`).
 */
import { commonNameOf } from './dn.ts';
import type { LdapEntry } from './ldap-session.ts';

export interface DirectoryUser {
  dn: string;
  /** The login name as the directory spells it (uid is case-insensitive: `Alice` logs in as `alice`). */
  username: string;
  displayName?: string;
  /** Group DNs, each followed by its cn, without duplicates. */
  groups: string[];
}

/** Attribute values by case-insensitive name, always as a list. */
function values(entry: LdapEntry, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const value = key === undefined ? undefined : entry[key];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Builds the user from their entry: groups from `memberOf` (filled by the memberof overlay
 * or Active Directory) and from a group search, when one is configured. `requestedName` is
 * the login name if the entry does not show its username attribute.
 */
export function directoryUser(entry: LdapEntry, usernameAttribute: string, requestedName: string): DirectoryUser {
  const groups: string[] = [];
  const seen = new Set<string>();
  const add = (name: string | undefined) => {
    if (name === undefined || seen.has(name.toLowerCase())) return;
    seen.add(name.toLowerCase());
    groups.push(name);
  };
  for (const dn of values(entry, 'memberOf')) {
    add(dn);
    add(commonNameOf(dn));
  }
  for (const group of entry._groups ?? []) {
    add(group.dn);
    add(values(group, 'cn')[0] ?? commonNameOf(group.dn));
  }
  const displayName = values(entry, 'displayName')[0] ?? values(entry, 'cn')[0];
  return {
    dn: entry.dn,
    username: values(entry, usernameAttribute)[0] ?? requestedName,
    ...(displayName === undefined ? {} : { displayName }),
    groups,
  };
}
