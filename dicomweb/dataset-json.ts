/**
 * dcmjs datasets to the DICOM JSON Model (PS3.18 F.2): values as the model wants them, group
 * lengths dropped, and binary values either inline (small ones, base64) or replaced by a
 * BulkDataURI that WADO-RS serves, so stored metadata never carries pixel data.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_F.2
 */
import type { DcmjsDataset } from 'dcmjs';
import type { DicomElement, DicomJson } from './dicom-json.ts';

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
/** Binary values up to this size are sent inline; larger ones (and pixel data) by reference. */
const INLINE_BINARY_MAX = 256;
const PIXEL_DATA = '7FE00010';

/**
 * `bulkBase` is the instance's path relative to the DICOMweb base (`studies/../instances/..`);
 * a bulk value's URI is `<bulkBase>/bulk/<tag>[/<item>/<tag>...]`.
 */
export function toDicomJson(dataset: DcmjsDataset, bulkBase: string, path = ''): DicomJson {
  const json: DicomJson = {};
  for (const tag of Object.keys(dataset).sort()) {
    if (tag.endsWith('0000')) continue; // group lengths are not part of the model (F.2.1)
    const element = dataset[tag];
    if (!element) continue;
    const vr = element.vr || (tag === PIXEL_DATA ? 'OW' : 'UN');
    json[tag] = toElement(tag, vr, element.Value, bulkBase, path ? `${path}/${tag}` : tag);
  }
  return json;
}

function toElement(tag: string, vr: string, value: unknown, bulkBase: string, path: string): DicomElement {
  if (BINARY_VRS.has(vr)) {
    const bytes = binaryLength(value);
    if (tag === PIXEL_DATA || bytes > INLINE_BINARY_MAX) return { vr, BulkDataURI: `${bulkBase}/bulk/${path}` };
    return bytes === 0 ? { vr } : { vr, InlineBinary: concatBinary(value).toString('base64') };
  }
  const values = Array.isArray(value) ? value : [];
  if (vr === 'SQ') {
    return values.length === 0 ? { vr } : { vr, Value: values.map((item, i) => toDicomJson(item as DcmjsDataset, bulkBase, `${path}/${i}`)) };
  }
  const cleaned = values.map(cleanValue);
  return cleaned.every((v) => v === null) ? { vr } : { vr, Value: cleaned };
}

/** Empty strings become null (an empty value among others, F.2.5); numbers that failed to parse too. */
function cleanValue(value: unknown): unknown {
  if (value === undefined || value === '') return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/** dcmjs gives binary values as ArrayBuffers, typed arrays, or arrays of them (fragments). */
function binaryParts(value: unknown): Uint8Array[] {
  if (value instanceof ArrayBuffer) return [new Uint8Array(value)];
  if (ArrayBuffer.isView(value)) return [new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
  if (Array.isArray(value)) return value.flatMap(binaryParts);
  return [];
}

function binaryLength(value: unknown): number {
  return binaryParts(value).reduce((sum, part) => sum + part.byteLength, 0);
}

export function concatBinary(value: unknown): Buffer {
  return Buffer.concat(binaryParts(value));
}
