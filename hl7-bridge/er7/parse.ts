/**
 * Reads an ER7 (pipe and hat) message into an Er7Message: delimiters from MSH-1 and MSH-2, one
 * Er7Segment per segment. Checks only what is needed to read the message at all (the header, the
 * delimiters, the segment names); the content of fields is the mappings' business.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (HL7 v2.5 chapter 2, 2.5 message construction rules, 2.15.9 MSH)
 */
import { decodeMessage } from './charset.ts';
import { Er7Error } from './errors.ts';
import { Er7Message, Er7Segment, type Delimiters } from './message.ts';

/** Letters, digits, spaces and control characters cannot be delimiters. */
const NOT_A_DELIMITER = /[\p{L}\p{N}\p{Z}\p{C}]/u;

/** Whitespace, BOM, NUL and MLLP start block (VT) tolerated before the header. */
function isLeading(char: string): boolean {
  return char === '\uFEFF' || char === '\0' || char === '\x0B' || char.trim() === '';
}

/** MLLP end block (FS) and segment terminators tolerated after the last segment. */
function isTrailing(char: string): boolean {
  return char === '\x1C' || char === '\r' || char === '\n';
}

/** The message without what may surround it when read from a file or an MLLP frame. */
function unframe(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isLeading(text.charAt(start))) start++;
  while (end > start && isTrailing(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}

const MSH1 = { segment: 'MSH', sequence: 1, field: 1 };
const MSH2 = { segment: 'MSH', sequence: 1, field: 2 };

/**
 * The delimiters of a message starting with "MSH": MSH-1 is the 4th character, MSH-2 holds the
 * component, repetition, escape and subcomponent characters, and from v2.7 the truncation character.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.5.4 message delimiters, 2.15.9.1-2)
 */
function readDelimiters(header: string): Delimiters {
  const field = header.charAt(3);
  if (field === '') throw new Er7Error('MSH-1 (field separator) is missing', '101', MSH1);
  if (NOT_A_DELIMITER.test(field)) throw new Er7Error(`MSH-1 "${field}" cannot be a field separator`, '102', MSH1);
  const next = header.indexOf(field, 4);
  const chars = header.slice(4, next < 0 ? header.length : next);
  if (chars === '') throw new Er7Error('MSH-2 (encoding characters) is empty', '101', MSH2);
  const distinct = new Set(chars).size === chars.length;
  if ((chars.length !== 4 && chars.length !== 5) || !distinct || NOT_A_DELIMITER.test(chars)) {
    throw new Er7Error(
      `MSH-2 "${chars}" must be 4 (or 5, with the truncation character) distinct encoding characters`,
      '102',
      MSH2,
    );
  }
  const [component = '', repetition = '', escape = '', subcomponent = '', truncation] = chars;
  const delimiters: Delimiters = { segment: '\r', field, component, repetition, escape, subcomponent };
  if (truncation !== undefined) delimiters.truncation = truncation;
  return Object.freeze(delimiters);
}

/** MSH-18, first repetition, first component, as written (no escapes are expected there). */
function declaredCharset(header: string, d: Delimiters): string {
  const msh18 = header.split(d.field, 18)[17] ?? '';
  return (msh18.split(d.repetition, 1)[0] ?? '').split(d.component, 1)[0]?.trim() ?? '';
}

/**
 * The segments of the message text. Segments end with CR; a message without any CR may use LF, and a
 * LF right after a CR (CRLF) is dropped. A LF inside a CR-terminated message is kept as data: senders
 * put raw line breaks in report text more often than they mix line ends.
 */
function splitSegments(body: string): string[] {
  if (!body.includes('\r')) return body.split('\n');
  return body.split('\r').map((line) => (line.startsWith('\n') ? line.replace(/^\n+/, '') : line));
}

function isSegmentName(line: string, field: string): boolean {
  for (let k = 0; k < 3; k++) {
    const c = line.charCodeAt(k);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return line.length === 3 || line.charAt(3) === field;
}

/**
 * Parses message text. `charset` is the MSH-18 the text was decoded with; when '' the header's own
 * MSH-18 is used, for decoding `\Xhh\` escapes. Tolerates leading whitespace, a BOM, a stray MLLP
 * VT/FS, LF or CRLF line ends and empty lines. Throws Er7Error: '100' when the message does not start
 * with MSH or a segment name is not 3 uppercase letters or digits; '101' when MSH-1 or MSH-2 is empty;
 * '102' when they are not valid delimiters. `""` (the explicit null) stays the two characters `""`.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.5 message construction rules)
 */
export function parseEr7(text: string, charset = ''): Er7Message {
  const body = unframe(text);
  if (!body.startsWith('MSH')) {
    throw new Er7Error('The message does not start with an MSH segment', '100', { segment: 'MSH', sequence: 1 });
  }
  const lines = splitSegments(body);
  const header = lines[0] ?? '';
  const delimiters = readDelimiters(header);
  const encoding = { delimiters, charset: charset || declaredCharset(header, delimiters) };
  const counts = new Map<string, number>();
  const segments: Er7Segment[] = [];
  for (const line of lines) {
    if (line === '' || (/^\s/.test(line) && line.trim() === '')) continue;
    const position = segments.length + 1;
    const named = isSegmentName(line, delimiters.field);
    const name = named ? line.slice(0, 3) : (line.split(delimiters.field, 1)[0] ?? '').slice(0, 3);
    const sequence = (counts.get(name) ?? 0) + 1;
    counts.set(name, sequence);
    if (!named) {
      throw new Er7Error(`Segment ${position} has no valid segment name (3 uppercase letters or digits)`, '100', {
        segment: name,
        sequence,
      });
    }
    segments.push(new Er7Segment(line, name, position, sequence, encoding));
  }
  return new Er7Message(delimiters, segments, encoding.charset);
}

/**
 * Decodes the bytes of a message per its MSH-18 and parses it (decodeMessage, then parseEr7).
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.15.9.18 MSH-18)
 */
export function parseMessageBytes(bytes: Uint8Array): Er7Message {
  const { text, charset } = decodeMessage(bytes);
  return parseEr7(text, charset);
}
