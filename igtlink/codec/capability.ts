/**
 * CAPABILITY: the type names a device supports, 12 bytes each; and the bodiless queries
 * (GET_CAPABIL, GET_STATUS, STP_TDATA, STP_QTDATA...), which carry nothing but their type.
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/capability.md
 */
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';
import { readFixedString, writeFixedString } from './fields.ts';

export interface CapabilityContent {
  type: 'CAPABILITY';
  types: string[];
}

/** Messages whose body is empty: queries and stops. */
export const EMPTY_TYPES = ['GET_CAPABIL', 'GET_STATUS', 'GET_TRANSFOR', 'GET_POSITION', 'GET_IMAGE', 'GET_POINT', 'STP_TDATA', 'STP_QTDATA'] as const;

export interface EmptyContent {
  type: (typeof EMPTY_TYPES)[number];
}

export function encodeCapability(content: CapabilityContent): Buffer {
  const out = Buffer.alloc(content.types.length * 12);
  content.types.forEach((type, i) => writeFixedString(out, i * 12, 12, type, 'a capability type name'));
  return out;
}

export function decodeCapability(bytes: Buffer): CapabilityContent {
  if (bytes.length % 12 !== 0) throw new IgtlDecodeError(STATUS_CODE.configError, `a CAPABILITY body is a multiple of 12 bytes, not ${bytes.length}`);
  return { type: 'CAPABILITY', types: Array.from({ length: bytes.length / 12 }, (_, i) => readFixedString(bytes, i * 12, 12, 'a capability type name')) };
}

export function decodeEmpty(type: EmptyContent['type'], bytes: Buffer): EmptyContent {
  if (bytes.length !== 0) throw new IgtlDecodeError(STATUS_CODE.configError, `a ${type} body is empty, not ${bytes.length} bytes`);
  return { type };
}
