/**
 * The geometric steps of rendering: cut the source image region, then scale it to fit the
 * viewport keeping its aspect ratio (a box filter: each output pixel averages the source pixels
 * it covers, or repeats the nearest one when enlarging).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.3.5.1.3
 */
import { RenderOptionError } from './errors.ts';

/** An 8-bit raster, colour-by-pixel. */
export interface Raster {
  width: number;
  height: number;
  /** 1 (gray) or 3 (RGB). */
  channels: number;
  data: Uint8Array;
}

/** The largest viewport side accepted, so a request cannot make us allocate without bound. */
export const MAX_VIEWPORT = 8192;

/** A viewport in pixels: the rendered image fits inside it, keeping its aspect ratio. */
export interface Viewport {
  width: number;
  height: number;
}

/** A source image region as fractions of the image, 0 <= min < max <= 1 (0,0 is top left). */
export interface Region {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** Throws RenderOptionError unless both sides are integers in 1..MAX_VIEWPORT. */
export function checkViewport(viewport: Viewport): void {
  for (const side of [viewport.width, viewport.height]) {
    if (!Number.isInteger(side) || side < 1 || side > MAX_VIEWPORT) {
      throw new RenderOptionError(`viewport ${viewport.width}x${viewport.height} is not two integers in 1..${MAX_VIEWPORT}`);
    }
  }
}

/** Throws RenderOptionError unless 0 <= xmin < xmax <= 1 and the same for y. */
export function checkRegion(region: Region): void {
  const { xmin, ymin, xmax, ymax } = region;
  const ok = [xmin, ymin, xmax, ymax].every((v) => Number.isFinite(v) && v >= 0 && v <= 1) && xmin < xmax && ymin < ymax;
  if (!ok) throw new RenderOptionError(`region ${xmin},${ymin},${xmax},${ymax} is not 0 <= min < max <= 1`);
}

/** The part of the raster inside the region (at least one pixel). */
export function crop(raster: Raster, region: Region): Raster {
  checkRegion(region);
  const x0 = Math.min(Math.floor(region.xmin * raster.width), raster.width - 1);
  const y0 = Math.min(Math.floor(region.ymin * raster.height), raster.height - 1);
  const x1 = Math.max(Math.ceil(region.xmax * raster.width), x0 + 1);
  const y1 = Math.max(Math.ceil(region.ymax * raster.height), y0 + 1);
  const width = x1 - x0;
  const height = y1 - y0;
  const { channels } = raster;
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * raster.width + x0) * channels;
    data.set(raster.data.subarray(from, from + width * channels), y * width * channels);
  }
  return { width, height, channels, data };
}

/** The size of a `width` x `height` image scaled to fit the viewport, keeping its aspect ratio. */
export function fitSize(width: number, height: number, viewport: Viewport): { width: number; height: number } {
  const scale = Math.min(viewport.width / width, viewport.height / height);
  return {
    width: Math.min(viewport.width, Math.max(1, Math.round(width * scale))),
    height: Math.min(viewport.height, Math.max(1, Math.round(height * scale))),
  };
}

/** For each output index, the source range [start, end) it covers. */
function spans(source: number, target: number): Int32Array {
  const bounds = new Int32Array(target * 2);
  for (let i = 0; i < target; i++) {
    const start = Math.min(Math.floor((i * source) / target), source - 1);
    const end = Math.max(start + 1, Math.min(Math.floor(((i + 1) * source) / target), source));
    bounds[2 * i] = start;
    bounds[2 * i + 1] = end;
  }
  return bounds;
}

/** Scales the raster to exactly `width` x `height` with a box filter. */
export function resize(raster: Raster, width: number, height: number): Raster {
  if (width === raster.width && height === raster.height) return raster;
  const { channels } = raster;
  const xs = spans(raster.width, width);
  const ys = spans(raster.height, height);
  const data = new Uint8Array(width * height * channels);
  const sums = new Float64Array(channels);
  for (let y = 0; y < height; y++) {
    const sy0 = ys[2 * y]!;
    const sy1 = ys[2 * y + 1]!;
    for (let x = 0; x < width; x++) {
      const sx0 = xs[2 * x]!;
      const sx1 = xs[2 * x + 1]!;
      sums.fill(0);
      for (let sy = sy0; sy < sy1; sy++) {
        let at = (sy * raster.width + sx0) * channels;
        for (let sx = sx0; sx < sx1; sx++) for (let c = 0; c < channels; c++) sums[c]! += raster.data[at++]!;
      }
      const count = (sy1 - sy0) * (sx1 - sx0);
      const out = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) data[out + c] = Math.round(sums[c]! / count);
    }
  }
  return { width, height, channels, data };
}

/** Crops to the region (when given), then scales to fit the viewport (when given). */
export function fitToViewport(raster: Raster, viewport?: Viewport, region?: Region): Raster {
  const cropped = region === undefined ? raster : crop(raster, region);
  if (viewport === undefined) return cropped;
  checkViewport(viewport);
  const size = fitSize(cropped.width, cropped.height, viewport);
  return resize(cropped, size.width, size.height);
}
