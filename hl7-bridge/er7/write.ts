/**
 * Writes ER7 segments and messages (ACKs, outbound messages): values escaped, trailing empty fields,
 * components and subcomponents left out.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (HL7 v2.5 chapter 2, 2.5 message construction rules, 2.7 escape sequences)
 */
import { escape } from './escape.ts';
import type { Delimiters } from './message.ts';

/** A component: a string (one subcomponent), subcomponents, or absent. */
export type ComponentValue = string | undefined | string[];
/** A field: a string (one component), components, or absent. */
export type FieldValue = string | undefined | ComponentValue[];

/** The delimiters the standard recommends: `|^~\&`. */
export const DEFAULT_DELIMITERS: Readonly<Delimiters> = Object.freeze<Delimiters>({
  segment: '\r',
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
});

const SEGMENT_NAME = /^[A-Z0-9]{3}$/;

/** Joins parts, the trailing empty ones left out. */
function joinTrimmed(parts: string[], separator: string): string {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return parts.slice(0, end).join(separator);
}

function formatComponent(value: ComponentValue, d: Delimiters): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return escape(value, d);
  return joinTrimmed(
    value.map((subcomponent) => escape(subcomponent, d)),
    d.subcomponent,
  );
}

function formatField(value: FieldValue, d: Delimiters): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return escape(value, d);
  return joinTrimmed(
    value.map((component) => formatComponent(component, d)),
    d.component,
  );
}

/**
 * One segment as text (without its terminator). `fields[0]` is field 1, except for MSH where it is
 * MSH-3: MSH-1 and MSH-2 are written from `d`. Throws a RangeError for a name that is not 3 uppercase
 * letters or digits (a programming error, not a message one).
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.5 message construction rules)
 */
export function formatSegment(name: string, fields: FieldValue[], d: Delimiters): string {
  if (!SEGMENT_NAME.test(name)) throw new RangeError(`Invalid segment name "${name}"`);
  const text = joinTrimmed(
    fields.map((field) => formatField(field, d)),
    d.field,
  );
  const head =
    name === 'MSH' ? `MSH${d.field}${d.component}${d.repetition}${d.escape}${d.subcomponent}${d.truncation ?? ''}` : name;
  return text === '' ? head : `${head}${d.field}${text}`;
}

/** Segments joined into a message: each one ended by a carriage return, the segment terminator. */
export function formatMessage(segments: string[]): string {
  return segments.map((segment) => `${segment}\r`).join('');
}
