/**
 * IMAGE: a 2D or 3D image (or a subvolume of one) with its geometry: a 72-byte image header
 * (version 1, components, scalar type, endianness of the pixels, RAS or LPS, the volume's size,
 * the 3x4 matrix of spacing-scaled axes and centre, the subvolume's offset and size), then the
 * subvolume's pixels, which are kept as bytes in the sender's endianness.
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/image.md
 */
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';
import { readFloats, writeFloats, type Matrix34, type Vec3 } from './transform.ts';

/** Scalar types and their size in bytes: 2 int8, 3 uint8, 4 int16, 5 uint16, 6 int32, 7 uint32, 10 float32, 11 float64. */
export const SCALAR_BYTES: Readonly<Record<number, number>> = { 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 4, 10: 4, 11: 8 };

export interface ImageContent {
  type: 'IMAGE';
  components: number;
  scalarType: number;
  endian: 'big' | 'little';
  coordinate: 'RAS' | 'LPS';
  size: Vec3;
  /** (tx ty tz sx sy sz nx ny nz px py pz): the i, j, k axes scaled by the spacing, then the centre, in mm. */
  matrix: Matrix34;
  subvolumeOffset: Vec3;
  subvolumeSize: Vec3;
  pixels: Buffer;
}

const HEADER = 72;

/** The bytes the pixels of a subvolume take. */
export function pixelBytes(image: Pick<ImageContent, 'components' | 'scalarType' | 'subvolumeSize'>): number {
  const scalar = SCALAR_BYTES[image.scalarType];
  if (scalar === undefined) throw new RangeError(`scalar type ${image.scalarType} is not one of the protocol`);
  return image.subvolumeSize[0] * image.subvolumeSize[1] * image.subvolumeSize[2] * image.components * scalar;
}

/** The spacing of each axis: the length of its column in the matrix. */
export function spacingOf(image: Pick<ImageContent, 'matrix'>): Vec3 {
  const m = image.matrix;
  return [Math.hypot(m[0], m[1], m[2]), Math.hypot(m[3], m[4], m[5]), Math.hypot(m[6], m[7], m[8])];
}

export function encodeImage(image: ImageContent): Buffer {
  if (image.pixels.length !== pixelBytes(image)) throw new RangeError(`the pixels are ${image.pixels.length} bytes, the subvolume needs ${pixelBytes(image)}`);
  const out = Buffer.alloc(HEADER + image.pixels.length);
  out.writeUInt16BE(1, 0);
  out.writeUInt8(image.components, 2);
  out.writeUInt8(image.scalarType, 3);
  out.writeUInt8(image.endian === 'big' ? 1 : 2, 4);
  out.writeUInt8(image.coordinate === 'RAS' ? 1 : 2, 5);
  image.size.forEach((n, i) => out.writeUInt16BE(n, 6 + i * 2));
  writeFloats(out, 12, image.matrix);
  image.subvolumeOffset.forEach((n, i) => out.writeUInt16BE(n, 60 + i * 2));
  image.subvolumeSize.forEach((n, i) => out.writeUInt16BE(n, 66 + i * 2));
  image.pixels.copy(out, HEADER);
  return out;
}

export function decodeImage(bytes: Buffer): ImageContent {
  const fail = (text: string): never => {
    throw new IgtlDecodeError(STATUS_CODE.configError, `IMAGE: ${text}`);
  };
  if (bytes.length < HEADER) fail(`the body is at least ${HEADER} bytes, not ${bytes.length}`);
  if (bytes.readUInt16BE(0) !== 1) fail(`image header version ${bytes.readUInt16BE(0)} is not 1`);
  const endian = bytes.readUInt8(4);
  const coordinate = bytes.readUInt8(5);
  if (endian !== 1 && endian !== 2) fail(`endian ${endian} is not 1 (big) or 2 (little)`);
  if (coordinate !== 1 && coordinate !== 2) fail(`coordinate system ${coordinate} is not 1 (RAS) or 2 (LPS)`);
  const vec = (at: number): Vec3 => [bytes.readUInt16BE(at), bytes.readUInt16BE(at + 2), bytes.readUInt16BE(at + 4)];
  const image: Omit<ImageContent, 'pixels'> = {
    type: 'IMAGE',
    components: bytes.readUInt8(2),
    scalarType: bytes.readUInt8(3),
    endian: endian === 1 ? 'big' : 'little',
    coordinate: coordinate === 1 ? 'RAS' : 'LPS',
    size: vec(6),
    matrix: readFloats<Matrix34>(bytes, 12, 12),
    subvolumeOffset: vec(60),
    subvolumeSize: vec(66),
  };
  if (image.components < 1) fail('an image has at least one component');
  if (SCALAR_BYTES[image.scalarType] === undefined) fail(`scalar type ${image.scalarType} is not one of the protocol`);
  for (let axis = 0; axis < 3; axis++) {
    if ((image.subvolumeOffset[axis] as number) + (image.subvolumeSize[axis] as number) > (image.size[axis] as number)) fail('the subvolume lies outside the image');
  }
  const expected = pixelBytes(image);
  if (bytes.length - HEADER !== expected) fail(`the pixels are ${bytes.length - HEADER} bytes, the subvolume needs ${expected}`);
  return { ...image, pixels: bytes.subarray(HEADER) };
}
