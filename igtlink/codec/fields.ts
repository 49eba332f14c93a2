/**
 * The fixed-length character fields of OpenIGTLink (type and device names, tool names...):
 * ASCII, NUL-padded, not necessarily NUL-terminated when full.
 */
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';

/** Writes `value` into `length` bytes at `offset`, NUL-padded; refuses what does not fit or is not ASCII. */
export function writeFixedString(target: Buffer, offset: number, length: number, value: string, what: string): void {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new RangeError(`${what} must be printable ASCII`);
  if (value.length > length) throw new RangeError(`${what} is longer than ${length} characters`);
  target.fill(0, offset, offset + length);
  target.write(value, offset, 'latin1');
}

/** Reads a NUL-padded field; bytes outside printable ASCII are refused, as a peer that sends them is not speaking the protocol. */
export function readFixedString(source: Buffer, offset: number, length: number, what: string): string {
  const field = source.subarray(offset, offset + length);
  const end = field.indexOf(0);
  const text = field.toString('latin1', 0, end === -1 ? length : end);
  if (!/^[\x20-\x7e]*$/.test(text)) throw new IgtlDecodeError(STATUS_CODE.configError, `${what} holds characters that are not printable ASCII`);
  return text;
}
