/**
 * DICOM unique identifiers (PS3.5 9.1): at most 64 characters, digits in dot-separated
 * components without leading zeros. Only such strings become URL segments, file names or ids.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_9.1
 */
import { badRequest } from './errors.ts';

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

export function isUid(value: string): boolean {
  return value.length > 0 && value.length <= 64 && UID.test(value);
}

/** The value when it is a UID, else a 400 naming what was expected. */
export function requireUid(value: string | undefined, what: string): string {
  if (value === undefined || !isUid(value)) throw badRequest(`${what} must be a DICOM UID (digits and dots, at most 64 characters), not "${String(value).slice(0, 80)}"`);
  return value;
}
