/**
 * Frames out of Pixel Data, for WADO-RS Retrieve Frames: native frames are sliced (little endian,
 * bit-packed frames re-aligned), encapsulated frames are taken from their fragments with the
 * Extended Offset Table, one fragment per frame, or by finding where each compressed stream starts.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4.1.1.3
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_A.4
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.1.1
 */
import { binary, binaryValues, type DicomDict, Tag } from './dataset.ts';
import { FrameError } from './errors.ts';
import { type ImagePixel, nativeFrameBits, readImagePixel } from './image-pixel.ts';
import { isBigEndian, isNative, swapBytes, TransferSyntax } from './transfer-syntax.ts';

/** Number of Frames (0028,0008), 1 when absent; FrameError when the instance has no pixel data. */
export function frameCount(dict: DicomDict): number {
  return readImagePixel(dict).numberOfFrames;
}

function checkFrameNumbers(frameNumbers: readonly number[], count: number): void {
  for (const frame of frameNumbers) {
    if (!Number.isInteger(frame) || frame < 1 || frame > count) {
      throw new FrameError('out-of-range', `frame ${frame} is out of range: the instance has ${count} frame${count === 1 ? '' : 's'} (1..${count})`);
    }
  }
}


/** The word size to swap big endian native pixel data by: per pixel above 8 bits, per OW word below. */
function bigEndianUnit(image: ImagePixel, vr: string | undefined): number {
  if (image.bitsAllocated >= 16) return image.bitsAllocated / 8;
  return vr === 'OW' ? 2 : 1;
}

/** Bits `start..start+count` of little-endian bit-packed data (PS3.5 8.1.1), re-packed from bit 0. */
function bitSlice(bytes: Buffer, start: number, count: number): Buffer {
  const out = Buffer.alloc(Math.ceil(count / 8));
  if (start % 8 === 0) {
    bytes.copy(out, 0, start / 8, start / 8 + out.length);
    if (count % 8 !== 0) out[out.length - 1]! &= (1 << (count % 8)) - 1;
    return out;
  }
  for (let i = 0; i < count; i++) {
    const bit = start + i;
    if ((bytes[bit >> 3]! >> (bit & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

function nativeFrames(dict: DicomDict, image: ImagePixel, transferSyntaxUid: string, frameNumbers: readonly number[]): Buffer[] {
  const bytes = binary(dict, Tag.PixelData);
  if (bytes === undefined) throw new FrameError('corrupt', 'Pixel Data (7FE0,0010) has no binary value');
  const frameBits = nativeFrameBits(image);
  const needed = Math.ceil((frameBits * image.numberOfFrames) / 8);
  if (bytes.length < needed) {
    throw new FrameError(
      'truncated',
      `Pixel Data is truncated: ${bytes.length} bytes where ${image.numberOfFrames} frame(s) of ${image.columns}x${image.rows}x${image.samplesPerPixel} at ${image.bitsAllocated} bits need ${needed}`,
    );
  }
  const unit = isBigEndian(transferSyntaxUid) ? bigEndianUnit(image, dict[Tag.PixelData]?.vr) : 1;
  if (image.bitsAllocated === 1) {
    const source = unit > 1 ? swapBytes(bytes.subarray(0, needed + (needed % 2)), unit) : bytes;
    return frameNumbers.map((frame) => bitSlice(source, (frame - 1) * frameBits, frameBits));
  }
  const frameBytes = frameBits / 8;
  return frameNumbers.map((frame) => {
    const slice = bytes.subarray((frame - 1) * frameBytes, frame * frameBytes);
    return unit > 1 ? swapBytes(slice, unit) : slice;
  });
}

/** Reads a 64-bit unsigned table (OV) as numbers; undefined when absent, empty or malformed. */
function uint64Table(dict: DicomDict, tag: string): number[] | undefined {
  const bytes = binary(dict, tag);
  if (bytes === undefined || bytes.length === 0 || bytes.length % 8 !== 0) return undefined;
  const values: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 8) values.push(Number(bytes.readBigUInt64LE(offset)));
  return values;
}

/**
 * Frames by the Extended Offset Table (7FE0,0001): offsets count from the first byte of the first
 * fragment's Item tag, so each fragment sits 8 bytes (tag and length) past the end of the previous.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_A.4
 */
function framesByExtendedOffsets(fragments: Buffer[], offsets: number[], lengths: number[] | undefined, count: number): Buffer[] {
  if (offsets.length !== count) {
    throw new FrameError('corrupt', `the Extended Offset Table has ${offsets.length} entries for ${count} frames`);
  }
  const fragmentAt = new Map<number, number>();
  let position = 0;
  fragments.forEach((fragment, index) => {
    fragmentAt.set(position, index);
    position += 8 + fragment.length;
  });
  const starts = offsets.map((offset) => {
    const index = fragmentAt.get(offset);
    if (index === undefined) throw new FrameError('corrupt', `Extended Offset Table offset ${offset} is not the start of a fragment`);
    return index;
  });
  return starts.map((start, frame) => {
    const end = frame + 1 < starts.length ? starts[frame + 1]! : fragments.length;
    if (end <= start) throw new FrameError('corrupt', 'the Extended Offset Table offsets are not increasing');
    const joined = Buffer.concat(fragments.slice(start, end));
    const length = lengths?.[frame];
    return length !== undefined && length <= joined.length ? joined.subarray(0, length) : joined;
  });
}

/** True when a fragment begins a JPEG / JPEG-LS stream (SOI), a JPEG 2000 codestream (SOC SIZ) or a JP2 file. */
function startsCodestream(fragment: Buffer): boolean {
  if (fragment.length >= 2 && fragment[0] === 0xff && fragment[1] === 0xd8) return true;
  if (fragment.length >= 4 && fragment.readUInt32BE(0) === 0xff4fff51) return true;
  return fragment.length >= 8 && fragment.readUInt32BE(0) === 0x0000000c && fragment.readUInt32BE(4) === 0x6a502020;
}

/** One frame per run of fragments that starts with a new codestream (no offset table to go by). */
function framesByCodestreamStart(fragments: Buffer[], count: number): Buffer[] {
  const frames: Buffer[][] = [];
  for (const fragment of fragments) {
    if (frames.length === 0 || startsCodestream(fragment)) frames.push([fragment]);
    else frames[frames.length - 1]!.push(fragment);
  }
  if (frames.length !== count) {
    throw new FrameError('corrupt', `cannot tell the ${count} frames apart in ${fragments.length} fragments without an offset table`);
  }
  return frames.map((parts) => Buffer.concat(parts));
}

/** Drops the one trailing NUL that pads an odd-length JPEG family stream after its EOI/EOC (FFD9). */
function unpad(frame: Buffer): Buffer {
  const n = frame.length;
  return n >= 3 && frame[n - 1] === 0 && frame[n - 2] === 0xd9 && frame[n - 3] === 0xff ? frame.subarray(0, n - 1) : frame;
}

function encapsulatedFrames(dict: DicomDict, image: ImagePixel, transferSyntaxUid: string, frameNumbers: readonly number[]): Buffer[] {
  const fragments = binaryValues(dict, Tag.PixelData);
  if (fragments === undefined) throw new FrameError('corrupt', 'encapsulated Pixel Data (7FE0,0010) has no fragments');
  const count = image.numberOfFrames;
  const offsets = uint64Table(dict, Tag.ExtendedOffsetTable);
  // RLE and encapsulated uncompressed put each frame in exactly one fragment (PS3.5 A.4.2, A.4.11).
  const oneFragmentPerFrame = transferSyntaxUid === TransferSyntax.RleLossless || transferSyntaxUid === TransferSyntax.EncapsulatedUncompressed;
  let frames: Buffer[];
  if (offsets !== undefined && count > 1) {
    frames = framesByExtendedOffsets(fragments, offsets, uint64Table(dict, Tag.ExtendedOffsetTableLengths), count);
  } else if (fragments.length === count) {
    frames = fragments;
  } else if (fragments.length === 0) {
    throw new FrameError('truncated', 'encapsulated Pixel Data has no fragments');
  } else if (count === 1) {
    frames = [Buffer.concat(fragments)];
  } else if (fragments.length > count && !oneFragmentPerFrame) {
    frames = framesByCodestreamStart(fragments, count);
  } else {
    throw new FrameError('truncated', `encapsulated Pixel Data has ${fragments.length} fragment(s) for ${count} frames`);
  }
  const requested = frameNumbers.map((frame) => frames[frame - 1]!);
  if (requested.some((frame) => frame.length === 0)) throw new FrameError('truncated', 'a requested frame is empty');
  return oneFragmentPerFrame ? requested : requested.map(unpad);
}

/**
 * The bytes of the requested frames (1-based numbers), in the order asked: native frames little
 * endian whatever the stored byte order, encapsulated frames as the compressed stream without
 * fragment delimiters (PS3.18 8.7.3.3.2). Native frames may share memory with the dataset.
 * Throws FrameError: `out-of-range` for a number outside 1..NumberOfFrames, `no-pixel-data`,
 * `truncated` when the stored data is shorter than the attributes promise, `corrupt` when the
 * fragments cannot be matched to frames, `invalid-attributes`.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4.1.1.3
 */
export function extractFrames(dict: DicomDict, transferSyntaxUid: string, frameNumbers: readonly number[]): Buffer[] {
  const image = readImagePixel(dict);
  checkFrameNumbers(frameNumbers, image.numberOfFrames);
  if (frameNumbers.length === 0) return [];
  return isNative(transferSyntaxUid)
    ? nativeFrames(dict, image, transferSyntaxUid, frameNumbers)
    : encapsulatedFrames(dict, image, transferSyntaxUid, frameNumbers);
}
