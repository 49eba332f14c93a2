/**
 * Ids from natural keys, so that a message sent again updates what the first one wrote instead of
 * writing a duplicate: a Patient from its identifier (system and value), an Encounter from its
 * visit number, an Observation from its order and observation identifiers. Keys are hashed: they
 * hold identifiers that do not belong in URLs, and any length or character fits a FHIR id.
 */
import { createHash } from 'node:crypto';

/** `<prefix>-` and 32 hex digits of SHA-256 over the key's parts. */
export function naturalId(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, 32)}`;
}

const READABLE = /^[A-Za-z0-9.-]+$/;

/**
 * A readable id built from location codes (`bed-<FINESS>-<ward>-<bed>`, as `seed --demo` names
 * them) when every part is made of id characters and the whole fits in 64; hashed otherwise.
 */
export function locationIdFor(prefix: string, ...parts: string[]): string {
  const readable = [prefix, ...parts].join('-');
  if (parts.every((p) => READABLE.test(p)) && readable.length <= 64) return readable;
  return naturalId(prefix, ...parts);
}
