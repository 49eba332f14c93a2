/**
 * Streaming reader of a multipart/related body (a STOW-RS request): parts one after the other,
 * each part's content streamed as it arrives, so a 2 GB instance is never held in memory.
 * The framing itself is the pure state machine in framer.ts; this file only pulls chunks through it.
 * @see https://www.rfc-editor.org/rfc/rfc2387 (multipart/related)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5.1.2 (STOW-RS request payload)
 */
import { Readable } from 'node:stream';
import { MultipartError } from './errors.ts';
import { MultipartFramer, type FramerOptions, type MultipartEvent } from './framer.ts';

export interface MultipartPart {
  /** The part's header fields, names lowercased (`content-type`, `content-location`), values trimmed. */
  readonly headers: Map<string, string>;
  /**
   * The part's content, in chunks no larger than the source's (views into them, not copies).
   * Valid until the next part is requested; see readMultipart.
   */
  readonly body: AsyncIterable<Buffer>;
}

export type ReadMultipartOptions = FramerOptions;

/** The source's chunks, pulled one at a time through the framer, with one event of look-ahead. */
class EventReader {
  readonly #framer: MultipartFramer;
  readonly #source: AsyncIterator<unknown>;
  #events: MultipartEvent[] = [];
  #index = 0;
  #ended = false;
  #error: unknown;

  constructor(framer: MultipartFramer, source: AsyncIterator<unknown>) {
    this.#framer = framer;
    this.#source = source;
  }

  /** The next event without consuming it; undefined once the source ended after the close delimiter. */
  async peek(): Promise<MultipartEvent | undefined> {
    if (this.#error !== undefined) throw this.#error;
    try {
      while (this.#index >= this.#events.length) {
        if (this.#ended) return undefined;
        const next = await this.#source.next();
        this.#events = [];
        this.#index = 0;
        if (next.done === true) {
          this.#ended = true;
          this.#events = this.#framer.end();
        } else {
          this.#events = this.#framer.push(toBuffer(next.value));
        }
      }
    } catch (error) {
      // Sticky: the part list throws it again after a body did, without reading further.
      this.#error = error;
      throw error;
    }
    return this.#events[this.#index];
  }

  /** Consumes the event peek returned. */
  take(): void {
    this.#index++;
  }

  async close(): Promise<void> {
    await this.#source.return?.();
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // A string would mean a decoding stream (setEncoding), which has already mangled binary content.
  throw new TypeError(`multipart source must yield bytes, got ${typeof chunk}`);
}

/**
 * A Readable is iterated without destroy-on-return: when parsing stops early (an error, a
 * consumer that breaks out), an HTTP request must stay open so that the 400 can still be sent
 * on its socket; destroying it would reset the connection instead.
 */
function iterate(source: AsyncIterable<Uint8Array> | Readable): AsyncIterator<unknown> {
  return source instanceof Readable ? source.iterator({ destroyOnReturn: false }) : source[Symbol.asyncIterator]();
}

/** One part's content: data events until the next non-data event, while the part is current. */
async function* partBody(reader: EventReader, isCurrent: () => boolean): AsyncGenerator<Buffer, void, undefined> {
  for (;;) {
    if (!isCurrent()) throw new Error('multipart part body read after the next part was requested');
    const event = await reader.peek();
    if (event?.kind !== 'data') return;
    reader.take();
    yield event.data;
  }
}

/**
 * Reads a multipart/related body part by part.
 *
 * Contract with the consumer:
 * - Read (or abandon) a part's body before asking for the next part; the two must not be read
 *   concurrently. Whatever is left of a body when the next part is requested is read and
 *   dropped (drained), so skipping a part is allowed; reading that body afterwards throws.
 * - A malformed body throws a MultipartError from whichever iterator is being read at that
 *   point (the part list, or a part's body), and again from the part list. Source errors pass
 *   through as they are.
 * - After the close delimiter, the epilogue is read to the end of the source and dropped, so an
 *   HTTP request is fully consumed before the response.
 * - If iteration stops early (break, error), the source's iterator is returned; a Readable is
 *   left undestroyed (see iterate), the caller decides whether to drain or close it.
 * A body without any part (`--boundary--` alone) yields nothing; whether that is an error is the caller's call.
 *
 * @param boundary the `boundary` parameter of the Content-Type, unquoted.
 * @throws MultipartError (from the iterator) for an unusable boundary or a malformed body.
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 */
export async function* readMultipart(
  body: AsyncIterable<Uint8Array> | Readable,
  boundary: string,
  options: ReadMultipartOptions = {},
): AsyncGenerator<MultipartPart, void, undefined> {
  const reader = new EventReader(new MultipartFramer(boundary, options), iterate(body));
  let current = 0;
  try {
    for (;;) {
      const event = await reader.peek();
      if (event === undefined) return;
      reader.take();
      // Data here is what the consumer left of the previous part's body: drained.
      if (event.kind === 'data') continue;
      current++;
      if (event.kind === 'end') continue;
      const part = current;
      yield { headers: event.headers, body: partBody(reader, () => current === part) };
    }
  } finally {
    current++;
    await reader.close();
  }
}

/**
 * Reads a whole part body into one Buffer, for the small parts that are parsed rather than
 * stored (DICOM JSON metadata in a STOW-RS request, PS3.18 10.5.1.2.2).
 * @throws MultipartError when the body exceeds `maxBytes` (the rest is left unread).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.5.1.2.2
 */
export async function readPartBody(body: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw new MultipartError(`multipart/related: a part is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size);
}
