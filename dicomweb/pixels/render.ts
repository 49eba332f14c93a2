/**
 * Rendered frames and thumbnails for WADO-RS: a decoded frame through the grayscale or colour
 * pipeline to 8 bits, cut to the region, fitted to the viewport, encoded as PNG or JPEG.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.3.5
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4.1.1.4
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4.1.1.5
 */
import { encode as encodeJpeg } from 'jpeg-js';
import { renderColor } from './color.ts';
import { type DicomDict, numberAt } from './dataset.ts';
import { type DecodedFrame, decodeFrame } from './decode.ts';
import { RenderOptionError } from './errors.ts';
import { extractFrames } from './frames.ts';
import { frameAttributes } from './functional-groups.ts';
import { renderGrayscale, type Window } from './grayscale.ts';
import { encodePng } from './png.ts';
import { fitToViewport, type Raster, type Region, type Viewport } from './resize.ts';
import { isBigEndian } from './transfer-syntax.ts';

export type RenderedMediaType = 'image/jpeg' | 'image/png';

export interface RenderOptions {
  mediaType: RenderedMediaType;
  /** VOI window for grayscale frames (PS3.18 `window`); ignored for colour frames. */
  window?: Window;
  /** Fit into this many pixels, keeping the aspect ratio (PS3.18 `viewport`). */
  viewport?: Viewport;
  /** Cut this part of the image first, as fractions (PS3.18 `region`). */
  region?: Region;
  /** JPEG quality 1..100 (PS3.18 `quality`); default 90. Ignored for PNG. */
  quality?: number;
  /** The frame's number, for per-frame attributes of enhanced multi-frame images; default 1. */
  frameNumber?: number;
  /** The instance's transfer syntax, needed only for big endian palette LUT data. */
  transferSyntaxUid?: string;
}

/** The viewport thumbnails are fitted into when the request names none (PS3.18 10.4.1.1.5 leaves it to us). */
export const THUMBNAIL_VIEWPORT: Viewport = { width: 128, height: 128 };

/** The JPEG quality used when the request names none. */
export const DEFAULT_JPEG_QUALITY = 90;

/** Throws RenderOptionError unless quality is an integer 1..100. */
export function checkQuality(quality: number): void {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RenderOptionError(`quality ${quality} is not an integer in 1..100`);
}

/**
 * A decoded frame as an 8-bit raster: grayscale (MONOCHROME1/2) through Modality LUT, VOI and
 * inversion into one channel; colour (RGB, YBR_FULL, YBR_PARTIAL, PALETTE COLOR) into RGB.
 */
export function toRaster(dict: DicomDict, frame: DecodedFrame, options: Omit<RenderOptions, 'mediaType'> = {}): Raster {
  const attributes = frameAttributes(dict, options.frameNumber ?? 1);
  const grayscale = frame.photometricInterpretation === 'MONOCHROME1' || frame.photometricInterpretation === 'MONOCHROME2';
  const data = grayscale
    ? renderGrayscale(attributes, frame, options.window)
    : renderColor(attributes, frame, options.transferSyntaxUid !== undefined && isBigEndian(options.transferSyntaxUid));
  const raster: Raster = { width: frame.columns, height: frame.rows, channels: grayscale ? 1 : 3, data };
  return fitToViewport(raster, options.viewport, options.region);
}

/** Encodes a raster as PNG or baseline JPEG (jpeg-js wants RGBA, so gray and RGB are widened). */
export function encodeRaster(raster: Raster, mediaType: RenderedMediaType, quality = DEFAULT_JPEG_QUALITY): Buffer {
  if (mediaType === 'image/png') return encodePng(raster);
  checkQuality(quality);
  const pixels = raster.width * raster.height;
  const rgba = Buffer.alloc(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const from = p * raster.channels;
    rgba[p * 4] = raster.data[from]!;
    rgba[p * 4 + 1] = raster.data[from + (raster.channels === 3 ? 1 : 0)]!;
    rgba[p * 4 + 2] = raster.data[from + (raster.channels === 3 ? 2 : 0)]!;
    rgba[p * 4 + 3] = 255;
  }
  return encodeJpeg({ width: raster.width, height: raster.height, data: rgba }, quality).data;
}

/**
 * Renders a decoded frame to a PNG or JPEG image. Throws RenderOptionError for an unusable
 * window, viewport, region or quality, RenderUnsupported for photometric interpretations we
 * cannot show.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.3.5.1
 */
export function renderFrame(dict: DicomDict, frame: DecodedFrame, options: RenderOptions): Buffer {
  if (options.quality !== undefined) checkQuality(options.quality);
  return encodeRaster(toRaster(dict, frame, options), options.mediaType, options.quality);
}

/**
 * Extracts, decodes and renders frame `frameNumber` (1-based) of a stored instance: what the
 * Retrieve Rendered and Thumbnail transactions need in one call. Throws FrameError for frame
 * numbers out of range and damaged data, RenderUnsupported for syntaxes we cannot decode.
 */
export function renderStoredFrame(dict: DicomDict, transferSyntaxUid: string, frameNumber: number, options: Omit<RenderOptions, 'frameNumber' | 'transferSyntaxUid'>): Buffer {
  const [bytes] = extractFrames(dict, transferSyntaxUid, [frameNumber]);
  const decoded = decodeFrame(dict, transferSyntaxUid, bytes!);
  return renderFrame(dict, decoded, { ...options, frameNumber, transferSyntaxUid });
}

/**
 * The frame a thumbnail of a multi-frame instance shows: Representative Frame Number
 * (0028,6010) when it is present and in range, else the first frame.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4.1.1.5
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part06.html#chapter_6
 */
export function representativeFrame(dict: DicomDict): number {
  const frames = numberAt(dict, '00280008') ?? 1;
  const representative = numberAt(dict, '00286010');
  return representative !== undefined && Number.isInteger(representative) && representative >= 1 && representative <= frames ? representative : 1;
}
