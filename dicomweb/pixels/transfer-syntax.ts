/**
 * Transfer syntaxes as the pixel modules see them: native or encapsulated, byte order, and the
 * media type a frame has in its own syntax when WADO-RS returns it as bulk data.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#chapter_10
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part18/sect_8.7.3.3.2.html
 */

export const TransferSyntax = {
  ImplicitVrLittleEndian: '1.2.840.10008.1.2',
  ExplicitVrLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressed: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVrLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVrBigEndian: '1.2.840.10008.1.2.2',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  JpegLossless: '1.2.840.10008.1.2.4.57',
  JpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  Jpeg2000Part2Lossless: '1.2.840.10008.1.2.4.92',
  Jpeg2000Part2: '1.2.840.10008.1.2.4.93',
  RleLossless: '1.2.840.10008.1.2.5',
} as const;

const NATIVE: ReadonlySet<string> = new Set([
  TransferSyntax.ImplicitVrLittleEndian,
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.DeflatedExplicitVrLittleEndian,
  TransferSyntax.ExplicitVrBigEndian,
]);

/** True when Pixel Data is stored native (not encapsulated in fragments) in this syntax. */
export function isNative(transferSyntaxUid: string): boolean {
  return NATIVE.has(transferSyntaxUid);
}

/** True for Explicit VR Big Endian (retired), whose OW words must be swapped for the web. */
export function isBigEndian(transferSyntaxUid: string): boolean {
  return transferSyntaxUid === TransferSyntax.ExplicitVrBigEndian;
}

/**
 * Swaps the bytes of each `unit`-byte word: Explicit VR Big Endian stores OW (and 16/32-bit
 * pixels) most significant byte first, the web wants them little endian (PS3.18 8.7.3.3.1).
 */
export function swapBytes(bytes: Buffer, unit: number): Buffer {
  const out = Buffer.from(bytes);
  const whole = out.length - (out.length % unit);
  if (unit === 2) out.subarray(0, whole).swap16();
  else if (unit === 4) out.subarray(0, whole).swap32();
  return out;
}

/** A frame's media type and the `transfer-syntax` parameter that goes with it. */
export interface FrameMediaType {
  mediaType: string;
  transferSyntaxUid: string;
}

// PS3.18 Table 8.7.3-5 (compressed bulk data), by transfer syntax.
const COMPRESSED_MEDIA_TYPES: Readonly<Record<string, string>> = {
  [TransferSyntax.JpegBaseline]: 'image/jpeg',
  [TransferSyntax.JpegExtended]: 'image/jpeg',
  [TransferSyntax.JpegLossless]: 'image/jpeg',
  [TransferSyntax.JpegLosslessSv1]: 'image/jpeg',
  [TransferSyntax.RleLossless]: 'image/dicom-rle',
  [TransferSyntax.JpegLsLossless]: 'image/jls',
  [TransferSyntax.JpegLsNearLossless]: 'image/jls',
  [TransferSyntax.Jpeg2000Lossless]: 'image/jp2',
  [TransferSyntax.Jpeg2000]: 'image/jp2',
  [TransferSyntax.Jpeg2000Part2Lossless]: 'image/jpx',
  [TransferSyntax.Jpeg2000Part2]: 'image/jpx',
  // High-Throughput JPEG 2000 (lossless, lossless RPCL, lossy).
  '1.2.840.10008.1.2.4.201': 'image/jphc',
  '1.2.840.10008.1.2.4.202': 'image/jphc',
  '1.2.840.10008.1.2.4.203': 'image/jphc',
  // JPEG XL (lossless, JPEG recompression, lossy).
  '1.2.840.10008.1.2.4.110': 'image/jxl',
  '1.2.840.10008.1.2.4.111': 'image/jxl',
  '1.2.840.10008.1.2.4.112': 'image/jxl',
};

/**
 * The media type of a frame retrieved in the syntax it is stored in, with its transfer-syntax
 * parameter: the compressed bulk data types of PS3.18 Table 8.7.3-5 for encapsulated syntaxes,
 * `application/octet-stream` with Explicit VR Little Endian for native ones (frames are always
 * returned little endian, PS3.18 8.7.3.3.1 / Table 8.7.3-4; so are Encapsulated Uncompressed
 * frames). Undefined for syntaxes whose pixel data is not a sequence of frames (MPEG, H.264 and
 * HEVC video) and for unknown ones.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part18/sect_8.7.3.3.2.html
 */
export function frameMediaType(transferSyntaxUid: string): FrameMediaType | undefined {
  // Encapsulated Uncompressed frames are native little-endian bytes, one fragment each.
  if (isNative(transferSyntaxUid) || transferSyntaxUid === TransferSyntax.EncapsulatedUncompressed) {
    return { mediaType: 'application/octet-stream', transferSyntaxUid: TransferSyntax.ExplicitVrLittleEndian };
  }
  const mediaType = COMPRESSED_MEDIA_TYPES[transferSyntaxUid];
  return mediaType === undefined ? undefined : { mediaType, transferSyntaxUid };
}
