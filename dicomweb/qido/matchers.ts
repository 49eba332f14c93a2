/**
 * The value of one match parameter, parsed by the VR of its attribute into the kind of matching
 * PS3.4 C.2.2.2 defines: universal (empty value), single value, list of UIDs, wild card
 * (`*`, `?`), and range (dates and times). Bounds of dates and times are brought to one text form
 * that sorts by meaning, so SQL compares them as text.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_C.2.2.2
 */
import { badRequest } from '../errors.ts';
import type { AttributeRef } from './dictionary.ts';
import { isUid } from '../uids.ts';
import { foldPersonName } from './person-name.ts';

export type Matcher =
  /** C.2.2.2.3: every entity matches; the attribute is returned. */
  | { kind: 'universal' }
  /** Single value matching, or any of several (UI lists, CS lists). */
  | { kind: 'equals'; values: string[] }
  /** C.2.2.2.4: a DICOM pattern with `*` and `?` (not yet translated to SQL). */
  | { kind: 'wildcard'; pattern: string }
  /** A person name, folded (person-name.ts); `pattern` when it has wild cards. */
  | { kind: 'name'; value: string; pattern: boolean }
  /**
   * C.2.2.2.5: inclusive bounds in the canonical form of `form`; a missing bound is open.
   * `single` when the request gave one TM or DT value, matched as the span its precision covers.
   */
  | { kind: 'range'; form: TemporalForm; from?: string; to?: string; single?: boolean }
  /** Single value matching of a numeric VR, by value (`007` matches 7). */
  | { kind: 'number'; value: number };

/** DA `YYYYMMDD`; TM `HHMMSS.FFFFFF`; DT `YYYYMMDDHHMMSS.FFFFFF` (offsets are dropped). */
export type TemporalForm = 'date' | 'time' | 'datetime';

/** VRs with wild card matching (C.2.2.2.4). */
const WILDCARD_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);
const TEXT_VRS = new Set([...WILDCARD_VRS, 'AS', 'AT']);
const NUMERIC_VRS = new Set(['IS', 'DS', 'US', 'SS', 'UL', 'SL', 'FL', 'FD', 'UV', 'SV']);
const TEMPORAL: Record<string, TemporalForm> = { DA: 'date', TM: 'time', DT: 'datetime' };

const DATE = /^\d{8}$/;
const TIME = /^(\d{2})(\d{2}(\d{2}(\.\d{1,6})?)?)?$/;
const DATETIME = /^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$/;

/** Parses one value for `attribute` (the leaf of a path; its VR decides). */
export function parseMatcher(attribute: AttributeRef, raw: string): Matcher {
  const { vr, name } = attribute;
  if (raw === '') return { kind: 'universal' };
  if (vr === 'SQ') throw badRequest(`${name} is a sequence: match on an attribute inside it (${name}.Keyword=value) or ask for it with an empty value`);
  if (vr === '') throw badRequest(`${name} is a private attribute; matching on private attributes is not supported (ask for it with includefield)`);
  if (vr === 'UI') return uidList(name, raw);
  if (vr === 'PN') return personName(name, raw);
  if (vr in TEMPORAL) return temporal(name, TEMPORAL[vr] as TemporalForm, raw);
  if (NUMERIC_VRS.has(vr)) return numeric(name, vr, raw);
  if (TEXT_VRS.has(vr)) return text(name, vr, raw);
  throw badRequest(`${name} has VR ${vr}, which cannot be matched (binary data)`);
}

/** C.2.2.2.2: PS3.18 8.3.4.1 lists UIDs with commas; a DIMSE-style backslash list is accepted too. */
function uidList(name: string, raw: string): Matcher {
  const values = raw.split(/[,\\]/).map((value) => value.trim());
  for (const value of values) {
    if (value.includes('*') || value.includes('?')) throw badRequest(`${name}: wild cards are not allowed for UIDs (PS3.4 C.2.2.2.4), give one UID or a comma-separated list`);
    if (!isUid(value)) throw badRequest(`${name}: "${value.slice(0, 80)}" is not a UID (digits and dots, at most 64 characters)`);
  }
  return { kind: 'equals', values: [...new Set(values)] };
}

/**
 * Only the first (alphabetic) component group is matched, since the index keeps that group;
 * `*` alone is universal (C.2.2.2.4 note 1).
 */
function personName(name: string, raw: string): Matcher {
  const [alphabetic = '', ...others] = raw.split('=');
  if (alphabetic.trim() === '' && others.some((group) => group.trim() !== '')) {
    throw badRequest(`${name}: only the alphabetic component group of a person name can be matched ("Family^Given", not "=Ideographic")`);
  }
  const value = foldPersonName(alphabetic);
  if (value === '' || /^\*+$/.test(value)) return { kind: 'universal' };
  return { kind: 'name', value, pattern: /[*?]/.test(value) };
}

/**
 * CS values cannot hold commas or backslashes (PS3.5 6.2), so a list there means any of its
 * values, as for Modalities in Study `CT,MR` or `CT\MR`; other VRs take the value literally.
 */
function text(name: string, vr: string, raw: string): Matcher {
  const values = vr === 'CS' ? raw.split(/[,\\]/).map((value) => value.trim()) : [raw];
  if (values.some((value) => /[*?]/.test(value))) {
    if (!WILDCARD_VRS.has(vr)) throw badRequest(`${name}: wild cards are not allowed for VR ${vr} (PS3.4 C.2.2.2.4)`);
    if (values.length > 1) throw badRequest(`${name}: a list of values cannot have wild cards`);
    const pattern = values[0] as string;
    return /^\*+$/.test(pattern) ? { kind: 'universal' } : { kind: 'wildcard', pattern };
  }
  return { kind: 'equals', values: [...new Set(values)] };
}

function numeric(name: string, vr: string, raw: string): Matcher {
  const value = Number(raw.trim());
  const integer = vr !== 'DS' && vr !== 'FL' && vr !== 'FD';
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw badRequest(`${name}: "${raw.slice(0, 80)}" is not ${integer ? 'an integer' : 'a number'} (VR ${vr}; wild cards and ranges are not defined for numbers)`);
  }
  return { kind: 'number', value };
}

/**
 * C.2.2.2.5: `a-b`, `-b`, `a-`. A single value matches by meaning at its precision, so TM `1015`
 * is 10:15:00 to 10:15:59.999999 and DT `20240102` is the whole day; a DA is one day anyway.
 */
function temporal(name: string, form: TemporalForm, raw: string): Matcher {
  if (raw.includes('*') || raw.includes('?')) throw badRequest(`${name}: wild cards are not allowed for dates and times (PS3.4 C.2.2.2.4); use a range such as 20240101-20241231`);
  const [first, second] = splitRange(form, raw.trim());
  if (second === undefined) {
    const value = checkTemporal(name, form, first);
    return form === 'date' ? { kind: 'equals', values: [value] } : { kind: 'range', form, from: low(form, value), to: high(form, value), single: true };
  }
  if (first === '' && second === '') throw badRequest(`${name}: a range needs at least one bound ("a-b", "-b" or "a-")`);
  const from = first === '' ? undefined : low(form, checkTemporal(name, form, first));
  const to = second === '' ? undefined : high(form, checkTemporal(name, form, second));
  if (from !== undefined && to !== undefined && from > to) throw badRequest(`${name}: the range "${raw.slice(0, 80)}" starts after it ends`);
  return { kind: 'range', form, from, to };
}

/**
 * Where the range's `-` is. A DT may carry a negative offset (`...-0500`), so for DT the `-`
 * that separates is the one followed by a full datetime or nothing, tried from the left.
 */
function splitRange(form: TemporalForm, raw: string): [string, string | undefined] {
  if (!raw.includes('-')) return [raw, undefined];
  if (form !== 'datetime') {
    const at = raw.indexOf('-');
    return [raw.slice(0, at), raw.slice(at + 1)];
  }
  for (let at = raw.indexOf('-'); at >= 0; at = raw.indexOf('-', at + 1)) {
    const left = raw.slice(0, at);
    const right = raw.slice(at + 1);
    if ((left === '' || DATETIME.test(left)) && (right === '' || DATETIME.test(right))) return [left, right];
  }
  return [raw, undefined]; // reported as malformed by checkTemporal
}

const FORMATS: Record<TemporalForm, { pattern: RegExp; example: string }> = {
  date: { pattern: DATE, example: 'YYYYMMDD' },
  time: { pattern: TIME, example: 'HHMMSS.FFFFFF (HH, HHMM, HHMMSS also)' },
  datetime: { pattern: DATETIME, example: 'YYYYMMDDHHMMSS.FFFFFF&ZZXX (any leading part)' },
};

function checkTemporal(name: string, form: TemporalForm, value: string): string {
  const { pattern, example } = FORMATS[form];
  if (!pattern.test(value)) throw badRequest(`${name}: "${value.slice(0, 80)}" is not a valid ${form} (${example}), nor a range of them`);
  return value;
}

/** The earliest instant a value stands for, in canonical form (missing digits as 0). */
function low(form: TemporalForm, value: string): string {
  return canonical(form, value, '0');
}

/**
 * The latest instant a value stands for: missing digits as 9, which is not a valid time but
 * sorts after every valid value with the same leading digits, which is all a bound needs.
 */
function high(form: TemporalForm, value: string): string {
  return canonical(form, value, '9');
}

function canonical(form: TemporalForm, value: string, pad: string): string {
  if (form === 'date') return value;
  const withoutOffset = form === 'datetime' ? value.replace(/[+-]\d{4}$/, '') : value;
  const [whole = '', fraction = ''] = withoutOffset.split('.');
  return `${whole.padEnd(form === 'time' ? 6 : 14, pad)}.${fraction.padEnd(6, pad)}`;
}
