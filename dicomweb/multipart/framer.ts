/**
 * multipart/related framing as a pure state machine: bytes in, events out, no I/O.
 *
 * The body is `[preamble CRLF] --boundary padding CRLF part (CRLF --boundary padding CRLF part)*
 * CRLF --boundary-- [padding CRLF epilogue]`, where each part is header fields, a blank line and
 * its content. The CRLF before a boundary belongs to the delimiter, not to the content before it.
 *
 * How it stays O(chunk) and copy-free: the delimiter `CRLF--boundary` is searched with
 * Buffer.indexOf; content is reported as views into the chunks (subarray). A boundary has no CR
 * (checked), so the delimiter has a CR only at its first byte, and a delimiter cut by a chunk end
 * can only start at the last CR of the chunk: what is held back between chunks is always a prefix
 * of the delimiter, so it is kept as a count, never as bytes. Only part header sections are copied
 * (into one buffer of `maxPartHeaderBytes`), and the few bytes of a look-alike that was content.
 *
 * Lenient where it costs nothing, strict where a guess could corrupt an instance:
 * - `CRLF--boundary` followed by anything but space, tab, CR or `--` is content, not a delimiter
 *   (RFC 2046 forbids it in content, but a longer look-alike such as `--boundaryX` is harmless).
 * - The first boundary may open the body (no CRLF before it), and a part's header fields may be
 *   followed by the delimiter instead of a blank line (a part without content), as RFC 2046 allows.
 * - A body that closes without any part (`--boundary--`) gives no parts; the caller decides.
 * - Line ends are CRLF only: a bare LF after a boundary or in a header section is an error, since
 *   accepting one there but not before the delimiter would cut binary content at the wrong place.
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1 (multipart syntax)
 * @see https://www.rfc-editor.org/rfc/rfc2387 (multipart/related)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.6.1.2
 */
import { MultipartError } from './errors.ts';

export type MultipartEvent =
  /** A part starts: its header fields (names lowercased). The previous part, if any, ended. */
  | { kind: 'part'; headers: Map<string, string> }
  /** Content bytes of the current part, usually a view into the pushed chunk. */
  | { kind: 'data'; data: Buffer }
  /** The close delimiter: the last part ended; what follows is epilogue, ignored. */
  | { kind: 'end' };

export interface FramerOptions {
  /** Most bytes of one part's header section, blank line included (default 16 KiB). */
  maxPartHeaderBytes?: number;
  /** Most bytes before the first part's header section, i.e. preamble and first boundary (default 64 KiB). */
  maxPreambleBytes?: number;
}

export const DEFAULT_MAX_PART_HEADER_BYTES = 16 * 1024;
export const DEFAULT_MAX_PREAMBLE_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const DASH = 0x2d;
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Whether `boundary` can frame a body: 1 to 70 characters (RFC 2046 bchars, with a little more
 * tolerance: any printable ASCII), not ending with a space. No CR or LF, which the search relies on.
 * @see https://www.rfc-editor.org/rfc/rfc2046#section-5.1.1
 */
export function isValidBoundary(boundary: string): boolean {
  return /^[\x20-\x7e]{0,69}[\x21-\x7e]$/.test(boundary);
}

type State =
  /** Searching the delimiter: in the preamble (no part yet) or in a part's content. */
  | 'content'
  /** `CRLF--boundary` seen: the next byte says whether it is a delimiter. */
  | 'afterBoundary'
  /** `CRLF--boundary-` seen: a second `-` closes the body. */
  | 'closeDash'
  /** Spaces or tabs after the boundary. */
  | 'padding'
  /** CR after the boundary line: LF must follow. */
  | 'lineFeed'
  | 'headers'
  | 'epilogue'
  | 'failed';

export class MultipartFramer {
  readonly #delimiter: Buffer;
  readonly #maxPreamble: number;
  /** `CRLF` + header section: the CRLF lets "blank line right after the boundary" match CRLFCRLF too. */
  readonly #header: Buffer;
  #headerLength = 0;
  #state: State = 'content';
  /** Whether a part has started (false: still in the preamble). */
  #inPart = false;
  /** Bytes of the delimiter matched at the end of the previous chunk. */
  #held = 2;
  /**
   * How many of the held bytes are the implied CRLF, not input: the body and each part's content
   * start a line, so `--boundary` right there is a delimiter too (a first boundary without preamble;
   * a part whose header fields are followed by the delimiter instead of a blank line and content).
   */
  #virtual = 2;
  #preamble = 0;
  #error: MultipartError | undefined;

  /** @throws MultipartError for a boundary that cannot be used (see isValidBoundary). */
  constructor(boundary: string, options: FramerOptions = {}) {
    if (!isValidBoundary(boundary)) throw new MultipartError('multipart/related: the boundary parameter must be 1 to 70 printable ASCII characters');
    const maxHeader = options.maxPartHeaderBytes ?? DEFAULT_MAX_PART_HEADER_BYTES;
    const maxPreamble = options.maxPreambleBytes ?? DEFAULT_MAX_PREAMBLE_BYTES;
    if (!Number.isSafeInteger(maxHeader) || maxHeader < 2) throw new RangeError(`maxPartHeaderBytes must be an integer >= 2, got ${maxHeader}`);
    if (!Number.isSafeInteger(maxPreamble) || maxPreamble < 1) throw new RangeError(`maxPreambleBytes must be a positive integer, got ${maxPreamble}`);
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.#maxPreamble = maxPreamble;
    this.#header = Buffer.allocUnsafe(2 + maxHeader);
  }

  /**
   * Feeds one chunk; returns the events it completes, in order. `data` events may be views into
   * `chunk`, so the chunk must not be reused by the caller (Node streams never do).
   * @throws MultipartError when the body is malformed; every later call throws it again.
   */
  push(chunk: Buffer): MultipartEvent[] {
    if (this.#error) throw this.#error;
    const events: MultipartEvent[] = [];
    try {
      let pos = 0;
      while (pos < chunk.length) {
        const start = pos;
        const preamble = !this.#inPart && this.#state !== 'headers' && this.#state !== 'epilogue';
        pos = this.#step(chunk, pos, events);
        if (preamble) {
          this.#preamble += pos - start;
          if (this.#preamble > this.#maxPreamble) this.#fail(`multipart/related: the boundary given in Content-Type was not found in the first ${this.#maxPreamble} bytes of the body`);
        }
      }
    } catch (error) {
      if (error instanceof MultipartError) this.#error ??= error;
      this.#state = 'failed';
      throw error;
    }
    return events;
  }

  /**
   * The body ended.
   * @throws MultipartError unless the close delimiter was seen.
   */
  end(): MultipartEvent[] {
    if (this.#error) throw this.#error;
    if (this.#state === 'epilogue') return [];
    const found = this.#inPart || this.#state !== 'content';
    const error = new MultipartError(
      found ? 'multipart/related: the body ended before the closing boundary' : 'multipart/related: the boundary given in Content-Type was not found in the body',
    );
    this.#error = error;
    this.#state = 'failed';
    throw error;
  }

  /** Handles the bytes from `pos` for the current state; returns the new position (> pos unless the state changed). */
  #step(chunk: Buffer, pos: number, events: MultipartEvent[]): number {
    switch (this.#state) {
      case 'content':
        return this.#content(chunk, pos, events);
      case 'afterBoundary': {
        const byte = chunk[pos];
        if (byte === DASH) this.#state = 'closeDash';
        else if (byte === SP || byte === HT) this.#state = 'padding';
        else if (byte === CR) this.#state = 'lineFeed';
        // A client that ends lines with LF alone: say so, rather than "boundary not found" later.
        else if (byte === LF) this.#fail('multipart/related: malformed boundary line (lines must end with CRLF, not LF alone)');
        else {
          // A look-alike such as `--boundaryX`: content after all; this byte is examined again as content.
          this.#notADelimiter(this.#delimiter.length, events);
          return pos;
        }
        return pos + 1;
      }
      case 'closeDash':
        if (chunk[pos] !== DASH) {
          this.#notADelimiter(this.#delimiter.length + 1, events);
          return pos;
        }
        events.push({ kind: 'end' });
        this.#state = 'epilogue';
        return pos + 1;
      case 'padding': {
        const byte = chunk[pos];
        if (byte === CR) this.#state = 'lineFeed';
        else if (byte !== SP && byte !== HT) this.#fail('multipart/related: malformed boundary line (only spaces or tabs may follow the boundary)');
        return pos + 1;
      }
      case 'lineFeed':
        if (chunk[pos] !== LF) this.#fail('multipart/related: malformed boundary line (CR without LF)');
        this.#state = 'headers';
        this.#header[0] = CR;
        this.#header[1] = LF;
        this.#headerLength = 2;
        return pos + 1;
      case 'headers':
        return this.#headers(chunk, pos, events);
      case 'epilogue':
        return chunk.length;
      case 'failed':
        throw this.#error ?? new MultipartError('multipart/related: unreadable body');
    }
  }

  /** Content (or preamble) up to the next delimiter, or up to the end of the chunk minus a delimiter prefix. */
  #content(chunk: Buffer, pos: number, events: MultipartEvent[]): number {
    const delimiter = this.#delimiter;
    if (this.#held > 0) {
      // The previous chunk ended with delimiter[0, held): does this one continue it?
      const n = Math.min(delimiter.length - this.#held, chunk.length - pos);
      if (chunk.compare(delimiter, this.#held, this.#held + n, pos, pos + n) === 0) {
        this.#held += n;
        if (this.#held === delimiter.length) {
          this.#held = 0;
          this.#state = 'afterBoundary';
        }
        return pos + n;
      }
      // No: the held bytes were content. No delimiter can start inside them (their only CR is the first byte).
      this.#notADelimiter(this.#held, events);
      return pos;
    }
    const at = chunk.indexOf(delimiter, pos);
    if (at !== -1) {
      this.#emit(chunk.subarray(pos, at), events);
      this.#state = 'afterBoundary';
      return at + delimiter.length;
    }
    // A delimiter cut by the chunk end starts at the chunk's last CR, or nowhere.
    let partial = 0;
    const cr = chunk.lastIndexOf(CR);
    if (cr >= pos && chunk.length - cr < delimiter.length && chunk.compare(delimiter, 0, chunk.length - cr, cr) === 0) partial = chunk.length - cr;
    this.#emit(chunk.subarray(pos, chunk.length - partial), events);
    this.#held = partial;
    this.#virtual = 0;
    return chunk.length;
  }

  /** Collects the header section up to its blank line, within the limit. */
  #headers(chunk: Buffer, pos: number, events: MultipartEvent[]): number {
    const header = this.#header;
    const n = Math.min(header.length - this.#headerLength, chunk.length - pos);
    chunk.copy(header, this.#headerLength, pos, pos + n);
    const filled = this.#headerLength + n;
    // Search only where CRLFCRLF could newly end: from 3 bytes before the new bytes.
    const at = header.subarray(0, filled).indexOf(HEADER_END, Math.max(0, this.#headerLength - 3));
    if (at === -1) {
      if (filled === header.length) this.#fail(`multipart/related: a part's header section is larger than ${header.length - 2} bytes`);
      this.#headerLength = filled;
      return pos + n;
    }
    const consumed = at + HEADER_END.length - this.#headerLength;
    events.push({ kind: 'part', headers: parseHeaderSection(header.toString('utf8', 2, at)) });
    this.#inPart = true;
    this.#state = 'content';
    // The blank line's CRLF may be the delimiter's own (a part without content).
    this.#held = 2;
    this.#virtual = 2;
    return pos + consumed;
  }

  /** The first `length` bytes of delimiter (+ `-`) turned out to be content: report the real ones as such, back to searching. */
  #notADelimiter(length: number, events: MultipartEvent[]): void {
    // A copy: the delimiter buffer must not be handed to a consumer that might write into it.
    const bytes = Buffer.alloc(length - this.#virtual, DASH);
    this.#delimiter.copy(bytes, 0, this.#virtual, Math.min(length, this.#delimiter.length));
    this.#emit(bytes, events);
    this.#held = 0;
    this.#virtual = 0;
    this.#state = 'content';
  }

  #emit(data: Buffer, events: MultipartEvent[]): void {
    // Preamble bytes are dropped; only a part's content is reported.
    if (this.#inPart && data.length > 0) events.push({ kind: 'data', data });
  }

  #fail(message: string): never {
    throw new MultipartError(message);
  }
}

/**
 * Parses `Name: value` lines (CRLF-separated, without the blank line). Names are lowercased,
 * values trimmed, folded lines (starting with space or tab) joined to the previous field with a
 * space, and a repeated field joined with ", " (RFC 9110 5.3).
 * @throws MultipartError for a line that is not a field.
 * @see https://www.rfc-editor.org/rfc/rfc5322#section-2.2 (header fields, folding)
 */
export function parseHeaderSection(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  if (text === '') return headers;
  let last: string | undefined;
  for (const line of text.split('\r\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`.trim());
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim().toLowerCase();
    if (name === '' || /\s/.test(name)) throw new MultipartError(`multipart/related: malformed part header line (expected "Name: value"): ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
    last = name;
  }
  return headers;
}
