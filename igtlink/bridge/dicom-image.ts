/**
 * An OpenIGTLink IMAGE as a DICOM Part 10 instance (explicit VR little endian): Ultrasound Image
 * Storage for an ultrasound device's 8-bit 2D frames, otherwise Secondary Capture (single-frame
 * for 2D, the multi-frame SC classes for a volume). The geometry of the message is kept as Image
 * Plane attributes in DICOM's patient coordinates (LPS; RAS is turned), which Secondary Capture
 * does not require but lets a viewer measure on the image (a Standard Extended SOP Class).
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.8.html (SC)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.6.html (US)
 */
import dcmjs, { type DcmjsDataset } from 'dcmjs';
import { DICOM_IMPLEMENTATION } from '../../profiles/index.ts';
import type { ImageContent, Vec3 } from '../codec/index.ts';
import { dicomPixels, type DicomPixels } from './dicom-pixels.ts';

const SOP_CLASS = {
  secondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
  multiFrameGrayscaleByte: '1.2.840.10008.5.1.4.1.1.7.2',
  multiFrameGrayscaleWord: '1.2.840.10008.5.1.4.1.1.7.3',
  multiFrameTrueColor: '1.2.840.10008.5.1.4.1.1.7.4',
  ultrasound: '1.2.840.10008.5.1.4.1.1.6.1',
} as const;
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Who the image is of, as the room's encounter says. */
export interface ImagePatient {
  id: string;
  issuer?: { namespace: string; universalId: string; universalIdType: string };
  /** DICOM PN: Family^Given */
  name?: string;
  /** YYYYMMDD */
  birthDate?: string;
  sex?: 'M' | 'F' | 'O';
}

export interface ImageInstance {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  seriesNumber: number;
  instanceNumber: number;
  /** StudyID (SH, at most 16 characters) and StudyDescription. */
  studyId: string;
  studyDescription: string;
  /** What acquired the image: the device name and the operating room. */
  deviceName: string;
  room: string;
  /** The device's clock when it acquired the image. */
  acquired: Date;
  /** An ultrasound device (its kind, or Modality=US in the message's metadata). */
  ultrasound: boolean;
  patient?: ImagePatient;
}

/** The part of dcmjs's writer used here (dicomweb/dcmjs.d.ts declares the reader). */
type DicomDictWriter = new (meta: DcmjsDataset) => { dict: DcmjsDataset; write(): ArrayBuffer };
const DicomDict = (dcmjs.data as unknown as { DicomDict: DicomDictWriter }).DicomDict;

/** The instance's Part 10 bytes; throws UnstorableImageError for pixels DICOM cannot hold. */
export function dicomImage(image: ImageContent, instance: ImageInstance): Buffer {
  const pixels = dicomPixels(image);
  const sopClassUid = sopClassOf(pixels, instance.ultrasound);
  const ultrasound = sopClassUid === SOP_CLASS.ultrasound;
  const [date, time] = dicomDateTime(instance.acquired);
  const text = (vr: string, value: string | undefined): { vr: string; Value?: string[] } => (value ? { vr, Value: [value] } : { vr, Value: [] });
  const number = (vr: string, ...values: number[]): { vr: string; Value: number[] } => ({ vr, Value: values });
  const decimal = (...values: number[]): { vr: string; Value: string[] } => ({ vr: 'DS', Value: values.map(decimalString) });
  const patient = instance.patient;
  const dataset: DcmjsDataset = {
    '00080005': text('CS', 'ISO_IR 192'),
    '00080008': { vr: 'CS', Value: ultrasound ? ['ORIGINAL', 'PRIMARY'] : ['DERIVED', 'SECONDARY'] },
    '00080016': text('UI', sopClassUid),
    '00080018': text('UI', instance.sopInstanceUid),
    '00080020': text('DA', date),
    '00080023': text('DA', date),
    '00080030': text('TM', time),
    '00080033': text('TM', time),
    '00080050': text('SH', undefined),
    '00080060': text('CS', ultrasound || instance.ultrasound ? 'US' : 'OT'),
    ...(ultrasound ? {} : { '00080064': text('CS', 'WSD') }),
    '00080070': text('LO', 'Passerelle (OpenIGTLink bridge)'),
    '00080090': text('PN', undefined),
    '00081010': text('SH', instance.deviceName.slice(0, 16)),
    '00081030': text('LO', instance.studyDescription.slice(0, 64)),
    '0008103E': text('LO', `${instance.deviceName} (OpenIGTLink)`.slice(0, 64)),
    '00081040': text('LO', instance.room.slice(0, 64)),
    '00100010': text('PN', patient?.name),
    '00100020': text('LO', patient?.id),
    ...(patient?.issuer?.namespace ? { '00100021': text('LO', patient.issuer.namespace) } : {}),
    ...(patient?.issuer?.universalId ? {
      '00100024': { vr: 'SQ', Value: [{ '00400032': text('UT', patient.issuer.universalId), '00400033': text('CS', patient.issuer.universalIdType) }] },
    } : {}),
    '00100030': text('DA', patient?.birthDate),
    '00100040': text('CS', patient?.sex),
    ...(ultrasound ? {} : { '00181012': text('DA', date), '00181014': text('TM', time) }),
    '0020000D': text('UI', instance.studyUid),
    '0020000E': text('UI', instance.seriesUid),
    '00200010': text('SH', instance.studyId.slice(0, 16)),
    '00200011': { vr: 'IS', Value: [String(instance.seriesNumber)] },
    '00200013': { vr: 'IS', Value: [String(instance.instanceNumber)] },
    '00200020': { vr: 'CS', Value: [] },
    '00200060': { vr: 'CS', Value: [] },
    ...planeOf(image, pixels, decimal),
    '00280002': number('US', pixels.samplesPerPixel),
    '00280004': text('CS', pixels.photometric),
    ...(pixels.samplesPerPixel === 3 ? { '00280006': number('US', 0) } : {}),
    ...(pixels.frames > 1 ? framesOf(image, pixels, decimal) : {}),
    '00280010': number('US', pixels.rows),
    '00280011': number('US', pixels.columns),
    '00280100': number('US', pixels.bitsAllocated),
    '00280101': number('US', pixels.bitsAllocated),
    '00280102': number('US', pixels.bitsAllocated - 1),
    '00280103': number('US', 0),
    ...(pixels.rescale ? { '00281052': decimal(pixels.rescale.intercept), '00281053': decimal(pixels.rescale.slope), '00281054': text('LO', 'US') } : {}),
    '00280301': text('CS', 'NO'),
    '00282110': text('CS', '00'),
    // The multi-frame grayscale SC classes require the shape of the presentation LUT.
    ...(pixels.frames > 1 && pixels.samplesPerPixel === 1 ? { '20500020': text('CS', 'IDENTITY') } : {}),
  };
  const meta: DcmjsDataset = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': text('UI', sopClassUid),
    '00020003': text('UI', instance.sopInstanceUid),
    '00020010': text('UI', EXPLICIT_VR_LITTLE_ENDIAN),
    '00020012': text('UI', DICOM_IMPLEMENTATION.classUid),
    '00020013': text('SH', DICOM_IMPLEMENTATION.versionName),
  };
  const file = new DicomDict(meta);
  file.dict = dataset;
  // Pixel Data is written here, after the rest: dcmjs need not copy a large buffer through its writer.
  return Buffer.concat([Buffer.from(file.write()), pixelDataElement(pixels)]);
}

function sopClassOf(pixels: DicomPixels, ultrasound: boolean): string {
  if (pixels.frames === 1) return ultrasound && pixels.bitsAllocated === 8 ? SOP_CLASS.ultrasound : SOP_CLASS.secondaryCapture;
  if (pixels.samplesPerPixel === 3) return SOP_CLASS.multiFrameTrueColor;
  return pixels.bitsAllocated === 8 ? SOP_CLASS.multiFrameGrayscaleByte : SOP_CLASS.multiFrameGrayscaleWord;
}

/**
 * Image Plane attributes of the first frame, in LPS. The message's matrix holds the axes scaled
 * by the spacing and the centre of the whole volume; the first voxel of the subvolume is the
 * centre moved back half the volume along each axis, then forward by the subvolume's offset.
 */
function planeOf(image: ImageContent, pixels: DicomPixels, decimal: (...values: number[]) => { vr: string; Value: string[] }): DcmjsDataset {
  const m = image.matrix;
  const turn = image.coordinate === 'RAS' ? ([-1, -1, 1] as const) : ([1, 1, 1] as const);
  const axis = (n: number): Vec3 => [(m[n * 3] as number) * turn[0], (m[n * 3 + 1] as number) * turn[1], (m[n * 3 + 2] as number) * turn[2]];
  const [i, j, k] = [axis(0), axis(1), axis(2)];
  const length = (v: Vec3): number => Math.hypot(...v);
  const unit = (v: Vec3): Vec3 => (length(v) > 0 ? (v.map((c) => c / length(v)) as Vec3) : v);
  if (length(i) === 0 || length(j) === 0) return {};
  const centre: Vec3 = [m[9] * turn[0], m[10] * turn[1], m[11] * turn[2]];
  const first = centre.map((c, n) => c + [i, j, k].reduce((sum, a, d) => sum + (a[n] as number) * ((image.subvolumeOffset[d] as number) - ((image.size[d] as number) - 1) / 2), 0));
  const plane: DcmjsDataset = {
    '00200032': decimal(...first),
    '00200037': decimal(...unit(i), ...unit(j)),
    '00280030': decimal(length(j), length(i)),
  };
  if (length(k) > 0 && pixels.frames === 1) plane['00180050'] = decimal(length(k));
  return plane;
}

/**
 * The frames of a volume are its slices: the multi-frame SC classes say so with a Frame
 * Increment Pointer to the Slice Location Vector, each frame's distance from the first in mm.
 */
function framesOf(image: ImageContent, pixels: DicomPixels, decimal: (...values: number[]) => { vr: string; Value: string[] }): DcmjsDataset {
  const step = Math.hypot(image.matrix[6], image.matrix[7], image.matrix[8]);
  return {
    '00180088': decimal(step),
    '00182005': decimal(...Array.from({ length: pixels.frames }, (_, n) => n * step)),
    '00280008': { vr: 'IS', Value: [String(pixels.frames)] },
    '00280009': { vr: 'AT', Value: [0x00182005] },
  };
}

/** A DS value: at most 16 characters (PS3.5 6.2). */
function decimalString(value: number): string {
  const rounded = Number(value.toPrecision(10));
  const text = Object.is(rounded, -0) ? '0' : String(rounded);
  return text.length <= 16 ? text : rounded.toExponential(8);
}

function dicomDateTime(at: Date): [string, string] {
  const iso = at.toISOString();
  return [iso.slice(0, 10).replaceAll('-', ''), `${iso.slice(11, 19).replaceAll(':', '')}.${iso.slice(20, 23)}`];
}

/** (7FE0,0010) OB or OW, explicit VR little endian: tag, VR, 2 reserved bytes, 4-byte length, value. */
function pixelDataElement(pixels: DicomPixels): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(0x7fe0, 0);
  head.writeUInt16LE(0x0010, 2);
  head.write(pixels.bitsAllocated === 8 ? 'OB' : 'OW', 4, 'latin1');
  head.writeUInt32LE(pixels.data.length, 8);
  return Buffer.concat([head, pixels.data]);
}
