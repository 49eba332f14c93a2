/** The OpenIGTLink codec: headers, CRC-64, every message type's content, version 3 metadata, stream framing. No network. */
export { crc64 } from './crc64.ts';
export { IgtlDecodeError, STATUS_CODE } from './errors.ts';
export { decodeHeader, encodeHeader, HEADER_SIZE, DEFAULT_MAX_BODY_SIZE, timestampFromMillis, timestampToMillis, type IgtlHeader, type IgtlTimestamp } from './header.ts';
export { decodeBody, encodeMessage, type IgtlMessage, type UnknownMessage } from './message.ts';
export { FrameReader, type Frame } from './frame-reader.ts';
export { isSupportedType, SUPPORTED_TYPES, type IgtlContent, type IgtlType } from './content.ts';
export { pixelBytes, spacingOf, SCALAR_BYTES, type ImageContent } from './image.ts';
export { STATUS_NAMES, type StatusContent } from './status.ts';
export type { Matrix34, PositionContent, Quaternion, TransformContent, Vec3 } from './transform.ts';
export type { InstrumentType, QtdataContent, QtdataElement, StartTrackingContent, TdataContent, TdataElement, TrackingReplyContent } from './tracking.ts';
export type { StringContent } from './string.ts';
export type { Point, PointContent } from './point.ts';
export type { CapabilityContent, EmptyContent } from './capability.ts';
