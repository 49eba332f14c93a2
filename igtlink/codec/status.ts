/**
 * STATUS: a device's state or the answer to a command: code (uint16, 1 OK, 2 to 19 errors),
 * subcode (int64, device-specific), error name (20 bytes) and a NUL-terminated message.
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/status.md
 */
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';
import { readFixedString, writeFixedString } from './fields.ts';

export interface StatusContent {
  type: 'STATUS';
  code: number;
  subcode: bigint;
  errorName: string;
  message: string;
}

/** The codes of the protocol, for people reading a device's record. */
export const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'invalid', 1: 'ok', 2: 'unknown error', 3: 'panic mode', 4: 'not found', 5: 'access denied', 6: 'busy', 7: 'time out',
  8: 'overflow', 9: 'checksum error', 10: 'configuration error', 11: 'resource error', 12: 'unknown instruction', 13: 'not ready',
  14: 'manual mode', 15: 'disabled', 16: 'not present', 17: 'unknown version', 18: 'hardware failure', 19: 'shut down',
};

const FIXED = 30;

export function encodeStatus(content: StatusContent): Buffer {
  const message = Buffer.from(content.message, 'utf8');
  const out = Buffer.alloc(FIXED + message.length + 1);
  out.writeUInt16BE(content.code, 0);
  out.writeBigInt64BE(content.subcode, 2);
  writeFixedString(out, 10, 20, content.errorName, 'the error name');
  message.copy(out, FIXED);
  return out;
}

export function decodeStatus(bytes: Buffer): StatusContent {
  if (bytes.length < FIXED) throw new IgtlDecodeError(STATUS_CODE.configError, `a STATUS body is at least ${FIXED} bytes, not ${bytes.length}`);
  const text = bytes.subarray(FIXED);
  const end = text.indexOf(0);
  return {
    type: 'STATUS',
    code: bytes.readUInt16BE(0),
    subcode: bytes.readBigInt64BE(2),
    errorName: readFixedString(bytes, 10, 20, 'the error name'),
    // The message is free text; a missing terminator (some senders omit it) ends at the body's end.
    message: text.toString('utf8', 0, end === -1 ? text.length : end),
  };
}
