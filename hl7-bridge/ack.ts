/**
 * Acknowledgements: the ACK message answering a received one, with MSA (code, the received
 * MSH-10) and, for errors, ERR (where and why). Sender and receiver are swapped, the delimiters,
 * version, processing id and character set are the received message's. Which acknowledgement is
 * due follows MSH-15 and MSH-16: both empty is the original mode (AA, AE or AR); otherwise the
 * enhanced mode's accept (CA, CE, CR) and application (AA, AE, AR) acknowledgements are sent when
 * their condition (AL always, NE never, ER on error, SU on success) holds.
 * @see HL7 v2.5 sections 2.9 (acknowledgement modes), 2.14.8 (MSA), 2.15.5 (ERR)
 */
import { DEFAULT_DELIMITERS, escape, formatMessage, formatSegment, type Delimiters, type Er7Message } from './er7/index.ts';
import { ERROR_TEXT, type Hl7Error } from './errors.ts';

export type ApplicationCode = 'AA' | 'AE' | 'AR';
export type AcknowledgementCode = ApplicationCode | 'CA' | 'CE' | 'CR';

/** Whether an enhanced-mode condition (table 0155) asks for an acknowledgement. */
function due(condition: string, success: boolean): boolean {
  return condition === 'AL' || (condition === 'ER' && !success) || (condition === 'SU' && success);
}

/**
 * The acknowledgement to send for an outcome, or undefined when the sender asked for none.
 * In the enhanced mode the application acknowledgement is preferred when both are due: it says more,
 * and it is the only answer a sender reading one reply per message can get.
 */
export function acknowledgementFor(message: Er7Message | undefined, outcome: ApplicationCode): AcknowledgementCode | undefined {
  const accept = message?.header.get(15).trim().toUpperCase() ?? '';
  const application = message?.header.get(16).trim().toUpperCase() ?? '';
  if (!accept && !application) return outcome;
  if (due(application || 'AL', outcome === 'AA')) return outcome;
  const acceptCode = outcome === 'AR' ? 'CR' : 'CA';
  return due(accept || 'AL', acceptCode === 'CA') ? acceptCode : undefined;
}

/** `YYYYMMDDHHMMSS+0000` (DTM in UTC). */
export function hl7Timestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:T]/g, '')}+0000`;
}

const versionAtLeast = (version: string, minor: number): boolean => {
  const m = /^2\.(\d+)/.exec(version);
  return m ? Number(m[1]) >= minor : true;
};

/** The ERR segment of an error: ERR-1 (ELD) before v2.5, ERR-2/3/4/7/8 from v2.5 on. */
function errSegment(error: Hl7Error, version: string, d: Delimiters): string {
  const where = error.location;
  const code = [error.code, ERROR_TEXT[error.code] ?? '', 'HL70357'];
  if (!versionAtLeast(version, 5)) {
    return formatSegment('ERR', [[where?.segment ?? '', String(where?.sequence ?? 1), where?.field ? String(where.field) : '', code]], d);
  }
  const location = where
    ? [where.segment, String(where.sequence ?? 1), where.field ? String(where.field) : '', where.field ? String(where.repetition ?? 1) : '', where.component ? String(where.component) : '', where.subcomponent ? String(where.subcomponent) : '']
    : undefined;
  return formatSegment('ERR', [undefined, location, code, 'E', undefined, undefined, undefined, error.message], d);
}

export interface AckInput {
  message: Er7Message | undefined;
  code: AcknowledgementCode;
  error?: Hl7Error;
  /** MSH-10 of the ACK itself. */
  controlId: string;
  now: Date;
}

/** The ACK message text (segments ending with CR). */
export function buildAck({ message, code, error, controlId, now }: AckInput): string {
  const d = message?.delimiters ?? DEFAULT_DELIMITERS;
  const msh = message?.header;
  const raw = (n: number): string => msh?.field(n).raw ?? '';
  const version = message?.version || '2.5';
  const event = message?.triggerEvent ?? '';
  const type = [escape('ACK', d), escape(event, d), versionAtLeast(version, 4) ? 'ACK' : ''].join(d.component).replace(new RegExp(`\\${d.component}+$`), '');
  const encodingCharacters = raw(2) || [d.component, d.repetition, d.escape, d.subcomponent].join('');
  const header = ['MSH', encodingCharacters, raw(5), raw(6), raw(3), raw(4), hl7Timestamp(now), '', type, escape(controlId, d), raw(11) || 'P', raw(12) || version, '', '', '', '', '', raw(18)]
    .join(d.field).replace(new RegExp(`\\${d.field}+$`), '');
  const oldStyleText = error && !versionAtLeast(version, 5) ? error.message : undefined;
  const segments = [header, formatSegment('MSA', [code, message?.controlId ?? '', oldStyleText], d)];
  if (error) segments.push(errSegment(error, version, d));
  return formatMessage(segments);
}
