/**
 * Whole messages: header and body, with the body's CRC-64 checked, and for protocol version 3
 * the extended header (12 bytes: its size, the metadata header's size, the metadata's size, a
 * message id) before the content and the metadata (an index of key size, value encoding and
 * value size per entry, then the keys and values) after it.
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/header.md
 */
import { crc64 } from './crc64.ts';
import { decodeContent, encodeContent, isSupportedType, type IgtlContent } from './content.ts';
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';
import { encodeHeader, type IgtlHeader, type IgtlTimestamp } from './header.ts';

export interface IgtlMessage {
  /** 1 or 2: the 58-byte header and the content; 3: with the extended header and metadata. */
  version: 1 | 2 | 3;
  deviceName: string;
  timestamp: IgtlTimestamp;
  content: IgtlContent;
  /** Version 3 only. */
  messageId?: number;
  /** Version 3 only: key/value pairs, in order. */
  metadata?: [string, string][];
}

/** A message of a type this codec does not know: its header is enough to answer it. */
export interface UnknownMessage {
  unknownType: string;
  header: IgtlHeader;
}

const EXTENDED_HEADER_SIZE = 12;
const METADATA_ENTRY = 8;
const UTF8 = 106;
const TEXT_ENCODINGS: Readonly<Record<number, BufferEncoding>> = { 3: 'latin1', 4: 'latin1', 106: 'utf8' };

export function encodeMessage(message: IgtlMessage): Buffer {
  const content = encodeContent(message.content);
  const body = message.version === 3 ? withExtendedHeader(content, message.messageId ?? 0, message.metadata ?? []) : content;
  const header = encodeHeader({
    headerVersion: message.version === 3 ? 2 : 1,
    type: message.content.type,
    deviceName: message.deviceName,
    timestamp: message.timestamp,
    bodySize: body.length,
    crc: crc64(body),
  });
  return Buffer.concat([header, body]);
}

function withExtendedHeader(content: Buffer, messageId: number, metadata: [string, string][]): Buffer {
  const entries = metadata.map(([key, value]) => ({ key: Buffer.from(key, 'utf8'), value: Buffer.from(value, 'utf8') }));
  const indexSize = 2 + entries.length * METADATA_ENTRY;
  const dataSize = entries.reduce((sum, { key, value }) => sum + key.length + value.length, 0);
  const extended = Buffer.alloc(EXTENDED_HEADER_SIZE);
  extended.writeUInt16BE(EXTENDED_HEADER_SIZE, 0);
  extended.writeUInt16BE(indexSize, 2);
  extended.writeUInt32BE(dataSize, 4);
  extended.writeUInt32BE(messageId >>> 0, 8);
  const index = Buffer.alloc(indexSize);
  index.writeUInt16BE(entries.length, 0);
  entries.forEach(({ key, value }, i) => {
    if (key.length > 0xffff) throw new RangeError('a metadata key is at most 65535 bytes');
    index.writeUInt16BE(key.length, 2 + i * METADATA_ENTRY);
    index.writeUInt16BE(UTF8, 4 + i * METADATA_ENTRY);
    index.writeUInt32BE(value.length, 6 + i * METADATA_ENTRY);
  });
  return Buffer.concat([extended, content, index, ...entries.flatMap(({ key, value }) => [key, value])]);
}

/**
 * Decodes the body of a message whose header was read: checks the CRC, splits a version 3 body
 * into extended header, content and metadata, and decodes the content.
 * @throws IgtlDecodeError with the STATUS code to answer (9 for a bad CRC)
 */
export function decodeBody(header: IgtlHeader, body: Buffer): IgtlMessage | UnknownMessage {
  if (body.length !== header.bodySize) throw new IgtlDecodeError(STATUS_CODE.unknownError, `the body is ${body.length} bytes, the header says ${header.bodySize}`);
  if (crc64(body) !== header.crc) throw new IgtlDecodeError(STATUS_CODE.checksumError, 'the body does not match its CRC-64');
  if (!isSupportedType(header.type)) return { unknownType: header.type, header };
  const base = { deviceName: header.deviceName, timestamp: header.timestamp };
  if (header.headerVersion === 1) return { ...base, version: 2, content: decodeContent(header.type, body) };
  const { content, messageId, metadata } = splitVersion3(body);
  return { ...base, version: 3, content: decodeContent(header.type, content), messageId, metadata };
}

function splitVersion3(body: Buffer): { content: Buffer; messageId: number; metadata: [string, string][] } {
  const fail = (text: string): never => {
    throw new IgtlDecodeError(STATUS_CODE.configError, `version 3 body: ${text}`);
  };
  if (body.length < EXTENDED_HEADER_SIZE) fail('shorter than its extended header');
  const extendedSize = body.readUInt16BE(0);
  const indexSize = body.readUInt16BE(2);
  const dataSize = body.readUInt32BE(4);
  const messageId = body.readUInt32BE(8);
  if (extendedSize < EXTENDED_HEADER_SIZE) fail(`an extended header of ${extendedSize} bytes`);
  const contentEnd = body.length - indexSize - dataSize;
  if (contentEnd < extendedSize) fail('the extended header and metadata sizes exceed the body');
  const metadata: [string, string][] = [];
  if (indexSize > 0) {
    const index = body.subarray(contentEnd, contentEnd + indexSize);
    const count = index.readUInt16BE(0);
    if (indexSize !== 2 + count * METADATA_ENTRY) fail(`a metadata index of ${indexSize} bytes for ${count} entries`);
    let at = contentEnd + indexSize;
    for (let i = 0; i < count; i++) {
      const keySize = index.readUInt16BE(2 + i * METADATA_ENTRY);
      const encoding = TEXT_ENCODINGS[index.readUInt16BE(4 + i * METADATA_ENTRY)] ?? fail(`metadata value encoding ${index.readUInt16BE(4 + i * METADATA_ENTRY)} is not 3, 4 or 106`);
      const valueSize = index.readUInt32BE(6 + i * METADATA_ENTRY);
      if (at + keySize + valueSize > body.length) fail('metadata runs past the body');
      metadata.push([body.toString('utf8', at, at + keySize), body.toString(encoding, at + keySize, at + keySize + valueSize)]);
      at += keySize + valueSize;
    }
    if (at !== body.length) fail('the metadata sizes do not add up to the body');
  } else if (dataSize !== 0) {
    fail('metadata without an index');
  }
  return { content: body.subarray(extendedSize, contentEnd), messageId, metadata };
}


