/**
 * POINT: fiducials and landmarks, 136 bytes each: name (64), group (32), RGBA, position (mm),
 * radius and the owner image's device name (20).
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/point.md
 */
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';
import { readFixedString, writeFixedString } from './fields.ts';
import { readFloats, writeFloats, type Vec3 } from './transform.ts';

export interface Point {
  name: string;
  group: string;
  rgba: [number, number, number, number];
  position: Vec3;
  radius: number;
  owner: string;
}

export interface PointContent {
  type: 'POINT';
  points: Point[];
}

const ELEMENT = 136;

export function encodePoint(content: PointContent): Buffer {
  const out = Buffer.alloc(content.points.length * ELEMENT);
  content.points.forEach((point, i) => {
    const at = i * ELEMENT;
    writeFixedString(out, at, 64, point.name, 'a point name');
    writeFixedString(out, at + 64, 32, point.group, 'a point group');
    point.rgba.forEach((c, k) => out.writeUInt8(c, at + 96 + k));
    writeFloats(out, at + 100, [...point.position, point.radius]);
    writeFixedString(out, at + 116, 20, point.owner, 'a point owner');
  });
  return out;
}

export function decodePoint(bytes: Buffer): PointContent {
  if (bytes.length % ELEMENT !== 0) throw new IgtlDecodeError(STATUS_CODE.configError, `a POINT body is a multiple of ${ELEMENT} bytes, not ${bytes.length}`);
  const points = Array.from({ length: bytes.length / ELEMENT }, (_, i): Point => {
    const at = i * ELEMENT;
    const [x, y, z, radius] = readFloats<[number, number, number, number]>(bytes, at + 100, 4);
    return {
      name: readFixedString(bytes, at, 64, `point ${i + 1}'s name`),
      group: readFixedString(bytes, at + 64, 32, `point ${i + 1}'s group`),
      rgba: [bytes[at + 96], bytes[at + 97], bytes[at + 98], bytes[at + 99]] as Point['rgba'],
      position: [x, y, z],
      radius,
      owner: readFixedString(bytes, at + 116, 20, `point ${i + 1}'s owner`),
    };
  });
  return { type: 'POINT', points };
}
