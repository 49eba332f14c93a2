/**
 * The HL7 v2 ER7 parser and writer: pure logic, no network, no dependency beyond Node.
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (HL7 v2.5 chapter 2, control)
 */
export { Er7Error, type Er7Location } from './errors.ts';
export { decodeBytes, decodeMessage, decoderLabel, encodeMessage } from './charset.ts';
export { escape, unescape } from './escape.ts';
export { Er7Field, Er7Message, Er7Repetition, Er7Segment, type Delimiters } from './message.ts';
export { parseEr7, parseMessageBytes } from './parse.ts';
export { DEFAULT_DELIMITERS, formatMessage, formatSegment, type ComponentValue, type FieldValue } from './write.ts';
