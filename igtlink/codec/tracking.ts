/**
 * Tracking data: QTDATA (50 bytes a tool: name, type, position, quaternion) and TDATA (70 bytes a
 * tool: name, type, the TRANSFORM matrix), their start (STT_: resolution in ms and the coordinate
 * system's name), stop (STP_, empty) and the tracker's answer (RTS_: 0 success, 1 error).
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/qtrackingdata.md
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/trackingdata.md
 */
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';
import { readFixedString, writeFixedString } from './fields.ts';
import { readFloats, writeFloats, type Matrix34, type Quaternion, type Vec3 } from './transform.ts';

/** 1 tracker, 2 6D instrument (regular), 3 3D instrument (tip only), 4 5D instrument (tip and axis). */
export type InstrumentType = 1 | 2 | 3 | 4;

export interface QtdataElement {
  name: string;
  instrumentType: InstrumentType;
  position: Vec3;
  quaternion: Quaternion;
}

export interface TdataElement {
  name: string;
  instrumentType: InstrumentType;
  matrix: Matrix34;
}

export interface QtdataContent {
  type: 'QTDATA';
  elements: QtdataElement[];
}

export interface TdataContent {
  type: 'TDATA';
  elements: TdataElement[];
}

export interface StartTrackingContent {
  type: 'STT_QTDATA' | 'STT_TDATA';
  /** Minimum interval between frames in ms (0: as fast as possible). */
  resolution: number;
  coordinateName: string;
}

export interface TrackingReplyContent {
  type: 'RTS_QTDATA' | 'RTS_TDATA';
  /** 0: success, 1: error. */
  status: number;
}

const NAME_LENGTH = 20;
const QTDATA_ELEMENT = 50;
const TDATA_ELEMENT = 70;
const STT_SIZE = 36;
const COORDINATE_LENGTH = 32;

function instrumentType(value: number, where: string): InstrumentType {
  if (value < 1 || value > 4) throw new IgtlDecodeError(STATUS_CODE.configError, `${where}: instrument type ${value} is not 1 to 4`);
  return value as InstrumentType;
}

function elements<T>(bytes: Buffer, size: number, type: string, read: (offset: number, index: number) => T): T[] {
  if (bytes.length % size !== 0) throw new IgtlDecodeError(STATUS_CODE.configError, `a ${type} body is a multiple of ${size} bytes, not ${bytes.length}`);
  return Array.from({ length: bytes.length / size }, (_, i) => read(i * size, i));
}

export function encodeQtdata(content: QtdataContent): Buffer {
  const out = Buffer.alloc(content.elements.length * QTDATA_ELEMENT);
  content.elements.forEach((element, i) => {
    const at = i * QTDATA_ELEMENT;
    writeFixedString(out, at, NAME_LENGTH, element.name, 'a QTDATA tool name');
    out.writeUInt8(element.instrumentType, at + 20);
    writeFloats(out, at + 22, [...element.position, ...element.quaternion]);
  });
  return out;
}

export function decodeQtdata(bytes: Buffer): QtdataContent {
  return {
    type: 'QTDATA',
    elements: elements(bytes, QTDATA_ELEMENT, 'QTDATA', (at, i) => ({
      name: readFixedString(bytes, at, NAME_LENGTH, `QTDATA element ${i + 1}'s name`),
      instrumentType: instrumentType(bytes.readUInt8(at + 20), `QTDATA element ${i + 1}`),
      position: readFloats<Vec3>(bytes, at + 22, 3),
      quaternion: readFloats<Quaternion>(bytes, at + 34, 4),
    })),
  };
}

export function encodeTdata(content: TdataContent): Buffer {
  const out = Buffer.alloc(content.elements.length * TDATA_ELEMENT);
  content.elements.forEach((element, i) => {
    const at = i * TDATA_ELEMENT;
    writeFixedString(out, at, NAME_LENGTH, element.name, 'a TDATA tool name');
    out.writeUInt8(element.instrumentType, at + 20);
    writeFloats(out, at + 22, element.matrix);
  });
  return out;
}

export function decodeTdata(bytes: Buffer): TdataContent {
  return {
    type: 'TDATA',
    elements: elements(bytes, TDATA_ELEMENT, 'TDATA', (at, i) => ({
      name: readFixedString(bytes, at, NAME_LENGTH, `TDATA element ${i + 1}'s name`),
      instrumentType: instrumentType(bytes.readUInt8(at + 20), `TDATA element ${i + 1}`),
      matrix: readFloats<Matrix34>(bytes, at + 22, 12),
    })),
  };
}

export function encodeStartTracking(content: StartTrackingContent): Buffer {
  const out = Buffer.alloc(STT_SIZE);
  out.writeInt32BE(content.resolution, 0);
  writeFixedString(out, 4, COORDINATE_LENGTH, content.coordinateName, 'the coordinate system name');
  return out;
}

export function decodeStartTracking(type: StartTrackingContent['type'], bytes: Buffer): StartTrackingContent {
  if (bytes.length !== STT_SIZE) throw new IgtlDecodeError(STATUS_CODE.configError, `a ${type} body is ${STT_SIZE} bytes, not ${bytes.length}`);
  return { type, resolution: bytes.readInt32BE(0), coordinateName: readFixedString(bytes, 4, COORDINATE_LENGTH, 'the coordinate system name') };
}

export function encodeTrackingReply(content: TrackingReplyContent): Buffer {
  return Buffer.from([content.status & 0xff]);
}

export function decodeTrackingReply(type: TrackingReplyContent['type'], bytes: Buffer): TrackingReplyContent {
  if (bytes.length !== 1) throw new IgtlDecodeError(STATUS_CODE.configError, `a ${type} body is 1 byte, not ${bytes.length}`);
  return { type, status: bytes.readInt8(0) };
}
