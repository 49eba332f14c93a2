/**
 * Who is making a request, once authenticated by any method: the identity every permission
 * check and every AuditEvent uses. Groups come from the directory (LDAP memberOf or a group
 * search), roles from AUTH_ROLE_MAP applied to those groups (or given to a service account).
 */
export type AuthMethod = 'ldap' | 'kerberos' | 'bearer' | 'client-credentials' | 'mtls' | 'loopback';

export interface Principal {
  /** Stable identifier: the LDAP entry's DN for staff, `client:<id>` for service accounts. */
  id: string;
  /** The login name as typed or as the ticket says (`alice`, `alice@HOSPITAL.FR`): for audit and logs. */
  name: string;
  method: AuthMethod;
  /** Directory groups, as DNs and/or common names. */
  groups: string[];
  /** Passerelle roles (clinician, samu-dispatch, research, feed, admin, ...). */
  roles: string[];
}
