/**
 * Every message type Passerelle reads and writes, and the codec of each one's content.
 */
import { decodeCapability, decodeEmpty, EMPTY_TYPES, encodeCapability, type CapabilityContent, type EmptyContent } from './capability.ts';
import { decodeImage, encodeImage, type ImageContent } from './image.ts';
import { decodePoint, encodePoint, type PointContent } from './point.ts';
import { decodeStatus, encodeStatus, type StatusContent } from './status.ts';
import { decodeString, encodeString, type StringContent } from './string.ts';
import {
  decodeQtdata, decodeStartTracking, decodeTdata, decodeTrackingReply, encodeQtdata, encodeStartTracking, encodeTdata, encodeTrackingReply,
  type QtdataContent, type StartTrackingContent, type TdataContent, type TrackingReplyContent,
} from './tracking.ts';
import { decodePosition, decodeTransform, encodePosition, encodeTransform, type PositionContent, type TransformContent } from './transform.ts';

export type IgtlContent =
  | TransformContent | PositionContent | QtdataContent | TdataContent | StartTrackingContent | TrackingReplyContent
  | StatusContent | StringContent | PointContent | ImageContent | CapabilityContent | EmptyContent;

export type IgtlType = IgtlContent['type'];

interface Codec {
  encode(content: IgtlContent): Buffer;
  decode(bytes: Buffer): IgtlContent;
}

const as = <T extends IgtlContent>(encode: (content: T) => Buffer, decode: (bytes: Buffer) => T): Codec => ({ encode: encode as (content: IgtlContent) => Buffer, decode });

const CODECS: Readonly<Record<IgtlType, Codec>> = {
  TRANSFORM: as(encodeTransform, decodeTransform),
  POSITION: as(encodePosition, decodePosition),
  QTDATA: as(encodeQtdata, decodeQtdata),
  TDATA: as(encodeTdata, decodeTdata),
  STT_QTDATA: as(encodeStartTracking, (bytes) => decodeStartTracking('STT_QTDATA', bytes)),
  STT_TDATA: as(encodeStartTracking, (bytes) => decodeStartTracking('STT_TDATA', bytes)),
  RTS_QTDATA: as(encodeTrackingReply, (bytes) => decodeTrackingReply('RTS_QTDATA', bytes)),
  RTS_TDATA: as(encodeTrackingReply, (bytes) => decodeTrackingReply('RTS_TDATA', bytes)),
  STATUS: as(encodeStatus, decodeStatus),
  STRING: as(encodeString, decodeString),
  POINT: as(encodePoint, decodePoint),
  IMAGE: as(encodeImage, decodeImage),
  CAPABILITY: as(encodeCapability, decodeCapability),
  ...(Object.fromEntries(EMPTY_TYPES.map((type) => [type, as<EmptyContent>(() => Buffer.alloc(0), (bytes) => decodeEmpty(type, bytes))])) as Record<EmptyContent['type'], Codec>),
};

/** The types this codec knows, as a CAPABILITY answer lists them. */
export const SUPPORTED_TYPES: readonly IgtlType[] = Object.keys(CODECS) as IgtlType[];

export function isSupportedType(type: string): type is IgtlType {
  return Object.hasOwn(CODECS, type);
}

export function encodeContent(content: IgtlContent): Buffer {
  return CODECS[content.type].encode(content);
}

/** Decodes a known type's content; the caller checks `isSupportedType` first. */
export function decodeContent(type: IgtlType, bytes: Buffer): IgtlContent {
  return CODECS[type].decode(bytes);
}
