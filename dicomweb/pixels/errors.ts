/**
 * The typed errors of the pixel modules. The WADO-RS routes map them to statuses; this folder
 * only says what went wrong.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.6.1
 */

/**
 * Why frames could not be taken from (or decoded out of) an instance:
 * - `out-of-range`: a frame number is not an integer in 1..NumberOfFrames (a client error);
 * - `no-pixel-data`: the instance has no Pixel Data (7FE0,0010), e.g. an SR or a waveform;
 * - `invalid-attributes`: the Image Pixel Module attributes are missing or inconsistent;
 * - `truncated`: there are fewer bytes than the attributes promise;
 * - `corrupt`: the bytes do not follow their encoding (bad RLE header, broken JPEG stream...).
 */
export type FrameErrorCode = 'out-of-range' | 'no-pixel-data' | 'invalid-attributes' | 'truncated' | 'corrupt';

/** A frame could not be extracted or decoded; `code` says why, `message` says it in words. */
export class FrameError extends Error {
  readonly code: FrameErrorCode;

  constructor(code: FrameErrorCode, message: string) {
    super(message);
    this.name = 'FrameError';
    this.code = code;
  }
}

/**
 * A frame cannot be rendered by this server: its transfer syntax has no decoder here (JPEG-LS,
 * JPEG 2000, ...) or its photometric interpretation or bit depth is not supported. The request
 * was fine and the data may be fine; we just cannot turn it into pixels.
 */
export class RenderUnsupported extends Error {
  /** The transfer syntax of the stored frame, when the syntax is the reason. */
  readonly transferSyntaxUid: string | undefined;

  constructor(message: string, transferSyntaxUid?: string) {
    super(message);
    this.name = 'RenderUnsupported';
    this.transferSyntaxUid = transferSyntaxUid;
  }
}

/** A rendering option is out of its domain (e.g. a window width below 1 for LINEAR). */
export class RenderOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderOptionError';
  }
}
