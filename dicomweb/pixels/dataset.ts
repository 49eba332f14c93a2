/**
 * The few things the pixel modules read from a parsed dataset, typed. A dataset is the dcmjs
 * `dict` (keys are tags as 8 upper-case hex digits, each `{ vr, Value }`), which is also the shape
 * of the DICOM JSON Model; binary values are ArrayBuffers (or views) as dcmjs leaves them.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#chapter_F
 */

export interface DicomElement {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
}

export type DicomDict = Record<string, DicomElement>;

/** Tags used by the pixel modules (PS3.3 C.7.6.3 Image Pixel, C.11 LUTs, C.7.6.16 frames). */
export const Tag = {
  SamplesPerPixel: '00280002',
  PhotometricInterpretation: '00280004',
  PlanarConfiguration: '00280006',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  HighBit: '00280102',
  PixelRepresentation: '00280103',
  WindowCenter: '00281050',
  WindowWidth: '00281051',
  RescaleIntercept: '00281052',
  RescaleSlope: '00281053',
  VoiLutFunction: '00281056',
  RedPaletteDescriptor: '00281101',
  GreenPaletteDescriptor: '00281102',
  BluePaletteDescriptor: '00281103',
  RedPaletteData: '00281201',
  GreenPaletteData: '00281202',
  BluePaletteData: '00281203',
  ModalityLutSequence: '00283000',
  VoiLutSequence: '00283010',
  LutDescriptor: '00283002',
  LutData: '00283006',
  PixelValueTransformationSequence: '00289145',
  FrameVoiLutSequence: '00289132',
  SharedFunctionalGroupsSequence: '52009229',
  PerFrameFunctionalGroupsSequence: '52009230',
  ExtendedOffsetTable: '7FE00001',
  ExtendedOffsetTableLengths: '7FE00002',
  PixelData: '7FE00010',
} as const;

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/** The value at `index` (default the first) of a numeric element (US, IS, DS, ...), or undefined. */
export function numberAt(dict: DicomDict, tag: string, index = 0): number | undefined {
  return toNumber(dict[tag]?.Value?.[index]);
}

/** Every numeric value of an element, skipping empty ones. */
export function numbers(dict: DicomDict, tag: string): number[] {
  return (dict[tag]?.Value ?? []).flatMap((value) => {
    const number = toNumber(value);
    return number === undefined ? [] : [number];
  });
}

/** The first value of a text element, trimmed, or undefined when absent or empty. */
export function text(dict: DicomDict, tag: string): string | undefined {
  const value = dict[tag]?.Value?.[0];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function isDict(value: unknown): value is DicomDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer);
}

/** The items of a sequence element (SQ), each a dataset of its own. */
export function items(dict: DicomDict, tag: string): DicomDict[] {
  return (dict[tag]?.Value ?? []).filter(isDict);
}

/** A binary value as a Buffer over the same memory (no copy), or undefined when it is not binary. */
export function asBuffer(value: unknown): Buffer | undefined {
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) {
    // dcmjs in no-copy mode hands a frame over as its list of fragments.
    const parts = value.map(asBuffer);
    return parts.every((part) => part !== undefined) ? Buffer.concat(parts as Buffer[]) : undefined;
  }
  return undefined;
}

/**
 * The binary values of an element (OB, OW, OV...): one Buffer per entry of `Value` (for
 * encapsulated Pixel Data dcmjs gives one entry per frame or per fragment), or the decoded
 * `InlineBinary` of the DICOM JSON Model. Undefined when the element is absent or not binary.
 */
export function binaryValues(dict: DicomDict, tag: string): Buffer[] | undefined {
  const element = dict[tag];
  if (element === undefined) return undefined;
  if (element.Value !== undefined) {
    const buffers = element.Value.map(asBuffer);
    return buffers.every((buffer) => buffer !== undefined) ? (buffers as Buffer[]) : undefined;
  }
  if (typeof element.InlineBinary === 'string') return [Buffer.from(element.InlineBinary, 'base64')];
  return undefined;
}

/** The binary values of an element joined into one Buffer (LUT data, offset tables). */
export function binary(dict: DicomDict, tag: string): Buffer | undefined {
  const buffers = binaryValues(dict, tag);
  if (buffers === undefined) return undefined;
  return buffers.length === 1 ? buffers[0] : Buffer.concat(buffers);
}
