/**
 * One frame, in whatever transfer syntax it is stored, turned into pixels: first into native
 * little-endian bytes (what a frame would be in Explicit VR Little Endian), then into one integer
 * per sample with the stored bits masked and signed values extended.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.2
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3
 */
import type { DicomDict } from './dataset.ts';
import { FrameError, RenderUnsupported } from './errors.ts';
import { type ImagePixel, isChroma422, nativeFrameBits, readImagePixel } from './image-pixel.ts';
import { decodeJpeg8, readJpegFrameHeader } from './jpeg.ts';
import { decodeJpegLossless } from './jpeg-lossless.ts';
import { decodeRle } from './rle.ts';
import { isNative, TransferSyntax } from './transfer-syntax.ts';

/** A frame as native little-endian bytes, with the pixel description that fits those bytes. */
export interface NativeFrame {
  data: Buffer;
  /**
   * The dataset's Image Pixel Module for one frame, changed where decoding changed it: a JPEG
   * colour frame comes out RGB colour-by-pixel whatever the stored YBR_FULL_422 said.
   */
  image: ImagePixel;
}

const SYNTAX_NAMES: Readonly<Record<string, string>> = {
  [TransferSyntax.JpegBaseline]: 'JPEG Baseline',
  [TransferSyntax.JpegExtended]: 'JPEG Extended',
  [TransferSyntax.JpegLossless]: 'JPEG Lossless',
  [TransferSyntax.JpegLosslessSv1]: 'JPEG Lossless SV1',
  [TransferSyntax.JpegLsLossless]: 'JPEG-LS Lossless',
  [TransferSyntax.JpegLsNearLossless]: 'JPEG-LS Near-Lossless',
  [TransferSyntax.Jpeg2000Lossless]: 'JPEG 2000 (Lossless Only)',
  [TransferSyntax.Jpeg2000]: 'JPEG 2000',
  [TransferSyntax.Jpeg2000Part2Lossless]: 'JPEG 2000 Part 2 (Lossless Only)',
  [TransferSyntax.Jpeg2000Part2]: 'JPEG 2000 Part 2',
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 (Lossless Only)',
  '1.2.840.10008.1.2.4.202': 'High-Throughput JPEG 2000 with RPCL (Lossless Only)',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000',
};

function unsupportedSyntax(transferSyntaxUid: string, detail = ''): RenderUnsupported {
  const name = SYNTAX_NAMES[transferSyntaxUid];
  const what = name === undefined ? `transfer syntax ${transferSyntaxUid}` : `${name} (${transferSyntaxUid})`;
  return new RenderUnsupported(`frames in ${what}${detail} cannot be decoded by this server`, transferSyntaxUid);
}

const JPEG_SYNTAXES: ReadonlySet<string> = new Set([
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegExtended,
  TransferSyntax.JpegLossless,
  TransferSyntax.JpegLosslessSv1,
]);

/** Widens 8-bit decoded samples to the dataset's Bits Allocated (16 when 8-bit JPEG sits in OW). */
function widen(samples: Uint8Array | Uint16Array, bitsAllocated: number): Buffer {
  if (bitsAllocated === 8 && samples instanceof Uint8Array) return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = Buffer.alloc(samples.length * (bitsAllocated / 8));
  if (bitsAllocated === 8) {
    for (let i = 0; i < samples.length; i++) out[i] = samples[i]! & 0xff;
  } else if (bitsAllocated === 16) {
    for (let i = 0; i < samples.length; i++) out.writeUInt16LE(samples[i]!, i * 2);
  } else {
    for (let i = 0; i < samples.length; i++) out.writeUInt32LE(samples[i]!, i * 4);
  }
  return out;
}

function decodeJpegFrame(frame: Buffer, image: ImagePixel, transferSyntaxUid: string): NativeFrame {
  const header = readJpegFrameHeader(frame);
  if (header.rows !== image.rows || header.columns !== image.columns) {
    throw new FrameError('corrupt', `the JPEG frame is ${header.columns}x${header.rows}, the dataset says ${image.columns}x${image.rows}`);
  }
  if (header.components !== image.samplesPerPixel) {
    throw new FrameError('corrupt', `the JPEG frame has ${header.components} components, the dataset ${image.samplesPerPixel} samples per pixel`);
  }
  if (image.bitsAllocated < 8) throw new FrameError('invalid-attributes', `JPEG frames cannot have Bits Allocated ${image.bitsAllocated}`);
  if (header.sof === 0xc3) {
    if (header.precision > image.bitsAllocated) {
      throw new FrameError('corrupt', `a ${header.precision}-bit lossless JPEG frame does not fit Bits Allocated ${image.bitsAllocated}`);
    }
    const decoded = decodeJpegLossless(frame);
    // Lossless JPEG keeps colour as coded: the stored photometric interpretation stays true.
    return { data: widen(decoded.data, image.bitsAllocated), image: { ...image, planarConfiguration: 0, numberOfFrames: 1 } };
  }
  if ((header.sof === 0xc0 || header.sof === 0xc1 || header.sof === 0xc2) && header.precision === 8) {
    const colorTransform = image.photometricInterpretation !== 'RGB';
    const decoded = decodeJpeg8(frame, colorTransform);
    const photometricInterpretation = decoded.components === 3 ? 'RGB' : image.photometricInterpretation;
    return {
      data: widen(decoded.data, image.bitsAllocated),
      image: { ...image, bitsStored: 8, highBit: 7, pixelRepresentation: 0, photometricInterpretation, planarConfiguration: 0, numberOfFrames: 1 },
    };
  }
  const process = header.sof === 0xc1 || header.sof === 0xc0 ? 'DCT' : header.sof === 0xc2 ? 'progressive DCT' : `SOF${(header.sof - 0xc0).toString(16).toUpperCase()}`;
  throw unsupportedSyntax(transferSyntaxUid, ` with ${header.precision}-bit ${process} coding`);
}

/**
 * Decodes one frame (as `extractFrames` gives it) into native little-endian pixel bytes:
 * native frames pass through, RLE Lossless is decoded per PS3.5 Annex G, JPEG 8-bit DCT
 * (baseline, extended, progressive) by jpeg-js, JPEG Lossless (processes 14, any predictor) by our
 * own decoder. Other syntaxes (JPEG-LS, JPEG 2000, 12-bit DCT...) throw RenderUnsupported naming
 * the syntax; damaged data throws FrameError.
 */
export function decodeFrameToNative(dict: DicomDict, transferSyntaxUid: string, frame: Buffer): NativeFrame {
  const image = { ...readImagePixel(dict), numberOfFrames: 1 };
  if (isNative(transferSyntaxUid) || transferSyntaxUid === TransferSyntax.EncapsulatedUncompressed) {
    const needed = Math.ceil(nativeFrameBits(image) / 8);
    if (frame.length < needed) throw new FrameError('truncated', `the frame has ${frame.length} bytes where ${needed} are needed`);
    return { data: frame, image };
  }
  if (transferSyntaxUid === TransferSyntax.RleLossless) {
    if (isChroma422(image.photometricInterpretation)) {
      throw new FrameError('invalid-attributes', `RLE frames cannot be ${image.photometricInterpretation}`);
    }
    return { data: decodeRle(frame, image), image };
  }
  if (JPEG_SYNTAXES.has(transferSyntaxUid)) return decodeJpegFrame(frame, image, transferSyntaxUid);
  throw unsupportedSyntax(transferSyntaxUid);
}

/** Integer samples of one frame, colour-by-pixel. */
export interface DecodedFrame {
  rows: number;
  columns: number;
  /** 1 (grayscale, palette) or 3 (colour; 4:2:2 chroma already expanded). */
  samplesPerPixel: number;
  photometricInterpretation: string;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  /** rows x columns x samplesPerPixel stored values, masked to Bits Stored and sign-extended. */
  samples: Int32Array | Uint32Array;
}

function readRaw(data: Buffer, bitsAllocated: number, count: number): Uint32Array {
  const raw = new Uint32Array(count);
  if (bitsAllocated === 1) {
    for (let i = 0; i < count; i++) raw[i] = (data[i >> 3]! >> (i & 7)) & 1;
  } else if (bitsAllocated === 8) {
    raw.set(data.subarray(0, count));
  } else if (bitsAllocated === 16) {
    for (let i = 0; i < count; i++) raw[i] = data.readUInt16LE(i * 2);
  } else {
    for (let i = 0; i < count; i++) raw[i] = data.readUInt32LE(i * 4);
  }
  return raw;
}

/** Turns Y1 Y2 Cb Cr groups (native YBR_FULL_422, PS3.3 C.7.6.3.1.2) into Y Cb Cr per pixel. */
function expand422(raw: Uint32Array, pixels: number): Uint32Array {
  const out = new Uint32Array(pixels * 3);
  for (let p = 0; p < pixels; p += 2) {
    const i = p * 2;
    const cb = raw[i + 2] ?? 0;
    const cr = raw[i + 3] ?? 0;
    out[p * 3] = raw[i]!;
    out[p * 3 + 1] = cb;
    out[p * 3 + 2] = cr;
    if (p + 1 < pixels) {
      out[p * 3 + 3] = raw[i + 1]!;
      out[p * 3 + 4] = cb;
      out[p * 3 + 5] = cr;
    }
  }
  return out;
}

/**
 * Reads the samples of a native frame: unpacks 1-bit data, keeps the Bits Stored bits that end
 * at High Bit, sign-extends two's complement values, interleaves colour-by-plane data and expands
 * 4:2:2 chroma.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.1.1
 */
export function readSamples(frame: NativeFrame): DecodedFrame {
  const { image, data } = frame;
  const pixels = image.rows * image.columns;
  const chroma422 = isChroma422(image.photometricInterpretation) && image.samplesPerPixel === 3;
  const stored = chroma422 ? pixels * 2 : pixels * image.samplesPerPixel;
  if (data.length < Math.ceil((stored * image.bitsAllocated) / 8)) {
    throw new FrameError('truncated', `the frame has ${data.length} bytes, too few for ${stored} samples of ${image.bitsAllocated} bits`);
  }
  let raw = readRaw(data, image.bitsAllocated, stored);
  if (chroma422) raw = expand422(raw, pixels);
  else if (image.samplesPerPixel > 1 && image.planarConfiguration === 1) {
    const interleaved = new Uint32Array(raw.length);
    const spp = image.samplesPerPixel;
    for (let s = 0; s < spp; s++) for (let p = 0; p < pixels; p++) interleaved[p * spp + s] = raw[s * pixels + p]!;
    raw = interleaved;
  }
  const shift = image.highBit + 1 - image.bitsStored;
  const bits = image.bitsStored;
  const mask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const signed = image.pixelRepresentation === 1;
  const unsigned32 = !signed && bits >= 32;
  const samples = unsigned32 ? raw : new Int32Array(raw.length);
  if (!unsigned32) {
    const sign = 2 ** (bits - 1);
    for (let i = 0; i < raw.length; i++) {
      const value = (raw[i]! >>> shift) & mask;
      const unsignedValue = value < 0 ? value + 2 ** 32 : value;
      samples[i] = signed && unsignedValue >= sign ? unsignedValue - 2 * sign : unsignedValue;
    }
  }
  const photometricInterpretation = chroma422 ? image.photometricInterpretation.replace('_422', '') : image.photometricInterpretation;
  return {
    rows: image.rows,
    columns: image.columns,
    samplesPerPixel: chroma422 ? 3 : image.samplesPerPixel,
    photometricInterpretation,
    bitsStored: image.bitsStored,
    pixelRepresentation: image.pixelRepresentation,
    samples,
  };
}

/** `decodeFrameToNative` then `readSamples`: a stored frame straight to integer samples. */
export function decodeFrame(dict: DicomDict, transferSyntaxUid: string, frame: Buffer): DecodedFrame {
  return readSamples(decodeFrameToNative(dict, transferSyntaxUid, frame));
}
