/**
 * The 58-byte header every OpenIGTLink message starts with (big-endian): header version (1 for
 * protocol versions 1 and 2, 2 for version 3 and its extended header), type name (12), device
 * name (20), timestamp (32.32 fixed-point seconds since 1970), body size and the body's CRC-64.
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/header.md
 */
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';
import { readFixedString, writeFixedString } from './fields.ts';

export const HEADER_SIZE = 58;
const TYPE_LENGTH = 12;
const DEVICE_LENGTH = 20;

/** Seconds and 1/2^32 fractions of a second, as the device's clock wrote them. */
export interface IgtlTimestamp {
  seconds: number;
  fraction: number;
}

export interface IgtlHeader {
  /** 1: protocol version 1 or 2; 2: version 3 (extended header and metadata in the body). */
  headerVersion: 1 | 2;
  type: string;
  deviceName: string;
  timestamp: IgtlTimestamp;
  bodySize: number;
  crc: bigint;
}

/** The largest body Passerelle accepts by default: a 512x512x64 16-bit volume with room to spare. */
export const DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024;

export function encodeHeader(header: IgtlHeader): Buffer {
  const out = Buffer.alloc(HEADER_SIZE);
  out.writeUInt16BE(header.headerVersion, 0);
  writeFixedString(out, 2, TYPE_LENGTH, header.type, 'the type name');
  writeFixedString(out, 14, DEVICE_LENGTH, header.deviceName, 'the device name');
  out.writeUInt32BE(header.timestamp.seconds >>> 0, 34);
  out.writeUInt32BE(header.timestamp.fraction >>> 0, 38);
  out.writeBigUInt64BE(BigInt(header.bodySize), 42);
  out.writeBigUInt64BE(header.crc, 50);
  return out;
}

/**
 * Reads a header and checks what can be checked before the body arrives: a known version, a
 * type name, and a body size below `maxBodySize` (so an impossible size is refused before any
 * memory is set aside for it).
 */
export function decodeHeader(bytes: Buffer, maxBodySize = DEFAULT_MAX_BODY_SIZE): IgtlHeader {
  if (bytes.length < HEADER_SIZE) throw new IgtlDecodeError(STATUS_CODE.unknownError, `a header is ${HEADER_SIZE} bytes, not ${bytes.length}`);
  const headerVersion = bytes.readUInt16BE(0);
  if (headerVersion !== 1 && headerVersion !== 2) throw new IgtlDecodeError(STATUS_CODE.unknownVersion, `header version ${headerVersion} is not 1 or 2 (protocol versions 1 to 3)`);
  const type = readFixedString(bytes, 2, TYPE_LENGTH, 'the type name');
  if (type === '') throw new IgtlDecodeError(STATUS_CODE.unknownInstruction, 'the type name is empty');
  const size = bytes.readBigUInt64BE(42);
  if (size > BigInt(maxBodySize)) throw new IgtlDecodeError(STATUS_CODE.resourceError, `a body of ${size} bytes is more than the ${maxBodySize} accepted`);
  return {
    headerVersion,
    type,
    deviceName: readFixedString(bytes, 14, DEVICE_LENGTH, 'the device name'),
    timestamp: { seconds: bytes.readUInt32BE(34), fraction: bytes.readUInt32BE(38) },
    bodySize: Number(size),
    crc: bytes.readBigUInt64BE(50),
  };
}

/** A timestamp as milliseconds since 1970 (the fraction rounded to the nearest microsecond's worth). */
export function timestampToMillis(timestamp: IgtlTimestamp): number {
  return timestamp.seconds * 1000 + (timestamp.fraction / 2 ** 32) * 1000;
}

export function timestampFromMillis(millis: number): IgtlTimestamp {
  const seconds = Math.floor(millis / 1000);
  return { seconds, fraction: Math.min(2 ** 32 - 1, Math.round(((millis - seconds * 1000) / 1000) * 2 ** 32)) };
}
