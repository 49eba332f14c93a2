/**
 * Escape sequences in field values: reading them (unescape) and writing them (escape).
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (HL7 v2.5 chapter 2, 2.7 use of escape sequences in text fields)
 */
import { decodeBytes } from './charset.ts';
import type { Delimiters } from './message.ts';

/** \Xhh...\ : one or more pairs of hexadecimal digits (2.7.6). */
const HEX = /^X(?:[0-9A-Fa-f]{2})+$/;
/** \Cxxyy\ single-byte and \Mxxyy\ \Mxxyyzz\ multi-byte character set escapes (2.7.4, 2.7.5). */
const CHARSET_ESCAPE = /^(?:C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4}(?:[0-9A-Fa-f]{2})?)$/;
/** Formatting commands of FT fields (2.7.2), with their optional signed count. */
const FORMATTING = /^\.(br|sp|ce|sk|fi|nf|in|ti) ?([+-]?\d{0,6})$/;
/** Bound for the repeat counts of \.sp n\ and \.sk n\, so no escape expands a value much. */
const MAX_REPEAT = 10;

function formatting(command: string, count: string): string {
  const times = Math.min(Math.max(Number.parseInt(count, 10) || 1, 1), MAX_REPEAT);
  switch (command) {
    case 'br':
    case 'ce':
      return '\n';
    case 'sp':
      return '\n'.repeat(times);
    case 'sk':
      return ' '.repeat(times);
    default:
      return ''; // .fi .nf .in .ti: fill mode and indentation, layout hints only
  }
}

/** The text an escape sequence body stands for, undefined when it is not one we know. */
function replacement(body: string, d: Delimiters): string | undefined {
  switch (body) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
    case 'P':
      return d.truncation; // v2.7 truncation character, unknown before
    case 'H':
    case 'N':
      return ''; // start / end highlighting
  }
  if (CHARSET_ESCAPE.test(body) || body.startsWith('Z')) return ''; // character set switches, locally defined escapes
  const command = FORMATTING.exec(body);
  return command ? formatting(command[1] ?? '', command[2] ?? '') : undefined;
}

/**
 * Replaces the escape sequences of one value (a component or subcomponent): \F\ \S\ \T\ \R\ \E\ (and
 * v2.7 \P\) become the delimiters; \Xhh...\ bytes are decoded in the message's charset, consecutive
 * \X\ escapes together (so a UTF-8 character split over \XC3\\X87\ decodes too); \.br\ \.ce\ and
 * \.sp n\ become line breaks, \.sk n\ spaces (counts capped at 10), \.fi\ \.nf\ \.in\ \.ti\ are removed;
 * \H\ \N\ (highlighting), \Cxxyy\ \Mxxyyzz\ (character set switches: the text is already decoded) and
 * \Z...\ (locally defined) are removed. An unterminated or unknown escape is left as literal text.
 * Never throws.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.7 use of escape sequences in text fields)
 */
export function unescape(value: string, d: Delimiters, charset: string): string {
  const esc = d.escape;
  if (esc === '' || !value.includes(esc)) return value;
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length === 0) return;
    out += decodeBytes(Uint8Array.from(bytes), charset);
    bytes = [];
  };
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf(esc, i);
    const end = start < 0 ? -1 : value.indexOf(esc, start + 1);
    if (end < 0) break;
    if (start > i) {
      flush();
      out += value.slice(i, start);
    }
    const body = value.slice(start + 1, end);
    i = end + 1;
    if (HEX.test(body)) {
      for (let k = 1; k < body.length; k += 2) bytes.push(Number.parseInt(body.slice(k, k + 2), 16));
      continue;
    }
    flush();
    out += replacement(body, d) ?? value.slice(start, end + 1);
  }
  flush();
  return out + value.slice(i);
}

/**
 * Escapes a value for writing: the delimiters and the escape character as \F\ \S\ \T\ \R\ \E\ (the
 * v2.7 truncation character, when there is one, as \P\), a line feed as \.br\ and a carriage return,
 * the segment terminator, as \X0D\.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.7 use of escape sequences in text fields)
 */
export function escape(value: string, d: Delimiters): string {
  const e = d.escape;
  const table = new Map<string, string>([
    [d.field, `${e}F${e}`],
    [d.component, `${e}S${e}`],
    [d.subcomponent, `${e}T${e}`],
    [d.repetition, `${e}R${e}`],
    [e, `${e}E${e}`],
    ['\n', `${e}.br${e}`],
    ['\r', `${e}X0D${e}`],
  ]);
  if (d.truncation) table.set(d.truncation, `${e}P${e}`);
  let out = '';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const sequence = table.get(value.charAt(i));
    if (sequence === undefined) continue;
    out += value.slice(from, i) + sequence;
    from = i + 1;
  }
  return from === 0 ? value : out + value.slice(from);
}
