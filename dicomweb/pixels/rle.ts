/**
 * RLE Lossless decoding: a 64-byte header (segment count and up to 15 offsets), then one
 * PackBits-coded segment per byte plane, most significant byte of each sample first.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#chapter_G
 */
import { FrameError } from './errors.ts';

export interface RleLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  /** 8, 16 or 32. */
  bitsAllocated: number;
  /** Layout of the decoded bytes: 0 colour-by-pixel, 1 colour-by-plane. */
  planarConfiguration: 0 | 1;
}

const HEADER_LENGTH = 64;

/**
 * Decodes one PackBits segment (PS3.5 G.3.1) into `plane` and returns how many bytes it wrote:
 * a byte n in 0..127 copies the next n+1 bytes, -1..-127 repeats the next byte 1-n times, -128
 * does nothing. Output beyond the plane (padding) is dropped.
 */
function unpackBits(segment: Buffer, plane: Uint8Array): number {
  let read = 0;
  let written = 0;
  while (read < segment.length && written < plane.length) {
    const header = segment[read++]!;
    if (header < 128) {
      const count = Math.min(header + 1, segment.length - read, plane.length - written);
      plane.set(segment.subarray(read, read + count), written);
      read += header + 1;
      written += count;
    } else if (header > 128) {
      if (read >= segment.length) break;
      const count = Math.min(257 - header, plane.length - written);
      plane.fill(segment[read++]!, written, written + count);
      written += count;
    }
  }
  return written;
}

/**
 * Decodes one RLE Lossless frame into native little-endian pixel bytes laid out per
 * `planarConfiguration` (what DCMTK's dcmdrle writes). Throws FrameError `corrupt` when the
 * header does not match the image (segment count, offsets) or a segment is too short.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_G.2
 */
export function decodeRle(frame: Buffer, layout: RleLayout): Buffer {
  const { rows, columns, samplesPerPixel, bitsAllocated, planarConfiguration } = layout;
  if (bitsAllocated % 8 !== 0 || bitsAllocated === 0) {
    throw new FrameError('invalid-attributes', `RLE cannot hold Bits Allocated ${bitsAllocated}`);
  }
  if (frame.length < HEADER_LENGTH) {
    throw new FrameError('corrupt', `RLE frame of ${frame.length} bytes is shorter than its 64-byte header`);
  }
  const bytesPerSample = bitsAllocated / 8;
  const expected = samplesPerPixel * bytesPerSample;
  const segmentCount = frame.readUInt32LE(0);
  if (segmentCount !== expected || segmentCount > 15) {
    throw new FrameError('corrupt', `RLE header declares ${segmentCount} segments where ${samplesPerPixel} sample(s) of ${bitsAllocated} bits need ${expected}`);
  }
  const offsets: number[] = [];
  for (let i = 0; i < segmentCount; i++) offsets.push(frame.readUInt32LE(4 + 4 * i));
  offsets.push(frame.length);
  for (let i = 0; i < segmentCount; i++) {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    if (start < HEADER_LENGTH || end > frame.length || start > end) {
      throw new FrameError('corrupt', `RLE segment ${i + 1} has offset ${start}, outside ${HEADER_LENGTH}..${frame.length} or after the next segment`);
    }
  }
  const pixels = rows * columns;
  const out = Buffer.alloc(pixels * expected);
  const plane = new Uint8Array(pixels);
  for (let segment = 0; segment < segmentCount; segment++) {
    const written = unpackBits(frame.subarray(offsets[segment]!, offsets[segment + 1]!), plane);
    if (written < pixels) {
      throw new FrameError('corrupt', `RLE segment ${segment + 1} decodes to ${written} bytes where the frame needs ${pixels}`);
    }
    const sample = Math.floor(segment / bytesPerSample);
    // Segments run from the most significant byte; little endian puts it last.
    const byteInSample = bytesPerSample - 1 - (segment % bytesPerSample);
    if (planarConfiguration === 1) {
      const base = sample * pixels * bytesPerSample + byteInSample;
      for (let p = 0; p < pixels; p++) out[base + p * bytesPerSample] = plane[p]!;
    } else {
      const stride = expected;
      const base = sample * bytesPerSample + byteInSample;
      for (let p = 0; p < pixels; p++) out[base + p * stride] = plane[p]!;
    }
  }
  return out;
}
