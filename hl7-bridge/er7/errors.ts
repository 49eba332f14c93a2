/**
 * The one error type of the ER7 parser, carrying what an ACK needs to report it:
 * an HL7 table 0357 error code (ERR-3) and an error location (ERR-2).
 * @see https://www.hl7.eu/HL7v2x/v25/std25/ch02.html (HL7 v2.5 chapter 2, 2.15.5 ERR segment)
 * @see https://hl7-definition.caristix.com/v2/HL7v2.5/Tables/0357 (table 0357 message error condition codes)
 */

/**
 * Where in a message a problem is, as ERR-2 Error Location (data type ERL: segment id, segment sequence,
 * field position, field repetition, component number, subcomponent number).
 * @see https://hl7-definition.caristix.com/v2/HL7v2.5/DataTypes/ERL
 */
export interface Er7Location {
  segment: string;
  /** 1-based occurrence of that segment type in the message. */
  sequence?: number;
  field?: number;
  /** 1-based. */
  repetition?: number;
  component?: number;
  subcomponent?: number;
}

/**
 * The one error the parser throws: a message it cannot read.
 * `code` is an HL7 table 0357 code: '100' segment sequence error, '101' required field missing,
 * '102' data type error, '103' table value not found, '200' unsupported message type,
 * '201' unsupported event code, '202' unsupported processing id, '203' unsupported version id,
 * '207' application internal error.
 */
export class Er7Error extends Error {
  readonly code: string;
  readonly location: Er7Location | undefined;
  constructor(message: string, code: string, location?: Er7Location) {
    super(message);
    this.name = 'Er7Error';
    this.code = code;
    this.location = location;
  }
}
