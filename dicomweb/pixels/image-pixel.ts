/**
 * The Image Pixel Module attributes that say how a frame's bytes are laid out, read once and
 * checked, plus the size of one native (uncompressed) frame.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_8.1.1
 */
import { type DicomDict, numberAt, Tag, text } from './dataset.ts';
import { FrameError } from './errors.ts';

export interface ImagePixel {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  /** 1, 8, 16 or 32 (native); what the decoded frame holds for compressed syntaxes. */
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: 0 | 1;
  photometricInterpretation: string;
  /** 0 colour-by-pixel (R1G1B1R2...), 1 colour-by-plane (R1R2...G1G2...B1B2...). */
  planarConfiguration: 0 | 1;
  numberOfFrames: number;
}

/** Image sizes above this many samples per frame are refused rather than allocated. */
export const MAX_SAMPLES_PER_FRAME = 2 ** 26;

function required(dict: DicomDict, tag: string, name: string): number {
  const value = numberAt(dict, tag);
  if (value === undefined) throw new FrameError('invalid-attributes', `${name} (${tag.slice(0, 4)},${tag.slice(4)}) is missing`);
  return value;
}

function integerIn(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FrameError('invalid-attributes', `${name} ${value} is not an integer in ${min}..${max}`);
  }
  return value;
}

/**
 * Reads and checks the Image Pixel Module of a dataset. Throws FrameError `no-pixel-data` when
 * the instance has no Pixel Data, `invalid-attributes` when Rows, Columns, Bits Allocated... are
 * missing or impossible.
 */
export function readImagePixel(dict: DicomDict): ImagePixel {
  if (dict[Tag.PixelData] === undefined) {
    throw new FrameError('no-pixel-data', 'the instance has no Pixel Data (7FE0,0010)');
  }
  const rows = integerIn(required(dict, Tag.Rows, 'Rows'), 1, 65535, 'Rows');
  const columns = integerIn(required(dict, Tag.Columns, 'Columns'), 1, 65535, 'Columns');
  const samplesPerPixel = integerIn(numberAt(dict, Tag.SamplesPerPixel) ?? 1, 1, 4, 'Samples per Pixel');
  const bitsAllocated = required(dict, Tag.BitsAllocated, 'Bits Allocated');
  if (![1, 8, 16, 32].includes(bitsAllocated)) {
    throw new FrameError('invalid-attributes', `Bits Allocated ${bitsAllocated} is not 1, 8, 16 or 32`);
  }
  const bitsStored = integerIn(numberAt(dict, Tag.BitsStored) ?? bitsAllocated, 1, bitsAllocated, 'Bits Stored');
  const highBit = integerIn(numberAt(dict, Tag.HighBit) ?? bitsStored - 1, bitsStored - 1, bitsAllocated - 1, 'High Bit');
  const pixelRepresentation = numberAt(dict, Tag.PixelRepresentation) === 1 ? 1 : 0;
  const photometricInterpretation = (text(dict, Tag.PhotometricInterpretation) ?? (samplesPerPixel === 1 ? 'MONOCHROME2' : 'RGB')).toUpperCase();
  const planarConfiguration = samplesPerPixel > 1 && numberAt(dict, Tag.PlanarConfiguration) === 1 ? 1 : 0;
  const numberOfFrames = integerIn(numberAt(dict, Tag.NumberOfFrames) ?? 1, 1, 2 ** 31 - 1, 'Number of Frames');
  if (rows * columns * samplesPerPixel > MAX_SAMPLES_PER_FRAME) {
    throw new FrameError('invalid-attributes', `a ${columns}x${rows} frame of ${samplesPerPixel} samples is larger than this server decodes`);
  }
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation,
    photometricInterpretation,
    planarConfiguration,
    numberOfFrames,
  };
}

/** True for the photometric interpretations whose native form subsamples chroma by two (4:2:2). */
export function isChroma422(photometricInterpretation: string): boolean {
  return photometricInterpretation === 'YBR_FULL_422' || photometricInterpretation === 'YBR_PARTIAL_422';
}

/**
 * The number of bits of one native frame: Rows x Columns x Samples x Bits Allocated, except for
 * YBR_FULL_422 where two pixels share one Cb and one Cr (two samples per pixel on average).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.3.1.2
 */
export function nativeFrameBits(image: ImagePixel): number {
  const samples = isChroma422(image.photometricInterpretation) && image.samplesPerPixel === 3 ? 2 : image.samplesPerPixel;
  return image.rows * image.columns * samples * image.bitsAllocated;
}
