/**
 * Lookup tables as DICOM encodes them: a descriptor (number of entries, first stored value
 * mapped, bits per entry) and data, for the Modality LUT, VOI LUT and Palette Color LUTs.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.11.1.1
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3.1.5
 */
import { binary, type DicomDict, numbers } from './dataset.ts';
import { swapBytes } from './transfer-syntax.ts';

export interface LookupTable {
  firstMapped: number;
  /** Bits per entry as the descriptor says (8 or 16, sometimes 10..15). */
  bits: number;
  entries: Uint16Array;
}

/**
 * Reads a LUT from its descriptor and data elements; undefined when either is missing or the
 * data is too short. A descriptor entry count of 0 means 65536; a first mapped value stored as US
 * above 32767 is read as signed when `signedInput` (PS3.3 C.11.1.1.1). 8-bit entries may come one
 * per byte or one per 16-bit word (both are found in the wild).
 */
export function readLut(dict: DicomDict, descriptorTag: string, dataTag: string, signedInput: boolean, bigEndian = false): LookupTable | undefined {
  const descriptor = numbers(dict, descriptorTag);
  if (descriptor.length < 3) return undefined;
  const count = descriptor[0] === 0 ? 65536 : descriptor[0]!;
  let firstMapped = descriptor[1]!;
  if (signedInput && firstMapped > 32767) firstMapped -= 65536;
  const bits = descriptor[2]!;
  if (typeof dict[dataTag]?.Value?.[0] === 'number') {
    // LUT Data with VR US arrives parsed, one number per entry.
    const values = numbers(dict, dataTag);
    if (values.length < count) return undefined;
    return { firstMapped, bits, entries: Uint16Array.from(values.slice(0, count)) };
  }
  const stored = binary(dict, dataTag);
  if (stored === undefined) return undefined;
  const data = bigEndian && dict[dataTag]?.vr === 'OW' ? swapBytes(stored, 2) : stored;
  const entries = new Uint16Array(count);
  if (data.length >= count * 2) {
    for (let i = 0; i < count; i++) entries[i] = data.readUInt16LE(i * 2);
    // 8-bit entries stored one per word sometimes sit in the high byte.
    if (bits === 8 && entries.every((entry) => (entry & 0xff) === 0) && entries.some((entry) => entry !== 0)) {
      for (let i = 0; i < count; i++) entries[i] = entries[i]! >> 8;
    }
  } else if (bits <= 8 && data.length >= count) {
    for (let i = 0; i < count; i++) entries[i] = data[i]!;
  } else {
    return undefined;
  }
  return { firstMapped, bits, entries };
}

/** Looks a stored value up: values below the first mapped one take the first entry, above the range the last. */
export function lookup(lut: LookupTable, value: number): number {
  const index = Math.min(Math.max(Math.round(value) - lut.firstMapped, 0), lut.entries.length - 1);
  return lut.entries[index]!;
}
