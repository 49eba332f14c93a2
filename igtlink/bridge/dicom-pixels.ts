/**
 * The pixels of an OpenIGTLink IMAGE as DICOM stores them (PS3.5 8, PS3.3 C.7.6.3): little
 * endian, unsigned 8 or 16 bits, one sample (MONOCHROME2) or three (RGB, interleaved as the
 * protocol sends them). Signed and wider scalars are mapped linearly onto unsigned 16 bits with a
 * Rescale Slope and Intercept that give the original values back (exactly for 8 and 16 bits, to
 * 1/65535 of the range for 32-bit and floating point), because the Secondary Capture and
 * Ultrasound storage classes take nothing wider. Colour takes 8-bit samples; an alpha channel is
 * dropped.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.7.6.3.html
 */
import { SCALAR_BYTES, type ImageContent } from '../codec/index.ts';

export interface DicomPixels {
  samplesPerPixel: 1 | 3;
  photometric: 'MONOCHROME2' | 'RGB';
  bitsAllocated: 8 | 16;
  rows: number;
  columns: number;
  frames: number;
  /** Native pixel data, little endian, of even length. */
  data: Buffer;
  /** Stored value × slope + intercept = the value the device sent. */
  rescale?: { slope: number; intercept: number };
}

/** An image that has no DICOM form here (the reason says why). */
export class UnstorableImageError extends Error {}

const UINT8 = 3;
const INT8 = 2;
const UINT16 = 5;
const INT16 = 4;

export function dicomPixels(image: ImageContent): DicomPixels {
  const [columns, rows, frames] = image.subvolumeSize;
  const shape = { rows, columns, frames };
  const count = rows * columns * frames;
  if (count === 0) throw new UnstorableImageError('the image has no pixels');
  if (image.components === 3 || image.components === 4) {
    if (image.scalarType !== UINT8) throw new UnstorableImageError(`colour images are stored with 8-bit unsigned samples, not scalar type ${image.scalarType}`);
    return { ...shape, samplesPerPixel: 3, photometric: 'RGB', bitsAllocated: 8, data: evenLength(rgb(image.pixels, image.components, count)) };
  }
  if (image.components !== 1) throw new UnstorableImageError(`images of ${image.components} components have no DICOM photometric interpretation`);
  const gray = { ...shape, samplesPerPixel: 1 as const, photometric: 'MONOCHROME2' as const };
  if (image.scalarType === UINT8) return { ...gray, bitsAllocated: 8, data: evenLength(Buffer.from(image.pixels)) };
  if (image.scalarType === INT8) {
    const data = Buffer.alloc(count);
    for (let i = 0; i < count; i++) data[i] = image.pixels.readInt8(i) + 128;
    return { ...gray, bitsAllocated: 8, data: evenLength(data), rescale: { slope: 1, intercept: -128 } };
  }
  const read = reader(image);
  const data = Buffer.alloc(count * 2);
  if (image.scalarType === UINT16) {
    for (let i = 0; i < count; i++) data.writeUInt16LE(read(i), i * 2);
    return { ...gray, bitsAllocated: 16, data };
  }
  if (image.scalarType === INT16) {
    for (let i = 0; i < count; i++) data.writeUInt16LE(read(i) + 32768, i * 2);
    return { ...gray, bitsAllocated: 16, data, rescale: { slope: 1, intercept: -32768 } };
  }
  // 32-bit integers and floating point: the range actually used, spread over 16 bits.
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const value = read(i);
    if (!Number.isFinite(value)) throw new UnstorableImageError('the image holds values that are not finite numbers');
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const slope = max > min ? (max - min) / 65535 : 1;
  for (let i = 0; i < count; i++) data.writeUInt16LE(Math.round((read(i) - min) / slope), i * 2);
  return { ...gray, bitsAllocated: 16, data, rescale: { slope, intercept: min } };
}

/** Reads the i-th scalar of a one-component image in its own endianness. */
function reader(image: ImageContent): (i: number) => number {
  const { pixels: p } = image;
  const size = SCALAR_BYTES[image.scalarType] as number;
  const little = image.endian === 'little';
  switch (image.scalarType) {
    case 5: return little ? (i) => p.readUInt16LE(i * size) : (i) => p.readUInt16BE(i * size);
    case 4: return little ? (i) => p.readInt16LE(i * size) : (i) => p.readInt16BE(i * size);
    case 6: return little ? (i) => p.readInt32LE(i * size) : (i) => p.readInt32BE(i * size);
    case 7: return little ? (i) => p.readUInt32LE(i * size) : (i) => p.readUInt32BE(i * size);
    case 10: return little ? (i) => p.readFloatLE(i * size) : (i) => p.readFloatBE(i * size);
    case 11: return little ? (i) => p.readDoubleLE(i * size) : (i) => p.readDoubleBE(i * size);
    default: throw new UnstorableImageError(`scalar type ${image.scalarType} is not one of the protocol`);
  }
}

function rgb(pixels: Buffer, components: number, count: number): Buffer {
  if (components === 3) return Buffer.from(pixels);
  const out = Buffer.alloc(count * 3);
  for (let i = 0; i < count; i++) pixels.copy(out, i * 3, i * 4, i * 4 + 3);
  return out;
}

/** Pixel Data has an even length (PS3.5 7.1.1): an odd one gets a padding byte. */
function evenLength(data: Buffer): Buffer {
  return data.length % 2 === 0 ? data : Buffer.concat([data, Buffer.alloc(1)]);
}
