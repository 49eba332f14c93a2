/**
 * The DICOM JSON Model (PS3.18 F.2): the form every dataset takes once parsed, and the form
 * QIDO-RS and WADO-RS metadata answer in. Keys are tags as 8 upper-case hex digits.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#chapter_F
 */

export interface PersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

export interface DicomElement {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

export type DicomJson = Record<string, DicomElement>;

/** The first value of an element as text (PN: its Alphabetic group), or undefined. */
export function firstString(dataset: DicomJson, tag: string): string | undefined {
  const value = dataset[tag]?.Value?.[0];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return (value as PersonName).Alphabetic;
  return String(value);
}

/** The first value of an element as a number, or undefined. */
export function firstNumber(dataset: DicomJson, tag: string): number | undefined {
  const value = dataset[tag]?.Value?.[0];
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
}

/** Every value of an element as text. */
export function allStrings(dataset: DicomJson, tag: string): string[] {
  return (dataset[tag]?.Value ?? []).flatMap((value) =>
    value === null || value === undefined ? [] : [typeof value === 'object' ? ((value as PersonName).Alphabetic ?? '') : String(value)],
  );
}
