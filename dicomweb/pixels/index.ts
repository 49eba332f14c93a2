/**
 * Pixel data for WADO-RS: frames in their stored syntax, decoding, and rendered images and
 * thumbnails. Pure functions over a parsed dataset (the dcmjs `dict`); no HTTP, no storage.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.4
 */
export { type DicomDict, type DicomElement } from './dataset.ts';
export { FrameError, type FrameErrorCode, RenderOptionError, RenderUnsupported } from './errors.ts';
export { type ImagePixel, readImagePixel } from './image-pixel.ts';
export { type FrameMediaType, frameMediaType, isNative, TransferSyntax } from './transfer-syntax.ts';
export { extractFrames, frameCount } from './frames.ts';
export { type DecodedFrame, decodeFrame, decodeFrameToNative, type NativeFrame, readSamples } from './decode.ts';
export { applyWindow, checkWindow, type VoiLutFunction, type Window } from './grayscale.ts';
export { checkRegion, checkViewport, type Raster, type Region, type Viewport } from './resize.ts';
export { encodePng } from './png.ts';
export {
  checkQuality,
  DEFAULT_JPEG_QUALITY,
  encodeRaster,
  renderFrame,
  type RenderedMediaType,
  type RenderOptions,
  renderStoredFrame,
  representativeFrame,
  THUMBNAIL_VIEWPORT,
  toRaster,
} from './render.ts';
