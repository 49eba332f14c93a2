/**
 * LDAP search filters built from templates such as `(uid={{username}})`, with every
 * substituted value escaped as RFC 4515 section 3 requires
 * (https://www.rfc-editor.org/rfc/rfc4515#section-3).
 *
 * We substitute values ourselves rather than let ldapauth-fork do it: its substitution
 * escapes `*` before `\` (so `*` becomes `\5c2a`, a literal backslash sequence) and passes
 * the value to `String.replace` as a replacement string, where `` $` `` and `$'` expand to
 * the text around the placeholder. A username such as `` alice$'$` `` then yields an
 * unbalanced filter that ldapjs throws on inside a socket callback, which crashes the process.
 */
import ldapjs from 'ldapjs';

/**
 * Characters that must be escaped in an assertion value (RFC 4515: `*`, `(`, `)`, `\`, NUL),
 * plus the other ASCII control characters (harmless to LDAP, but they make logs lie) and
 * `{`/`}`, so that no substituted value can ever contain a `{{placeholder}}` of its own.
 */
const ESCAPED = /[\u0000-\u001f\u007f*()\\{}]/g;

/** Escapes one assertion value (RFC 4515 section 3): each special character becomes `\XX`. */
export function escapeFilterValue(value: string): string {
  return value.replace(ESCAPED, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Replaces each `{{name}}` in `template` by the escaped value. A function replacer, so that
 * `$` in a value is never read as a replacement pattern.
 */
export function fillFilter(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (placeholder, name: string) => {
    const value = values[name];
    return value === undefined ? placeholder : escapeFilterValue(value);
  });
}

/**
 * Checks a configured template once, at start-up: it must use `placeholder` and parse as a
 * filter once filled in. ldapjs throws on a bad filter from inside its socket callbacks,
 * where nothing can catch it, so a bad template must never reach a search.
 */
export function checkFilterTemplate(setting: string, template: string, placeholder: string): void {
  if (!template.includes(`{{${placeholder}}}`)) {
    throw new Error(`${setting} must contain {{${placeholder}}}: ${template}`);
  }
  try {
    ldapjs.parseFilter(fillFilter(template, { username: 'x', dn: 'cn=x' }));
  } catch (error) {
    throw new Error(`${setting} is not a valid LDAP filter (RFC 4515): ${template}`, { cause: error });
  }
}
