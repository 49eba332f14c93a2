/**
 * Reading and writing the Part 10 files the profile works on, with dcmjs, so that the pixel
 * data leaves exactly as it came: dcmjs re-fragments encapsulated pixel data when it writes it,
 * so the original Pixel Data element's bytes are copied into the output instead. Deflated files
 * (whose pixel data is native, inside the deflate stream) are written by dcmjs and deflated here,
 * which dcmjs's writer does not do.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part10/chapter_7.html
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part05/sect_7.5.html (items, delimiters)
 */
import { deflateRawSync } from 'node:zlib';
import dcmjs, { type DcmjsDataset, type DicomDict } from 'dcmjs';

// dcmjs logs through loglevel; its warnings can quote element values, which may be patient data.
dcmjs.log.setLevel('silent');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

const PIXEL_DATA = '7FE00010';
const PREAMBLE_AND_PREFIX = 132;
const DEFLATED = '1.2.840.10008.1.2.1.99';
const IMPLICIT_LITTLE = '1.2.840.10008.1.2';
const EXPLICIT_BIG = '1.2.840.10008.1.2.2';
const UNDEFINED_LENGTH = 0xffffffff;
/** Explicit VRs whose length takes 4 bytes after 2 reserved ones (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

/** The part of dcmjs's writer Passerelle uses (dicomweb/dcmjs.d.ts declares the reader). */
type DicomDictWriter = new (meta: DcmjsDataset) => { dict: DcmjsDataset; write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer };
const DicomDictClass = (dcmjs.data as unknown as { DicomDict: DicomDictWriter }).DicomDict;

export class UnreadableDicomError extends Error {}

export interface ReadFile extends DicomDict {
  transferSyntaxUid: string;
  /** The bytes of the top-level Pixel Data element (tag to end), when not inside a deflate stream. */
  rawPixelData: Buffer | undefined;
}

/** Reads a Part 10 file, or throws UnreadableDicomError (without quoting its content). */
export function readDicomFile(bytes: Buffer): ReadFile {
  if (bytes.length < PREAMBLE_AND_PREFIX + 12 || bytes.toString('latin1', 128, 132) !== 'DICM') {
    throw new UnreadableDicomError('not a DICOM Part 10 file: no "DICM" prefix after the 128-byte preamble');
  }
  let parsed: DicomDict;
  try {
    parsed = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (err) {
    throw new UnreadableDicomError(`the file cannot be read as DICOM (${err instanceof Error ? err.name : 'error'})`);
  }
  const transferSyntaxUid = firstText(parsed.meta, '00020010');
  if (!transferSyntaxUid) throw new UnreadableDicomError('the file meta information has no TransferSyntaxUID (0002,0010)');
  let rawPixelData: Buffer | undefined;
  if (parsed.dict[PIXEL_DATA] && transferSyntaxUid !== DEFLATED) {
    rawPixelData = topLevelElement(bytes, datasetStart(bytes), transferSyntaxUid, PIXEL_DATA);
    if (!rawPixelData) throw new UnreadableDicomError('the Pixel Data element could not be located in the file');
  }
  return { ...parsed, transferSyntaxUid, rawPixelData };
}

/**
 * Writes a dataset and its meta as a Part 10 file in the original transfer syntax. With
 * `rawPixelData`, the dataset's own Pixel Data (and anything after it, which the profile has
 * already removed: padding, signatures, private groups) is replaced by those original bytes.
 */
export function writeDicomFile(meta: DcmjsDataset, dict: DcmjsDataset, rawPixelData: Buffer | undefined): Buffer {
  const transferSyntaxUid = firstText(meta, '00020010') ?? '';
  const file = new DicomDictClass(meta);
  file.dict = rawPixelData ? Object.fromEntries(Object.entries(dict).filter(([tag]) => tag.toUpperCase() < PIXEL_DATA)) : dict;
  // Kept values are written as read: a length the input got wrong is not ours to refuse.
  const written = Buffer.from(file.write({ allowInvalidVRLength: true }));
  if (transferSyntaxUid === DEFLATED) {
    const start = datasetStart(written);
    return Buffer.concat([written.subarray(0, start), deflateRawSync(written.subarray(start))]);
  }
  return rawPixelData ? Buffer.concat([written, rawPixelData]) : written;
}

/** Where the dataset begins: after the preamble, the prefix and the group length's value. */
function datasetStart(bytes: Buffer): number {
  // (0002,0000) UL, explicit little endian: tag 4, VR 2, length 2, then the 4-byte value.
  return PREAMBLE_AND_PREFIX + 12 + bytes.readUInt32LE(PREAMBLE_AND_PREFIX + 8);
}

interface Encoding {
  little: boolean;
  explicit: boolean;
}

/** The bytes of one top-level element, found by walking the element headers (values skipped). */
function topLevelElement(bytes: Buffer, start: number, transferSyntaxUid: string, wanted: string): Buffer | undefined {
  const encoding = { little: transferSyntaxUid !== EXPLICIT_BIG, explicit: transferSyntaxUid !== IMPLICIT_LITTLE };
  const target = parseInt(wanted, 16);
  let offset = start;
  try {
    while (offset + 8 <= bytes.length) {
      const header = readHeader(bytes, offset, encoding);
      const end = header.length === UNDEFINED_LENGTH ? skipUndefined(bytes, header.valueStart, header.vr === 'UN' ? { little: true, explicit: false } : encoding) : header.valueStart + header.length;
      if (header.tag === target) return end <= bytes.length ? bytes.subarray(offset, end) : undefined;
      if (header.tag > target) return undefined;
      offset = end;
    }
  } catch {
    return undefined; // a header running past the end: the file is cut short
  }
  return undefined;
}

function readHeader(bytes: Buffer, offset: number, encoding: Encoding): { tag: number; vr: string; length: number; valueStart: number } {
  const u16 = (at: number): number => (encoding.little ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at: number): number => (encoding.little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const group = u16(offset);
  const tag = ((group << 16) | u16(offset + 2)) >>> 0;
  // Items and delimiters (FFFE,xxxx) never have a VR, in any transfer syntax.
  if (!encoding.explicit || group === 0xfffe) return { tag, vr: '', length: u32(offset + 4), valueStart: offset + 8 };
  const vr = bytes.toString('latin1', offset + 4, offset + 6);
  if (LONG_VRS.has(vr)) return { tag, vr, length: u32(offset + 8), valueStart: offset + 12 };
  return { tag, vr, length: u16(offset + 6), valueStart: offset + 8 };
}

const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;

/** The end of an undefined-length value: items (datasets or fragments) up to the sequence delimiter. */
function skipUndefined(bytes: Buffer, offset: number, encoding: Encoding): number {
  for (;;) {
    const header = readHeader(bytes, offset, encoding);
    if (header.tag === SEQUENCE_END) return header.valueStart;
    if (header.tag !== ITEM) throw new RangeError('unexpected element in a sequence');
    offset = header.length === UNDEFINED_LENGTH ? skipItemDataset(bytes, header.valueStart, encoding) : header.valueStart + header.length;
  }
}

function skipItemDataset(bytes: Buffer, offset: number, encoding: Encoding): number {
  for (;;) {
    const header = readHeader(bytes, offset, encoding);
    if (header.tag === ITEM_END) return header.valueStart;
    offset = header.length === UNDEFINED_LENGTH ? skipUndefined(bytes, header.valueStart, header.vr === 'UN' ? { little: true, explicit: false } : encoding) : header.valueStart + header.length;
  }
}

export function firstText(dataset: DcmjsDataset, tag: string): string | undefined {
  const value = dataset[tag]?.Value;
  const first = Array.isArray(value) ? value[0] : undefined;
  return typeof first === 'string' ? first.replace(/\0/g, '').trim() || undefined : undefined;
}
