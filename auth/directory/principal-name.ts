/**
 * From a Kerberos principal to the directory's login name: `alice@HOPITAL.TEST` -> `alice`.
 * Principal syntax: RFC 1964 section 2.1.1 (https://www.rfc-editor.org/rfc/rfc1964#section-2.1.1).
 */

export interface PrincipalMappingOptions {
  /**
   * Realms whose users are directory users. Unset: any realm (a single-realm deployment).
   * Set it wherever cross-realm trust exists, or `bob@OTHER.REALM` would be taken for `bob`.
   * Realm names are case-sensitive.
   */
  realms?: string[];
}

/**
 * The login name for a user principal, or undefined when it is not one: principals with an
 * instance (`alice/admin@REALM`, `HTTP/host@REALM`) are not people, and other realms are
 * refused when `realms` is given. A bare name without a realm is returned unchanged.
 */
export function usernameFromPrincipal(principal: string, options: PrincipalMappingOptions = {}): string | undefined {
  const at = principal.lastIndexOf('@');
  const name = at < 0 ? principal : principal.slice(0, at);
  const realm = at < 0 ? undefined : principal.slice(at + 1);
  if (name === '' || name.includes('/') || name.includes('\\')) return undefined;
  if (realm !== undefined && options.realms !== undefined && !options.realms.includes(realm)) return undefined;
  return name;
}
