/**
 * The range a written value stands for, shared by indexing (write time) and matching (query time).
 * FHIR search compares ranges: "2020-03" covers the whole month, "1.5" covers [1.45, 1.55).
 * @see https://hl7.org/fhir/R4/search.html#date
 * @see https://hl7.org/fhir/R4/search.html#number
 */

/** A half-open range [low, high); undefined bound means open-ended. */
export interface Range<T> {
  low: T | undefined;
  high: T | undefined;
}

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The instants covered by a FHIR date, dateTime or instant, as ISO strings.
 * A value without time zone is read as UTC (the server's convention, stated in the README).
 * Returns undefined for text that is not a FHIR date.
 */
export function dateRange(text: string): Range<string> | undefined {
  const m = DATE_PATTERN.exec(text);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = m;
  const y = Number(year);
  if (month === undefined) return utcRange(Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1));
  const mo = Number(month) - 1;
  if (mo > 11) return undefined;
  if (day === undefined) return utcRange(Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1));
  const d = Number(day);
  if (d < 1 || new Date(Date.UTC(y, mo, d)).getUTCDate() !== d) return undefined; // no 30 February
  if (hour === undefined) return utcRange(Date.UTC(y, mo, d), Date.UTC(y, mo, d + 1));
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59) return undefined;
  const offsetMs = zoneOffsetMs(zone);
  const ms = fraction ? Math.floor(Number(fraction) * 1000) : 0;
  const start = Date.UTC(y, mo, d, Number(hour), Number(minute), Number(second ?? 0), ms) - offsetMs;
  if (Number.isNaN(start)) return undefined;
  const unit = second === undefined ? 60_000 : fraction === undefined ? 1000 : 1;
  return utcRange(start, start + unit);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const [h, m] = zone.slice(1).split(':').map(Number);
  return sign * ((h as number) * 60 + (m as number)) * 60_000;
}

function utcRange(low: number, high: number): Range<string> | undefined {
  if (Number.isNaN(low) || Number.isNaN(high)) return undefined;
  return { low: new Date(low).toISOString(), high: new Date(high).toISOString() };
}

/**
 * The range implied by the precision a number is written with: "100" is [99.5, 100.5),
 * "1.50" is [1.495, 1.505). Returned as decimal strings for exact storage in `numeric`.
 */
export function numberRange(text: string): { value: string; low: string; high: string } | undefined {
  const m = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const [, sign, whole, decimals = '', exponent] = m;
  const scale = decimals.length - Number(exponent ?? 0);
  // value and half-step as integers scaled by 10^(scale + 1), to avoid binary floating point.
  const digits = BigInt(`${whole}${decimals}`) * 10n * (sign === '-' ? -1n : 1n);
  const half = 5n;
  const fmt = (n: bigint): string => scaled(n, scale + 1);
  return { value: fmt(digits), low: fmt(digits - half), high: fmt(digits + half) };
}

/** Writes `n / 10^scale` as a decimal string. */
function scaled(n: bigint, scale: number): string {
  if (scale <= 0) return (n * 10n ** BigInt(-scale)).toString();
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** Lower case without diacritics: how FHIR string search compares ("Hélène" finds "helene"). */
export function normalizeString(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}
