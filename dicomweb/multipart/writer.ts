/**
 * Writing multipart/related bodies (WADO-RS responses): a fresh boundary, the Content-Type that
 * announces it, and a streaming writer that respects the destination's backpressure, so an
 * instance read from disk flows to the socket without being held in memory.
 * @see https://www.rfc-editor.org/rfc/rfc2387 (multipart/related)
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1 (multipart syntax)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.6.1.2 (PS3.18 multipart payloads)
 */
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { isValidBoundary } from './framer.ts';
import { formatMediaType } from './media-type.ts';

/** One part of a response. */
export interface OutgoingPart {
  /** E.g. `application/dicom; transfer-syntax=1.2.840.10008.1.2.1`. */
  contentType: string;
  /** The part's URL (PS3.18 8.6.1.2: Content-Location of bulk data and rendered parts). */
  contentLocation?: string;
  /** Further header fields, written as given (e.g. `Content-Length`). */
  headers?: Record<string, string>;
  /** The content: bytes, or a stream of them (a Readable, a file stream). */
  body: Uint8Array | AsyncIterable<Uint8Array>;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * A boundary that cannot occur in any content by chance: 128 random bits, hex, with a
 * recognisable prefix (45 characters; RFC 2046 allows 70).
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 */
export function randomBoundary(): string {
  return `passerelle-${randomBytes(16).toString('hex')}`;
}

/**
 * The response's Content-Type: `multipart/related; type="application/dicom"; boundary=...`,
 * with any extra parameters (e.g. `transfer-syntax`) between type and boundary.
 * @throws TypeError for an unusable boundary or parameter.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.7.3.3
 */
export function multipartContentType(boundary: string, type: string, extraParams: Record<string, string> = {}): string {
  if (!isValidBoundary(boundary)) throw new TypeError(`not a usable multipart boundary: ${JSON.stringify(boundary)}`);
  return formatMediaType('multipart/related', [['type', type], ...Object.entries(extraParams), ['boundary', boundary]]);
}

/** The delimiter line and header section of one part, as one small buffer. */
function partHead(boundary: string, part: OutgoingPart, first: boolean): Buffer {
  const fields: Array<[string, string]> = [['Content-Type', part.contentType]];
  if (part.contentLocation !== undefined) fields.push(['Content-Location', part.contentLocation]);
  fields.push(...Object.entries(part.headers ?? {}));
  let text = `${first ? '' : '\r\n'}--${boundary}\r\n`;
  for (const [name, value] of fields) {
    // A CR or LF from data (a URL, a type) would let it write its own headers or parts.
    if (!HEADER_NAME.test(name) || CONTROL.test(value)) throw new TypeError(`multipart part header ${JSON.stringify(name)} cannot be written`);
    text += `${name}: ${value}\r\n`;
  }
  return Buffer.from(`${text}\r\n`, 'utf8');
}

/** Resolves once `out` drained; rejects if it closes or fails first (a client that went away). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', settle);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(new Error('multipart writer: the destination closed'));
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', settle);
  });
}

async function write(out: Writable, chunk: Uint8Array): Promise<void> {
  if (out.destroyed || out.writableEnded) throw new Error('multipart writer: the destination closed');
  if (!out.write(chunk)) await drained(out);
}

/**
 * Writes the parts as a multipart/related body to `out` and ends it, waiting for `drain`
 * whenever `out` asks to (so memory stays at the destination's high-water mark plus one chunk).
 * Parts are pulled one at a time, so `parts` can open each file only when its turn comes.
 *
 * If a part fails (a header that cannot be written, a body stream error) or `out` closes early,
 * `out` is destroyed without an error event (a truncated response must not look complete; the
 * status line is long gone) and the promise rejects with the cause.
 * @throws TypeError for an unusable boundary or header.
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 */
export async function writeMultipart(out: Writable, boundary: string, parts: AsyncIterable<OutgoingPart> | Iterable<OutgoingPart>): Promise<void> {
  if (!isValidBoundary(boundary)) throw new TypeError(`not a usable multipart boundary: ${JSON.stringify(boundary)}`);
  try {
    let first = true;
    for await (const part of parts) {
      await write(out, partHead(boundary, part, first));
      first = false;
      if (part.body instanceof Uint8Array) {
        if (part.body.length > 0) await write(out, part.body);
      } else {
        for await (const chunk of part.body) {
          // A Readable with an encoding set yields strings: its binary content is already mangled.
          if (!(chunk instanceof Uint8Array)) throw new TypeError(`multipart part body must yield bytes, got ${typeof chunk}`);
          await write(out, chunk);
        }
      }
    }
    await write(out, Buffer.from(`${first ? '' : '\r\n'}--${boundary}--\r\n`, 'latin1'));
    out.end();
    await finished(out, { readable: false });
  } catch (error) {
    out.destroy();
    throw error;
  }
}
