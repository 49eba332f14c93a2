/**
 * Accept header negotiation for WADO-RS (PS3.18 8.7): which representation a client gets.
 * Passerelle does not transcode: instances go out in the transfer syntax they were stored in,
 * which is what `transfer-syntax=*` asks for and what it also answers when no transfer syntax is
 * named (as Orthanc and dcm4chee do for stored compressed data). A client that names another
 * syntax gets 406 with the reason, rather than bytes it did not ask for.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_8.7
 */
import { notAcceptable } from './errors.ts';
import { parseAccept, type MediaRange } from './multipart/index.ts';

/** What the client accepts for instances: multipart or a single part, and the syntaxes it takes. */
export interface InstanceAcceptance {
  multipart: boolean;
  /** Transfer syntaxes named, in preference order; '*' takes any. */
  transferSyntaxes: string[];
}

const ANY = new Set(['*/*', 'multipart/*']);

function ranges(accept: string | undefined): MediaRange[] {
  return parseAccept(accept === undefined || accept.trim() === '' ? '*/*' : accept).filter((range) => range.q > 0);
}

/** Negotiates `multipart/related; type="application/dicom"` (or single `application/dicom` for one instance). */
export function acceptInstances(accept: string | undefined, singleInstance: boolean): InstanceAcceptance {
  const transferSyntaxes: string[] = [];
  let multipart: boolean | undefined;
  for (const range of ranges(accept)) {
    const innerType = range.params.get('type')?.toLowerCase();
    const related = range.type === 'multipart/related' && (innerType === undefined || innerType === 'application/dicom');
    const single = range.type === 'application/dicom';
    if (!related && !single && !ANY.has(range.type)) continue;
    multipart ??= !(single && singleInstance);
    transferSyntaxes.push(range.params.get('transfer-syntax') ?? '*');
  }
  if (multipart === undefined) {
    throw notAcceptable(`instances are served as multipart/related; type="application/dicom"${singleInstance ? ' or application/dicom' : ''}, which the Accept header does not allow`);
  }
  return { multipart, transferSyntaxes };
}

/** Whether an instance stored in `transferSyntaxUid` can be sent as accepted. */
export function acceptsSyntax(acceptance: { transferSyntaxes: string[] }, transferSyntaxUid: string): boolean {
  return acceptance.transferSyntaxes.some((ts) => ts === '*' || ts === transferSyntaxUid);
}

/** Metadata and QIDO results are DICOM JSON; XML (application/dicom+xml) is not offered. */
export function acceptDicomJson(accept: string | undefined): void {
  const ok = ranges(accept).some((range) => ['application/dicom+json', 'application/json', '*/*', 'application/*'].includes(range.type));
  if (!ok) throw notAcceptable('results are served as application/dicom+json (DICOM JSON); application/dicom+xml is not offered');
}
