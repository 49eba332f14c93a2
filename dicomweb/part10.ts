/**
 * Reading one DICOM Part 10 file (PS3.10 7.1) with dcmjs into what the store needs: its UIDs,
 * its transfer syntax and its dataset as DICOM JSON. Anything that is not a readable, complete
 * instance is refused with "cannot understand" (0xC000) and a reason.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#sect_7.1
 */
import dcmjs, { type DcmjsDataset } from 'dcmjs';
import type { DicomJson } from './dicom-json.ts';
import { toDicomJson } from './dataset-json.ts';
import { cannotUnderstand } from './store-failure.ts';
import { isUid } from './uids.ts';
import { isNative } from './pixels/index.ts';

// dcmjs logs through loglevel; its warnings can quote element values, which may be patient data.
dcmjs.log.setLevel('silent');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

export interface ParsedInstance {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  /** The dataset without the file meta information, bulk data as BulkDataURI. */
  dataset: DicomJson;
}

const PREAMBLE_AND_PREFIX = 132;

/** The path of an instance relative to the DICOMweb base. */
export function instancePath(studyUid: string, seriesUid: string, sopInstanceUid: string): string {
  return `studies/${studyUid}/series/${seriesUid}/instances/${sopInstanceUid}`;
}

/** Reads a Part 10 file with dcmjs (its dataset keyed by tag), or refuses it. */
export function readPart10(bytes: Uint8Array): { meta: DcmjsDataset; dict: DcmjsDataset } {
  if (bytes.length < PREAMBLE_AND_PREFIX || Buffer.from(bytes.buffer, bytes.byteOffset + 128, 4).toString('latin1') !== 'DICM') {
    throw cannotUnderstand('not a DICOM Part 10 file: no "DICM" prefix after the 128-byte preamble');
  }
  // dcmjs reads an ArrayBuffer: the bytes' own when they fill it (a large part), else a copy of them.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const buffer = whole ? (bytes.buffer as ArrayBuffer) : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  try {
    return dcmjs.data.DicomMessage.readFile(buffer, { noCopy: true });
  } catch (err) {
    throw cannotUnderstand(`the file cannot be read as DICOM: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300));
  }
}

/** Parses one instance as received; throws StoreFailure when it cannot be stored as such. */
export function parseInstance(bytes: Uint8Array): ParsedInstance {
  const { meta, dict } = readPart10(bytes);
  const transferSyntaxUid = uid(meta, '00020010', 'TransferSyntaxUID (0002,0010)');
  const studyUid = uid(dict, '0020000D', 'StudyInstanceUID (0020,000D)');
  const seriesUid = uid(dict, '0020000E', 'SeriesInstanceUID (0020,000E)');
  const sopInstanceUid = uid(dict, '00080018', 'SOPInstanceUID (0008,0018)');
  const sopClassUid = uid(dict, '00080016', 'SOPClassUID (0008,0016)');
  const metaInstance = stringValue(meta, '00020003');
  if (metaInstance && metaInstance !== sopInstanceUid) {
    throw cannotUnderstand(`MediaStorageSOPInstanceUID (0002,0003) ${metaInstance} differs from SOPInstanceUID (0008,0018) ${sopInstanceUid}`);
  }
  checkPixelDataComplete(dict, transferSyntaxUid);
  const dataset = toDicomJson(dict, instancePath(studyUid, seriesUid, sopInstanceUid));
  return { studyUid, seriesUid, sopInstanceUid, sopClassUid, transferSyntaxUid, dataset };
}

function stringValue(dataset: DcmjsDataset, tag: string): string | undefined {
  const value = dataset[tag]?.Value;
  const first = Array.isArray(value) ? value[0] : undefined;
  return typeof first === 'string' ? first.replace(/\0/g, '').trim() : undefined;
}

function uid(dataset: DcmjsDataset, tag: string, name: string): string {
  const value = stringValue(dataset, tag);
  if (!value) throw cannotUnderstand(`${name} is missing`);
  if (!isUid(value)) throw cannotUnderstand(`${name} "${value.slice(0, 70)}" is not a valid UID`);
  return value;
}

function numberValue(dataset: DcmjsDataset, tag: string, fallback: number): number {
  const value = dataset[tag]?.Value;
  const first = Array.isArray(value) ? Number(value[0]) : NaN;
  return Number.isFinite(first) ? first : fallback;
}

/** dcmjs reads what is there when a value is cut short: a truncated file shows as short pixel data. */
function checkPixelDataComplete(dict: DcmjsDataset, transferSyntaxUid: string): void {
  const pixels = dict['7FE00010'];
  if (!pixels || !isNative(transferSyntaxUid)) return;
  const rows = numberValue(dict, '00280010', 0);
  const columns = numberValue(dict, '00280011', 0);
  const samples = numberValue(dict, '00280002', 1);
  const bitsAllocated = numberValue(dict, '00280100', 16);
  const frames = numberValue(dict, '00280008', 1);
  const expected = Math.ceil((rows * columns * samples * frames * bitsAllocated) / 8);
  const values = Array.isArray(pixels.Value) ? pixels.Value : [];
  const actual = values.reduce<number>((sum, part) => sum + (part instanceof ArrayBuffer || ArrayBuffer.isView(part) ? part.byteLength : 0), 0);
  if (actual < expected) throw cannotUnderstand(`the pixel data is truncated: ${actual} bytes where ${rows}x${columns}x${samples}x${frames} at ${bitsAllocated} bits need ${expected}`);
}
