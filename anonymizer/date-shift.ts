/**
 * Moving dates by a patient's shift, keeping each value's precision and form: what is a year stays
 * a year, a time of day and its zone stay as written (intervals between a patient's dates are
 * kept, which is what "Retain Longitudinal Temporal Information with Modified Dates" asks).
 * ISO 8601 forms serve FHIR (date, dateTime, instant) and openEHR; DICOM has DA and DT.
 * A value that is not a date is returned as undefined: the caller removes it rather than keep it.
 * @see https://hl7.org/fhir/R4/datatypes.html#dateTime
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part05/sect_6.2.html (DA, DT)
 */

const DAY_MS = 86_400_000;
const ISO = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(T.*)?$/;
const DICOM_DATE = /^(\d{4})(\d{2})?(\d{2})?(.*)$/;

/** Days, moved in UTC calendar arithmetic (no time zone or summer time enters a date). */
function shiftDay(year: number, month: number, day: number, days: number): Date {
  return new Date(Date.UTC(year, month - 1, day) + days * DAY_MS);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** A year-only or year-month value moves by the whole years or months nearest the shift. */
function shiftPartial(year: number, month: number | undefined, days: number): { year: number; month: number | undefined } {
  if (month === undefined) return { year: year + Math.round(days / 365.25), month };
  const shifted = shiftDay(year, month, 15, days); // the middle of the month, so rounding is symmetric
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1 };
}

function valid(year: number, month?: number, day?: number): boolean {
  if (month !== undefined && (month < 1 || month > 12)) return false;
  if (day !== undefined && (day < 1 || day > new Date(Date.UTC(year, month ?? 1, 0)).getUTCDate())) return false;
  return year >= 1;
}

/**
 * A date read as year, month, day and what follows (a time, a zone), moved by `days`, written
 * back with `separator` between its parts: "-" for ISO 8601, "" for DICOM.
 */
function shiftParts(match: RegExpExecArray | null, days: number, separator: string): string | undefined {
  if (!match) return undefined;
  const [, y, m, d, rest = ''] = match;
  const year = Number(y);
  const month = m === undefined ? undefined : Number(m);
  const day = d === undefined ? undefined : Number(d);
  if (!valid(year, month, day) || (rest !== '' && day === undefined)) return undefined;
  if (day === undefined) {
    const partial = shiftPartial(year, month, days);
    return partial.month === undefined ? pad(partial.year, 4) : `${pad(partial.year, 4)}${separator}${pad(partial.month)}`;
  }
  const shifted = shiftDay(year, month as number, day, days);
  return [pad(shifted.getUTCFullYear(), 4), pad(shifted.getUTCMonth() + 1), pad(shifted.getUTCDate())].join(separator) + rest;
}

/** An ISO 8601 date, dateTime or instant (`2021`, `2021-03`, `2021-03-04`, `2021-03-04T10:00:00+01:00`) moved by `days`. */
export function shiftIsoDate(value: string, days: number): string | undefined {
  return shiftParts(ISO.exec(value.trim()), days, '-');
}

/** A DICOM DA (`YYYYMMDD`) or DT (`YYYYMMDDHHMMSS.FFFFFF&ZZXX`, any precision) moved by `days`. */
export function shiftDicomDate(value: string, days: number): string | undefined {
  return shiftParts(DICOM_DATE.exec(value.trim()), days, '');
}
