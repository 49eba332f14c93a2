/**
 * Why a message was not applied, in HL7's own terms: an error code of table 0357, where in the
 * message the problem is (ERR-2), and whether the sender should see it as rejected (AR: the message
 * cannot be processed as sent, e.g. an unsupported type) or as an application error (AE: it was
 * understood but could not be applied, e.g. an unknown bed). The text is for people; it may quote
 * what the message said, so it goes to the sender and the message log, never to the server log.
 * @see HL7 v2.5 section 2.15.5 (ERR segment) and table 0357 (message error condition codes)
 */
import type { Er7Location } from './er7/index.ts';

export const ERROR_CODE = {
  segmentSequence: '100',
  requiredFieldMissing: '101',
  dataType: '102',
  tableValueNotFound: '103',
  unsupportedMessageType: '200',
  unsupportedEvent: '201',
  unsupportedProcessingId: '202',
  unsupportedVersion: '203',
  unknownKey: '204',
  duplicateKey: '205',
  recordLocked: '206',
  internal: '207',
} as const;

export const ERROR_TEXT: Record<string, string> = {
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
};

export type ErrorCode = (typeof ERROR_CODE)[keyof typeof ERROR_CODE];

export class Hl7Error extends Error {
  readonly code: string;
  readonly location: Er7Location | undefined;
  readonly acknowledgement: 'AE' | 'AR';
  constructor(acknowledgement: 'AE' | 'AR', code: string, message: string, location?: Er7Location) {
    super(message);
    this.name = 'Hl7Error';
    this.acknowledgement = acknowledgement;
    this.code = code;
    this.location = location;
  }
}

/** The message cannot be applied as it stands (AE). */
export const applicationError = (code: ErrorCode, message: string, location?: Er7Location): Hl7Error => new Hl7Error('AE', code, message, location);

/** The message is refused as sent (AR). */
export const rejection = (code: ErrorCode, message: string, location?: Er7Location): Hl7Error => new Hl7Error('AR', code, message, location);

/** A required field is empty: AE 101 at that field. */
export const requiredField = (segment: string, field: number, what: string, component?: number): Hl7Error =>
  applicationError(ERROR_CODE.requiredFieldMissing, `${segment}-${field}${component ? `.${component}` : ''} (${what}) is required`, { segment, field, component });
