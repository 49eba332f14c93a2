/**
 * Colour frames to 8-bit RGB: RGB as is (scaled down from more than 8 bits), YBR_FULL and
 * YBR_PARTIAL converted with the equations of PS3.3 C.7.6.3.1.2, PALETTE COLOR through its
 * Red, Green and Blue Palette Color LUTs.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3.1.2
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3.1.5
 */
import { type DicomDict, Tag } from './dataset.ts';
import type { DecodedFrame } from './decode.ts';
import { FrameError, RenderUnsupported } from './errors.ts';
import { type LookupTable, lookup, readLut } from './lut.ts';

const clamp8 = (value: number): number => (value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value));

/** Scales samples of `bits` bits to 0..255. */
function to8Bit(value: number, bits: number): number {
  if (bits === 8) return clamp8(value);
  return clamp8((value * 255) / (2 ** bits - 1));
}

function convertYbr(samples: Int32Array | Uint32Array, bits: number, partial: boolean): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i + 2 < samples.length; i += 3) {
    const y = to8Bit(samples[i]!, bits);
    const cb = to8Bit(samples[i + 1]!, bits) - 128;
    const cr = to8Bit(samples[i + 2]!, bits) - 128;
    if (partial) {
      const luma = 1.1644 * (y - 16);
      out[i] = clamp8(luma + 1.596 * cr);
      out[i + 1] = clamp8(luma - 0.3918 * cb - 0.813 * cr);
      out[i + 2] = clamp8(luma + 2.0172 * cb);
    } else {
      out[i] = clamp8(y + 1.402 * cr);
      out[i + 1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
      out[i + 2] = clamp8(y + 1.772 * cb);
    }
  }
  return out;
}

function paletteLuts(dict: DicomDict, signed: boolean, bigEndian: boolean): [LookupTable, LookupTable, LookupTable] {
  const red = readLut(dict, Tag.RedPaletteDescriptor, Tag.RedPaletteData, signed, bigEndian);
  const green = readLut(dict, Tag.GreenPaletteDescriptor, Tag.GreenPaletteData, signed, bigEndian);
  const blue = readLut(dict, Tag.BluePaletteDescriptor, Tag.BluePaletteData, signed, bigEndian);
  if (red === undefined || green === undefined || blue === undefined) {
    throw new FrameError('invalid-attributes', 'PALETTE COLOR needs Red, Green and Blue Palette Color LUT descriptors and data (segmented palettes are not supported)');
  }
  return [red, green, blue];
}

function convertPalette(dict: DicomDict, frame: DecodedFrame, bigEndian: boolean): Uint8Array {
  const luts = paletteLuts(dict, frame.pixelRepresentation === 1, bigEndian);
  const out = new Uint8Array(frame.samples.length * 3);
  for (let c = 0; c < 3; c++) {
    const lut = luts[c]!;
    // 16-bit entries (and odd sizes up to 16) scale to 8 bits; 8-bit ones are used as they are.
    const bits = lut.bits > 8 ? 16 : 8;
    const max = 2 ** bits - 1;
    for (let i = 0; i < frame.samples.length; i++) out[i * 3 + c] = clamp8((lookup(lut, frame.samples[i]!) / max) * 255);
  }
  return out;
}

/**
 * Renders a colour frame to 8-bit RGB, colour-by-pixel. `bigEndian` says whether palette LUT
 * data (OW) is still in big endian order. Throws RenderUnsupported for other photometric
 * interpretations (YBR_ICT/RCT only occur inside JPEG 2000 streams).
 */
export function renderColor(dict: DicomDict, frame: DecodedFrame, bigEndian = false): Uint8Array {
  const pi = frame.photometricInterpretation;
  if (pi === 'PALETTE COLOR') {
    if (frame.samplesPerPixel !== 1) throw new FrameError('invalid-attributes', 'PALETTE COLOR frames have one sample per pixel');
    return convertPalette(dict, frame, bigEndian);
  }
  if (frame.samplesPerPixel !== 3) {
    throw new RenderUnsupported(`photometric interpretation ${pi} with ${frame.samplesPerPixel} samples per pixel cannot be rendered by this server`);
  }
  const bits = frame.bitsStored;
  if (pi === 'RGB') {
    if (bits === 8) return Uint8Array.from(frame.samples, clamp8);
    return Uint8Array.from(frame.samples, (value) => to8Bit(value, bits));
  }
  if (pi === 'YBR_FULL' || pi === 'YBR_PARTIAL') return convertYbr(frame.samples, bits, pi === 'YBR_PARTIAL');
  throw new RenderUnsupported(`photometric interpretation ${pi} cannot be rendered by this server`);
}
