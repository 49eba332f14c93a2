/**
 * Character sets of HL7 v2 messages: MSH-18 (HL7 table 0211) read from the raw bytes, then the bytes
 * decoded with the WHATWG TextDecoder of that charset; and the reverse for what we send back (ACKs).
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (HL7 v2.5 chapter 2, 2.15.9.18 MSH-18 character set)
 * @see https://hl7-definition.caristix.com/v2/HL7v2.5/Tables/0211 (table 0211 alternate character sets)
 * @see https://encoding.spec.whatwg.org/#names-and-labels (the TextDecoder labels)
 */
import { TextDecoder } from 'node:util';
import { Er7Error } from './errors.ts';

/**
 * Table 0211 values to TextDecoder labels. Note that per the WHATWG Encoding standard the
 * 'iso-8859-1' label decodes as windows-1252 (identical except 0x80-0x9F, C1 controls in Latin-1 and
 * printable characters such as the euro sign in windows-1252): deliberate, it is what senders that
 * declare 8859/1 actually write.
 */
const LABELS = new Map<string, string>([
  ['ASCII', 'windows-1252'],
  ['ISO IR6', 'windows-1252'], // ASCII under its ISO-IR name (table 0211 from v2.6)
  ['8859/1', 'iso-8859-1'],
  ['8859/2', 'iso-8859-2'],
  ['8859/3', 'iso-8859-3'],
  ['8859/4', 'iso-8859-4'],
  ['8859/5', 'iso-8859-5'],
  ['8859/6', 'iso-8859-6'],
  ['8859/7', 'iso-8859-7'],
  ['8859/8', 'iso-8859-8'],
  ['8859/9', 'iso-8859-9'],
  ['8859/15', 'iso-8859-15'],
  ['ISO IR14', 'shift_jis'], // JIS X 0201: the single-byte half of Shift_JIS
  ['ISO IR87', 'iso-2022-jp'], // JIS X 0208, switched into with ISO 2022 escape sequences
  ['GB 18030-2000', 'gb18030'],
  ['KS X 1001', 'euc-kr'],
  ['BIG-5', 'big5'],
  ['UNICODE', 'utf-8'],
  ['UNICODE UTF-8', 'utf-8'],
  ['UNICODE UTF-16', 'utf-16le'],
  // Not in table 0211, but written by enough senders to be worth accepting.
  ['UTF-8', 'utf-8'],
  ['UTF8', 'utf-8'],
]);

/** Non-standard 'ISO-8859-1', 'ISO8859-1', 'ISO_8859-1' for the table's '8859/1' (same parts only). */
const ISO_8859_ALIAS = /^ISO[-_ ]?8859[-_/ ](\d{1,2})$/;

/**
 * The TextDecoder label for an MSH-18 value (case and extra spaces ignored), undefined when not
 * supported: unknown values, CNS 11643-1992, ISO IR159 and UNICODE UTF-32 (no WHATWG decoder), and ''.
 * @see https://hl7-definition.caristix.com/v2/HL7v2.5/Tables/0211
 */
export function decoderLabel(charset: string): string | undefined {
  const name = charset.trim().replace(/\s+/g, ' ').toUpperCase();
  const alias = ISO_8859_ALIAS.exec(name);
  return LABELS.get(alias ? `8859/${alias[1]}` : name);
}

const decoders = new Map<string, TextDecoder>();
/** Decoders keep a BOM in the data (`ignoreBOM`): decodeMessage strips the leading one itself. */
function decoder(label: string): TextDecoder {
  let found = decoders.get(label);
  if (!found) {
    found = new TextDecoder(label, { ignoreBOM: true });
    decoders.set(label, found);
  }
  return found;
}
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 when the bytes are valid UTF-8, otherwise ISO-8859-1 (as windows-1252): for an absent or unknown charset. */
function decodeGuessing(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return decoder('iso-8859-1').decode(bytes);
  }
}

/**
 * Decodes a byte run (e.g. the bytes of `\Xhh\` escapes) in a message's charset; an absent or unsupported
 * charset gets the same guess as decodeMessage. Never throws: invalid bytes become U+FFFD.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.7.6 hexadecimal data)
 */
export function decodeBytes(bytes: Uint8Array, charset: string): string {
  const label = decoderLabel(charset);
  return label ? decoder(label).decode(bytes) : decodeGuessing(bytes);
}

const CR = 0x0d;
const LF = 0x0a;

/** Whitespace, MLLP start block (VT) and NUL that may precede the header. */
function isLeading(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xfeff || code === 0;
}

/**
 * The repetitions of MSH-18 (first component of each, trimmed), read from characters given by `at`
 * (bytes or UTF-16 code units: MSH-18 is ASCII); undefined when there is no MSH header.
 */
function readMsh18(at: (i: number) => number, length: number): string[] | undefined {
  let i = 0;
  while (i < length && isLeading(at(i))) i++;
  if (i + 3 >= length || at(i) !== 0x4d || at(i + 1) !== 0x53 || at(i + 2) !== 0x48) return undefined;
  const fieldSep = at(i + 3);
  const component = at(i + 4);
  const repetition = at(i + 5);
  let field = 2; // MSH-2 starts right after MSH-1
  let start = -1;
  let j = i + 4;
  for (; j < length; j++) {
    const c = at(j);
    if (c === CR || c === LF) break;
    if (c !== fieldSep) continue;
    field++;
    if (field === 18) start = j + 1;
    else if (field === 19) break;
  }
  if (start < 0) return [];
  const reps: string[] = [];
  let value = '';
  let inComponent = true;
  for (let k = start; k < j; k++) {
    const c = at(k);
    if (c === repetition) {
      reps.push(value.trim());
      value = '';
      inComponent = true;
    } else if (c === component) inComponent = false;
    else if (inComponent) value += String.fromCharCode(c);
  }
  reps.push(value.trim());
  return reps;
}

/**
 * The label to decode with: the first repetition (the default character set), except that a later
 * 'ISO IR87' repetition (an ISO 2022 alternate set, as Japanese messages send "~ISO IR87") means
 * iso-2022-jp, whose decoder also reads the ASCII default. '' for an absent MSH-18 (we then guess).
 */
function labelFor(reps: string[]): string {
  const first = reps[0] ?? '';
  if (reps.slice(1).some((rep) => decoderLabel(rep) === 'iso-2022-jp')) return 'iso-2022-jp';
  if (first === '') return '';
  const label = decoderLabel(first);
  // '103' table value not found: MSH-18 is a coded (ID) field whose value is not in table 0211 as we
  // support it; '102' would claim a malformed value, '207' a fault on our side.
  if (!label) {
    throw new Er7Error(`Unsupported character set in MSH-18: "${first}"`, '103', {
      segment: 'MSH',
      sequence: 1,
      field: 18,
      repetition: 1,
    });
  }
  return label;
}

/** 'utf-16le' / 'utf-16be' from a BOM or from the NUL bytes of an ASCII header ("M\0S\0H\0"). */
function utf16Of(bytes: Uint8Array): { label: string; skip: number } | undefined {
  const [b0, b1, b2, b3] = bytes;
  if (b0 === 0xff && b1 === 0xfe) return { label: 'utf-16le', skip: 2 };
  if (b0 === 0xfe && b1 === 0xff) return { label: 'utf-16be', skip: 2 };
  if (b0 && b1 === 0 && b2 && b3 === 0) return { label: 'utf-16le', skip: 0 };
  if (b0 === 0 && b1 && b2 === 0 && b3) return { label: 'utf-16be', skip: 0 };
  return undefined;
}

/**
 * Decodes the bytes of one message per its MSH-18 (HL7 table 0211). MSH-18 is read from the raw bytes
 * (ASCII-compatible), a UTF-8 BOM is stripped, UTF-16 is recognised by its BOM (or the NUL bytes of the
 * header, little-endian by default) before MSH-18 is read; then TextDecoder does the rest, invalid bytes
 * becoming U+FFFD. When MSH-18 is absent (the standard then means ASCII), the bytes are UTF-8 when they
 * are valid UTF-8, otherwise ISO-8859-1: a heuristic that reads every ASCII message right and every real
 * UTF-8 one, Latin-1 text being almost never valid UTF-8. A declared UTF-16 on bytes that are not UTF-16
 * is read with the same heuristic. An unsupported MSH-18 throws Er7Error '103' at MSH-18.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.15.9.18 MSH-18)
 */
export function decodeMessage(bytes: Uint8Array): { text: string; charset: string } {
  const utf16 = utf16Of(bytes);
  if (utf16) {
    const text = decoder(utf16.label).decode(bytes.subarray(utf16.skip));
    const reps = readMsh18((i) => text.charCodeAt(i), text.length) ?? [];
    return { text, charset: reps[0] ?? '' };
  }
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const reps = readMsh18((i) => body[i] ?? 0, body.length) ?? [];
  const label = labelFor(reps);
  const text = label === '' || label.startsWith('utf-16') ? decodeGuessing(body) : decoder(label).decode(body);
  return { text, charset: reps[0] ?? '' };
}

const ASCII = new Map<number, number>(Array.from({ length: 128 }, (_, b) => [b, b]));
const singleByteTables = new Map<string, Map<number, number>>();
/** Code point -> byte for a single-byte charset, from its decoder; Latin-1 identity first for windows-1252. */
function singleByteTable(label: string): Map<number, number> {
  let table = singleByteTables.get(label);
  if (table) return table;
  table = new Map<number, number>(ASCII);
  const latin1 = decoder(label).encoding === 'windows-1252';
  if (latin1) for (let b = 0x80; b < 0x100; b++) table.set(b, b);
  const high = decoder(label).decode(Uint8Array.from({ length: 128 }, (_, k) => 0x80 + k));
  for (let k = 0; k < high.length; k++) {
    const code = high.charCodeAt(k);
    if (code !== 0xfffd && !table.has(code)) table.set(code, 0x80 + k);
  }
  singleByteTables.set(label, table);
  return table;
}

function encodeWithTable(text: string, table: Map<number, number>): Buffer {
  const out: number[] = [];
  for (const char of text) out.push(table.get(char.codePointAt(0) ?? 0) ?? 0x3f);
  return Buffer.from(out);
}

const SINGLE_BYTE = /^(windows-1252|iso-8859-\d+)$/;

/**
 * Encodes text (e.g. an ACK) in the charset an MSH-18 value names: UTF-8 for UTF-8 and absent;
 * Latin-1 for ASCII and 8859/1 (plus the windows-1252 extras such as the euro sign); the other ISO 8859
 * parts byte for byte; UTF-16 little-endian with a BOM. For the multi-byte sets (GB 18030, KS X 1001,
 * BIG-5, ISO IR87, ISO IR14) and unknown values, which Node cannot encode, the text is written as ASCII
 * and any other character becomes '?': an ACK stays readable, and sendable even for a message rejected
 * because of its charset. Never throws.
 * @see https://hl7-definition.caristix.com/v2/HL7v2.5/Tables/0211
 */
export function encodeMessage(text: string, charset: string): Buffer {
  const label = charset.trim() === '' ? 'utf-8' : decoderLabel(charset);
  if (label === 'utf-8') return Buffer.from(text, 'utf8');
  if (label === 'utf-16le') return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  return encodeWithTable(text, label && SINGLE_BYTE.test(label) ? singleByteTable(label) : ASCII);
}
