/**
 * JPEG frames (ISO 10918-1 as encapsulated by DICOM): reading the frame header to learn the
 * process and precision, and decoding 8-bit DCT streams (baseline, extended, progressive) with
 * jpeg-js. Colour streams come out as RGB, converted from YCbCr unless the dataset says RGB.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.2.1
 * @see https://www.w3.org/Graphics/JPEG/itu-t81.pdf (B.2.2 frame header)
 */
import { decode } from 'jpeg-js';
import { FrameError } from './errors.ts';

export interface JpegFrameHeader {
  /** The SOF marker's low byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless... */
  sof: number;
  precision: number;
  rows: number;
  columns: number;
  components: number;
  /** Offset of the SOF segment's length field. */
  offset: number;
}

const isSof = (marker: number): boolean => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/**
 * Reads markers up to the first start-of-frame and returns its header. Throws FrameError
 * `corrupt` when the stream does not start with SOI or ends (or starts a scan) before a SOF.
 */
export function readJpegFrameHeader(bytes: Buffer): JpegFrameHeader {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    throw new FrameError('corrupt', 'the JPEG frame does not start with an SOI marker (FFD8)');
  }
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) throw new FrameError('corrupt', `the JPEG frame has no marker at byte ${offset}`);
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    const length = bytes.readUInt16BE(offset + 2);
    if (length < 2) throw new FrameError('corrupt', `the JPEG marker FF${marker.toString(16).toUpperCase()} has length ${length}`);
    if (isSof(marker)) {
      if (offset + 10 > bytes.length) break;
      return {
        sof: marker,
        precision: bytes[offset + 4]!,
        rows: bytes.readUInt16BE(offset + 5),
        columns: bytes.readUInt16BE(offset + 7),
        components: bytes[offset + 9]!,
        offset: offset + 2,
      };
    }
    if (marker === 0xda || marker === 0xd9) break;
    offset += 2 + length;
  }
  throw new FrameError('corrupt', 'the JPEG frame has no start-of-frame header');
}

export interface DecodedJpeg {
  columns: number;
  rows: number;
  /** 1 or 3. */
  components: number;
  /** 8-bit samples, colour-by-pixel. */
  data: Uint8Array;
}

/**
 * Decodes an 8-bit DCT JPEG stream (SOF0, SOF1, SOF2) with jpeg-js. `colorTransform` says whether
 * three-component streams hold YCbCr (DICOM YBR_FULL_422 / YBR_FULL) to convert to RGB; an Adobe
 * APP14 marker asking for the transform wins. Throws FrameError `corrupt` when jpeg-js fails.
 */
export function decodeJpeg8(bytes: Buffer, colorTransform: boolean): DecodedJpeg {
  const header = readJpegFrameHeader(bytes);
  if (header.components !== 1 && header.components !== 3) {
    throw new FrameError('corrupt', `a JPEG frame of ${header.components} components is neither grayscale nor colour`);
  }
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = decode(bytes, { useTArray: true, formatAsRGBA: false, colorTransform, maxResolutionInMP: 300, maxMemoryUsageInMB: 1024 });
  } catch (error) {
    throw new FrameError('corrupt', `the JPEG frame cannot be decoded: ${(error as Error).message}`);
  }
  const pixels = image.width * image.height;
  // jpeg-js always answers three channels; a grayscale stream repeats its one.
  if (pixels === 0 || image.data.length !== pixels * 3) throw new FrameError('corrupt', 'the JPEG frame decodes to no pixels');
  if (header.components === 3) return { columns: image.width, rows: image.height, components: 3, data: image.data };
  const gray = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) gray[p] = image.data[p * 3]!;
  return { columns: image.width, rows: image.height, components: 1, data: gray };
}
