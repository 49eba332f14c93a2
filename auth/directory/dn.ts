/**
 * The little of RFC 4514 (string form of distinguished names,
 * https://www.rfc-editor.org/rfc/rfc4514#section-3) that group resolution needs: the value
 * of a DN's first RDN when its type is `cn`, so that `cn=Réanimation\, adultes,ou=groups,...`
 * also counts as the group name `Réanimation, adultes`.
 */

/** Unescapes an RFC 4514 attribute value: `\,` and the like, and `\XX` hex pairs (UTF-8 bytes). */
function unescapeValue(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\' && i + 1 < value.length) {
      const pair = value.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(value[i + 1] as string));
        i += 1;
      }
    } else {
      bytes.push(...Buffer.from(c));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The first RDN's value if its attribute type is `cn` (case-insensitive), else undefined. */
export function commonNameOf(dn: string): string | undefined {
  let end = 0;
  // The first RDN ends at the first unescaped ',' or '+' (a multi-valued RDN: we keep its first part).
  while (end < dn.length && dn[end] !== ',' && dn[end] !== '+') end += dn[end] === '\\' ? 2 : 1;
  const rdn = dn.slice(0, end);
  const equals = rdn.indexOf('=');
  if (equals < 0 || rdn.slice(0, equals).trim().toLowerCase() !== 'cn') return undefined;
  const value = unescapeValue(rdn.slice(equals + 1).trim());
  return value === '' ? undefined : value;
}
