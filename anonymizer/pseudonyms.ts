/**
 * One pseudonym and one date shift per patient, the same in DICOM, FHIR and openEHR: each is a
 * keyed HMAC-SHA-256 of the patient's identity under the secret ANON_SECRET, so the same patient
 * always gets the same ones, another secret gives unrelated ones, and neither can be reversed
 * without the secret. UIDs are replaced the same way (`2.25.` + a keyed hash, PS3.5 B.2), so
 * references between instances stay consistent.
 *
 * A patient's identity is `system|value` of its main identifier (an HL7 assigning authority or a
 * DICOM IssuerOfPatientID mapped to a FHIR identifier system, as the bridges do), so the
 * EHR's, the PACS's and openEHR's records of one patient meet; see `patientIdentity`.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part15/sect_E.3.6.html
 */
import { createHmac } from 'node:crypto';

/** Where a pseudonym is an identifier: the FHIR identifier system and the openEHR PARTY_REF namespace of de-identified patients. */
export const PSEUDONYM_SYSTEM = 'https://passerelle.health/fhir/sid/pseudonym';

/** Secrets shorter than this are refused: a pseudonym is only as strong as its key. */
export const MIN_SECRET_LENGTH = 32;

export interface PseudonymOptions {
  /** The per-patient date shift is a whole number of days into the past, within [min, max]. */
  minShiftDays?: number;
  maxShiftDays?: number;
}

export class PseudonymSecretError extends Error {}

/** The identity a pseudonym is derived from: `system|value` of the patient's main identifier. */
export function patientIdentity(system: string | undefined, value: string): string {
  return `${system ?? ''}|${value}`;
}

export class Pseudonymizer {
  readonly #secret: Buffer;
  readonly #minShiftDays: number;
  readonly #maxShiftDays: number;

  constructor(secret: string | undefined, options: PseudonymOptions = {}) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) {
      throw new PseudonymSecretError(`ANON_SECRET must be set to a secret of at least ${MIN_SECRET_LENGTH} characters: pseudonyms and date shifts are derived from it`);
    }
    this.#secret = Buffer.from(secret, 'utf8');
    this.#minShiftDays = options.minShiftDays ?? 30;
    this.#maxShiftDays = options.maxShiftDays ?? 730;
    if (!Number.isInteger(this.#minShiftDays) || !Number.isInteger(this.#maxShiftDays) || this.#minShiftDays < 1 || this.#maxShiftDays < this.#minShiftDays) {
      throw new RangeError(`the date shift range must be whole days with 1 <= min <= max, not ${this.#minShiftDays}..${this.#maxShiftDays}`);
    }
  }

  /** The patient's pseudonym: 26 characters of base32 (130 bits), stable for a secret. */
  pseudonym(identity: string): string {
    return base32(this.#mac('pseudonym', identity)).slice(0, 26);
  }

  /** The patient's date shift in days (negative: dates move into the past), stable for a secret. */
  dateShiftDays(identity: string): number {
    const span = this.#maxShiftDays - this.#minShiftDays + 1;
    return -(this.#minShiftDays + (this.#mac('date-shift', identity).readUInt32BE(0) % span));
  }

  /** A replacement UID: `2.25.` and the decimal of 128 bits of a keyed hash of the original. */
  uid(original: string): string {
    const digest = this.#mac('uid', original.trim()).subarray(0, 16);
    return `2.25.${BigInt(`0x${digest.toString('hex')}`).toString(10)}`;
  }

  /** A keyed hash of any value (FHIR `cryptoHash`), as hex. */
  hash(value: string): string {
    return this.#mac('hash', value).toString('hex');
  }

  /** Domain-separated HMAC: the same input under two purposes gives unrelated outputs. */
  #mac(purpose: string, input: string): Buffer {
    return createHmac('sha256', this.#secret).update(purpose).update('\0').update(input, 'utf8').digest();
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
