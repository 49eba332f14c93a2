/**
 * STRING: an encoding (IANA MIBenum: 3 US-ASCII, 4 ISO-8859-1, 106 UTF-8), a length (uint16) and
 * the bytes. Other encodings are refused rather than guessed.
 * @see https://github.com/openigtlink/OpenIGTLink/blob/master/Documents/Protocol/string.md
 */
import { IgtlDecodeError, STATUS_CODE } from './errors.ts';

export interface StringContent {
  type: 'STRING';
  encoding: number;
  value: string;
}

const ENCODINGS: Readonly<Record<number, BufferEncoding>> = { 3: 'latin1', 4: 'latin1', 106: 'utf8' };

export function encodeString(content: StringContent): Buffer {
  const encoding = ENCODINGS[content.encoding];
  if (!encoding) throw new RangeError(`STRING encoding ${content.encoding} is not supported (3, 4 or 106)`);
  if (content.encoding === 3 && !/^[\x00-\x7f]*$/.test(content.value)) throw new RangeError('a US-ASCII STRING holds characters outside ASCII');
  const text = Buffer.from(content.value, encoding);
  if (text.length > 0xffff) throw new RangeError('a STRING is at most 65535 bytes');
  const out = Buffer.alloc(4 + text.length);
  out.writeUInt16BE(content.encoding, 0);
  out.writeUInt16BE(text.length, 2);
  text.copy(out, 4);
  return out;
}

export function decodeString(bytes: Buffer): StringContent {
  if (bytes.length < 4) throw new IgtlDecodeError(STATUS_CODE.configError, `a STRING body is at least 4 bytes, not ${bytes.length}`);
  const code = bytes.readUInt16BE(0);
  const length = bytes.readUInt16BE(2);
  if (4 + length !== bytes.length) throw new IgtlDecodeError(STATUS_CODE.configError, `the STRING says ${length} bytes, the body holds ${bytes.length - 4}`);
  const encoding = ENCODINGS[code];
  if (!encoding) throw new IgtlDecodeError(STATUS_CODE.configError, `STRING encoding ${code} is not supported (3, 4 or 106)`);
  const text = bytes.subarray(4);
  if (code === 106 && !isUtf8(text)) throw new IgtlDecodeError(STATUS_CODE.configError, 'the STRING is not valid UTF-8');
  return { type: 'STRING', encoding: code, value: text.toString(encoding) };
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
