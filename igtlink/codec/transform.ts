/**
 * TRANSFORM (48 bytes) and POSITION (28 bytes; 24 or 12 when the quaternion is sent as three
 * components or left out): a tool's pose, big-endian float32, millimetres.
 * The matrix is written column by column: R11 R21 R31 R12 R22 R32 R13 R23 R33 TX TY TZ.
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/transform.md
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/position.md
 */
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';

export type Vec3 = [number, number, number];
/** (ox, oy, oz, w) as on the wire. */
export type Quaternion = [number, number, number, number];
/** 12 numbers in wire order: the rotation's columns, then the translation. */
export type Matrix34 = [number, number, number, number, number, number, number, number, number, number, number, number];

export interface TransformContent {
  type: 'TRANSFORM';
  matrix: Matrix34;
}

export interface PositionContent {
  type: 'POSITION';
  position: Vec3;
  quaternion: Quaternion;
}

export function writeFloats(target: Buffer, offset: number, values: readonly number[]): void {
  values.forEach((value, i) => target.writeFloatBE(value, offset + i * 4));
}

export function readFloats<T extends number[]>(source: Buffer, offset: number, count: number): T {
  return Array.from({ length: count }, (_, i) => source.readFloatBE(offset + i * 4)) as T;
}

export function encodeTransform(content: TransformContent): Buffer {
  const out = Buffer.alloc(48);
  writeFloats(out, 0, content.matrix);
  return out;
}

export function decodeTransform(bytes: Buffer): TransformContent {
  if (bytes.length !== 48) throw new IgtlDecodeError(STATUS_CODE.configError, `a TRANSFORM body is 48 bytes, not ${bytes.length}`);
  return { type: 'TRANSFORM', matrix: readFloats<Matrix34>(bytes, 0, 12) };
}

export function encodePosition(content: PositionContent): Buffer {
  const out = Buffer.alloc(28);
  writeFloats(out, 0, [...content.position, ...content.quaternion]);
  return out;
}

export function decodePosition(bytes: Buffer): PositionContent {
  const position = (n: number): Vec3 => readFloats<Vec3>(bytes, 0, 3).slice(0, n) as Vec3;
  switch (bytes.length) {
    case 28:
      return { type: 'POSITION', position: position(3), quaternion: readFloats<Quaternion>(bytes, 12, 4) };
    case 24: {
      // Three components: w is the positive root that makes the quaternion a unit one.
      const [x, y, z] = readFloats<Vec3>(bytes, 12, 3);
      return { type: 'POSITION', position: position(3), quaternion: [x, y, z, Math.sqrt(Math.max(0, 1 - x * x - y * y - z * z))] };
    }
    case 12:
      return { type: 'POSITION', position: position(3), quaternion: [0, 0, 0, 1] };
    default:
      throw new IgtlDecodeError(STATUS_CODE.configError, `a POSITION body is 28, 24 or 12 bytes, not ${bytes.length}`);
  }
}
