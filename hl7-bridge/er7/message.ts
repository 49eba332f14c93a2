/**
 * A parsed ER7 message: segments, fields, repetitions, components and subcomponents. Segments are split
 * when the message is parsed; a segment splits its fields, and a field its repetitions, components and
 * subcomponents (unescaping them), only when first read, so a large message costs little until used.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (HL7 v2.5 chapter 2, 2.5 message construction rules)
 */
import { Er7Error } from './errors.ts';
import { unescape } from './escape.ts';

/**
 * The delimiters of a message, from MSH-1 and MSH-2 (component, repetition, escape, subcomponent and,
 * from v2.7, truncation character).
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.5.4 message delimiters)
 */
export interface Delimiters {
  segment: '\r';
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  truncation?: string;
}

/** What a field needs to split and unescape its text. */
interface Encoding {
  delimiters: Delimiters;
  charset: string;
}

/** One occurrence of a field: components × subcomponents, unescaped. */
export class Er7Repetition {
  readonly components: readonly (readonly string[])[];
  constructor(components: readonly (readonly string[])[]) {
    this.components = components;
  }

  /** The value of a component (1-based) and subcomponent (1-based); '' when absent. */
  get(component = 1, subcomponent = 1): string {
    return this.components[component - 1]?.[subcomponent - 1] ?? '';
  }

  /** True when no component or subcomponent has a value (`""`, the explicit null, is a value). */
  isEmpty(): boolean {
    return this.components.every((parts) => parts.every((part) => part === ''));
  }
}

/** One field of a segment, with its repetitions split on first use. */
export class Er7Field {
  /** The field's original escaped text. */
  readonly raw: string;
  readonly #encoding: Encoding | undefined;
  #repetitions: Er7Repetition[] | undefined;

  /** Without `encoding` the field is literal: one value, neither split nor unescaped (MSH-1, MSH-2). */
  constructor(raw: string, encoding?: Encoding) {
    this.raw = raw;
    this.#encoding = encoding;
  }

  get repetitions(): readonly Er7Repetition[] {
    this.#repetitions ??= this.#split();
    return this.#repetitions;
  }

  #split(): Er7Repetition[] {
    if (this.raw === '') return [];
    const encoding = this.#encoding;
    if (!encoding) return [new Er7Repetition([[this.raw]])];
    const { delimiters: d, charset } = encoding;
    const subcomponents = (component: string): string[] =>
      component.split(d.subcomponent).map((part) => unescape(part, d, charset));
    return this.raw.split(d.repetition).map((text) => new Er7Repetition(text.split(d.component).map(subcomponents)));
  }

  /** A component (1-based), subcomponent (1-based) of a repetition (0-based); '' when absent. */
  get(component = 1, subcomponent = 1, repetition = 0): string {
    return this.repetitions[repetition]?.get(component, subcomponent) ?? '';
  }

  /** True when the field is absent or has only empty repetitions and components. */
  isEmpty(): boolean {
    return this.repetitions.every((repetition) => repetition.isEmpty());
  }
}

const EMPTY_FIELD = new Er7Field('');

/** One segment; fields are numbered as in the standard. */
export class Er7Segment {
  readonly name: string;
  /** 1-based index of the segment in the message. */
  readonly position: number;
  /** 1-based occurrence of this segment name in the message. */
  readonly sequence: number;
  /** The segment's original text. */
  readonly raw: string;
  readonly #encoding: Encoding;
  #parts: string[] | undefined;
  readonly #fields: Er7Field[] = [];

  constructor(raw: string, name: string, position: number, sequence: number, encoding: Encoding) {
    this.raw = raw;
    this.name = name;
    this.position = position;
    this.sequence = sequence;
    this.#encoding = encoding;
  }

  /** The text split on the field separator: the name first, then the fields (from MSH-2 for MSH). */
  get #split(): string[] {
    this.#parts ??= this.raw.split(this.#encoding.delimiters.field);
    return this.#parts;
  }

  get #isHeader(): boolean {
    return this.name === 'MSH';
  }

  /** The number of fields in the text, trailing empty ones included (MSH-1 counted for MSH). */
  get fieldCount(): number {
    return this.#isHeader ? this.#split.length : this.#split.length - 1;
  }

  /**
   * Field `n` as numbered by the standard. For MSH, field(1) is the field separator and field(2) the
   * encoding characters, both unsplit and unescaped. An absent field is an empty Er7Field.
   * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (2.15.9 MSH)
   */
  field(n: number): Er7Field {
    if (!Number.isInteger(n) || n < 1) return EMPTY_FIELD;
    let found = this.#fields[n];
    if (found) return found;
    if (this.#isHeader && n <= 2) {
      found = new Er7Field(n === 1 ? this.#encoding.delimiters.field : (this.#split[1] ?? ''));
    } else {
      const raw = this.#split[this.#isHeader ? n - 1 : n];
      if (raw === undefined) return EMPTY_FIELD;
      found = new Er7Field(raw, this.#encoding);
    }
    this.#fields[n] = found;
    return found;
  }

  /** A field's component (1-based), subcomponent (1-based) of a repetition (0-based); '' when absent. */
  get(n: number, component = 1, subcomponent = 1, repetition = 0): string {
    return this.field(n).get(component, subcomponent, repetition);
  }
}

/** A parsed message: its delimiters, its segments in order, and the header values everyone reads. */
export class Er7Message {
  readonly delimiters: Delimiters;
  readonly segments: readonly Er7Segment[];
  /** MSH-18 as the bytes were decoded with ('' when absent). */
  readonly charset: string;
  /** MSH-9.1 */
  readonly messageCode: string;
  /** MSH-9.2 */
  readonly triggerEvent: string;
  /** MSH-9.3 */
  readonly messageStructure: string;
  /** MSH-10 */
  readonly controlId: string;
  /** MSH-11.1 */
  readonly processingId: string;
  /** MSH-12.1 */
  readonly version: string;
  readonly #header: Er7Segment;
  readonly #byName = new Map<string, Er7Segment[]>();

  constructor(delimiters: Delimiters, segments: readonly Er7Segment[], charset: string) {
    const header = segments[0];
    if (header?.name !== 'MSH') {
      throw new Er7Error('The message does not start with an MSH segment', '100', { segment: 'MSH', sequence: 1 });
    }
    this.delimiters = delimiters;
    this.segments = segments;
    this.charset = charset;
    this.#header = header;
    for (const segment of segments) {
      const same = this.#byName.get(segment.name);
      if (same) same.push(segment);
      else this.#byName.set(segment.name, [segment]);
    }
    this.messageCode = header.get(9, 1);
    this.triggerEvent = header.get(9, 2);
    this.messageStructure = header.get(9, 3);
    this.controlId = header.get(10);
    this.processingId = header.get(11);
    this.version = header.get(12);
  }

  /** The MSH segment. */
  get header(): Er7Segment {
    return this.#header;
  }

  /** The first segment of that name. */
  segment(name: string): Er7Segment | undefined {
    return this.#byName.get(name)?.[0];
  }

  /** Every segment of that name, in message order. */
  all(name: string): Er7Segment[] {
    return [...(this.#byName.get(name) ?? [])];
  }
}
