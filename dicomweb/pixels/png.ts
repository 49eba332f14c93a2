/**
 * A small PNG encoder for 8-bit grayscale and RGB rasters: signature, IHDR, one zlib IDAT with
 * a filter chosen per row (the smallest sum of absolute differences), IEND; CRC-32 per chunk.
 * @see https://www.w3.org/TR/png-3/#5DataRep
 * @see https://www.w3.org/TR/png-3/#12Filter-selection
 */
import { crc32, deflateSync } from 'node:zlib';
import type { Raster } from './resize.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Filters one row with filter `type` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) into `out`. */
function filterRow(type: number, row: Uint8Array, previous: Uint8Array | undefined, bpp: number, out: Uint8Array): void {
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? row[i - bpp]! : 0;
    const b = previous === undefined ? 0 : previous[i]!;
    const c = previous !== undefined && i >= bpp ? previous[i - bpp]! : 0;
    const x = row[i]!;
    let predicted = 0;
    if (type === 1) predicted = a;
    else if (type === 2) predicted = b;
    else if (type === 3) predicted = (a + b) >> 1;
    else if (type === 4) predicted = paeth(a, b, c);
    out[i] = (x - predicted) & 0xff;
  }
}

/** Sum of the filtered bytes read as signed, the PNG specification's selection heuristic. */
function cost(filtered: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < filtered.length; i++) sum += filtered[i]! < 128 ? filtered[i]! : 256 - filtered[i]!;
  return sum;
}

/**
 * Encodes an 8-bit raster (1 channel: colour type 0 grayscale, 3 channels: colour type 2 RGB)
 * as a PNG file.
 */
export function encodePng(raster: Raster): Buffer {
  const { width, height, channels, data } = raster;
  if (channels !== 1 && channels !== 3) throw new RangeError(`PNG rasters have 1 or 3 channels, not ${channels}`);
  if (data.length < width * height * channels) throw new RangeError('the raster has fewer bytes than its size');
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : 2; // colour type
  // compression 0 (deflate), filter method 0, interlace 0 (none): already zero.
  const stride = width * channels;
  const filtered = Buffer.alloc((stride + 1) * height);
  const candidates = Array.from({ length: 5 }, () => new Uint8Array(stride));
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    const previous = y === 0 ? undefined : data.subarray((y - 1) * stride, y * stride);
    let best = 0;
    let bestCost = Infinity;
    for (let type = 0; type < 5; type++) {
      filterRow(type, row, previous, channels, candidates[type]!);
      const c = cost(candidates[type]!);
      if (c < bestCost) {
        bestCost = c;
        best = type;
      }
    }
    filtered[y * (stride + 1)] = best;
    filtered.set(candidates[best]!, y * (stride + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(filtered)), chunk('IEND', Buffer.alloc(0))]);
}
