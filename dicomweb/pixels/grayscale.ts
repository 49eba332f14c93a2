/**
 * The grayscale pipeline down to 8-bit display values: Modality LUT (Rescale Slope and Intercept,
 * or a Modality LUT Sequence), then the VOI LUT (a window with its LINEAR, LINEAR_EXACT or SIGMOID
 * function, or a VOI LUT Sequence, or the frame's own range), then MONOCHROME1 inversion.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.11.1
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.11.2.1.2
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_N.2.1
 */
import { type DicomDict, items, numberAt, Tag, text } from './dataset.ts';
import type { DecodedFrame } from './decode.ts';
import { RenderOptionError } from './errors.ts';
import { type LookupTable, lookup, readLut } from './lut.ts';

export type VoiLutFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** A VOI window: center and width in modality units (after rescale), and its function. */
export interface Window {
  center: number;
  width: number;
  function?: VoiLutFunction;
}

/** Throws RenderOptionError unless the window is usable: width >= 1 for LINEAR, > 0 otherwise. */
export function checkWindow(window: Window): void {
  const fn = window.function ?? 'LINEAR';
  if (!Number.isFinite(window.center) || !Number.isFinite(window.width)) throw new RenderOptionError('the window center and width must be numbers');
  if (!['LINEAR', 'LINEAR_EXACT', 'SIGMOID'].includes(fn)) throw new RenderOptionError(`unknown VOI LUT function ${fn}`);
  if (fn === 'LINEAR' ? window.width < 1 : window.width <= 0) {
    throw new RenderOptionError(`window width ${window.width} is out of range for ${fn} (${fn === 'LINEAR' ? '>= 1' : '> 0'})`);
  }
}

/**
 * One value through a window, to 0..255 (not rounded), per PS3.3 C.11.2.1.2.1 (LINEAR),
 * C.11.2.1.3.2 (LINEAR_EXACT) and C.11.2.1.3.1 (SIGMOID) with ymin 0 and ymax 255.
 */
export function applyWindow(x: number, window: Window): number {
  const { center: c, width: w } = window;
  switch (window.function ?? 'LINEAR') {
    case 'LINEAR_EXACT':
      if (x <= c - w / 2) return 0;
      if (x > c + w / 2) return 255;
      return ((x - c) / w + 0.5) * 255;
    case 'SIGMOID':
      return 255 / (1 + Math.exp((-4 * (x - c)) / w));
    default:
      if (x <= c - 0.5 - (w - 1) / 2) return 0;
      if (x > c - 0.5 + (w - 1) / 2) return 255;
      return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
  }
}

/** The Modality LUT stage as a function of the stored value. */
function modalityTransform(attributes: DicomDict, signed: boolean): (stored: number) => number {
  const [lutItem] = items(attributes, Tag.ModalityLutSequence);
  const lut = lutItem === undefined ? undefined : readLut(lutItem, Tag.LutDescriptor, Tag.LutData, signed);
  if (lut !== undefined && numberAt(attributes, Tag.RescaleSlope) === undefined) return (stored) => lookup(lut, stored);
  const slope = numberAt(attributes, Tag.RescaleSlope) ?? 1;
  const intercept = numberAt(attributes, Tag.RescaleIntercept) ?? 0;
  return (stored) => stored * slope + intercept;
}

function datasetWindow(attributes: DicomDict): Window | undefined {
  const center = numberAt(attributes, Tag.WindowCenter);
  const width = numberAt(attributes, Tag.WindowWidth);
  if (center === undefined || width === undefined) return undefined;
  const fn = text(attributes, Tag.VoiLutFunction)?.toUpperCase();
  const window: Window = { center, width, function: fn === 'LINEAR_EXACT' || fn === 'SIGMOID' ? fn : 'LINEAR' };
  try {
    checkWindow(window);
    return window;
  } catch {
    return undefined; // an unusable stored window falls through to the next way of choosing one
  }
}

function voiLut(attributes: DicomDict, signed: boolean): LookupTable | undefined {
  const [item] = items(attributes, Tag.VoiLutSequence);
  return item === undefined ? undefined : readLut(item, Tag.LutDescriptor, Tag.LutData, signed);
}

function storedRange(samples: Int32Array | Uint32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return [min, max];
}

/**
 * Renders a grayscale frame (MONOCHROME1/2, one sample per pixel) to 8-bit values, brightest 255.
 * `attributes` are the frame's attributes (see `frameAttributes`). The window is the option when
 * given, else the dataset's first Window Center/Width, else its VOI LUT Sequence, else the range
 * of the frame's modality values (min to black, max to white).
 */
export function renderGrayscale(attributes: DicomDict, frame: DecodedFrame, window?: Window): Uint8Array {
  if (window !== undefined) checkWindow(window);
  const signed = frame.pixelRepresentation === 1;
  const modality = modalityTransform(attributes, signed);
  const [storedMin, storedMax] = storedRange(frame.samples);
  let voi: (value: number) => number;
  const chosen = window ?? datasetWindow(attributes);
  const lut = chosen === undefined ? voiLut(attributes, signed) : undefined;
  if (chosen !== undefined) {
    voi = (value) => applyWindow(value, chosen);
  } else if (lut !== undefined) {
    const top = 2 ** Math.min(Math.max(lut.bits, 1), 16) - 1;
    voi = (value) => (Math.min(lookup(lut, value), top) / top) * 255;
  } else {
    // Modality LUTs need not be monotonic: take the range over the stored values present.
    let min = Infinity;
    let max = -Infinity;
    const step = storedMax - storedMin > 65536 ? (storedMax - storedMin) / 65536 : 1;
    for (let stored = storedMin; stored <= storedMax; stored += step) {
      const value = modality(stored);
      if (value < min) min = value;
      if (value > max) max = value;
    }
    const value = modality(storedMax);
    min = Math.min(min, value);
    max = Math.max(max, value);
    voi = max > min ? (x) => ((x - min) / (max - min)) * 255 : () => 0;
  }
  const invert = frame.photometricInterpretation === 'MONOCHROME1';
  const toDisplay = (stored: number): number => {
    const y = Math.round(Math.min(Math.max(voi(modality(stored)), 0), 255));
    return invert ? 255 - y : y;
  };
  const out = new Uint8Array(frame.samples.length);
  if (storedMax - storedMin <= 65536) {
    // One evaluation per distinct stored value.
    const table = new Uint8Array(storedMax - storedMin + 1);
    for (let i = 0; i < table.length; i++) table[i] = toDisplay(storedMin + i);
    for (let i = 0; i < out.length; i++) out[i] = table[frame.samples[i]! - storedMin]!;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = toDisplay(frame.samples[i]!);
  }
  return out;
}
