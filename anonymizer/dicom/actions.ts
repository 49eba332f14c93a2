/**
 * Applying one Table E.1-1 action to one element, as dcmjs holds it (`{ vr, Value }`): the
 * dummy values per VR (PS3.5 6.2, within each VR's length limits) and the cleaning rules.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part15/chapter_E.html#sect_E.1.1
 */
import type { DcmjsDataset, DcmjsElement } from 'dcmjs';
import { shiftDicomDate } from '../date-shift.ts';
import type { ProfileAction } from './profile-table.ts';

/** What an action needs besides the element: the patient's keyed replacements. */
export interface ActionContext {
  /** The replacement of a UID: deterministic, so references between instances stay consistent. */
  uid(original: string): string;
  /** A keyed pseudonym of any value (for AE titles kept under Retain Device Identity). */
  pseudonym(value: string): string;
  /** The patient's date shift in days, when dates are shifted; undefined when they are not. */
  shiftDays: number | undefined;
  /** De-identifies the items of a sequence that is kept (its attributes go through the table too). */
  items(items: DcmjsDataset[]): DcmjsDataset[];
}

/** Recognisably made up, and short enough for SH, CS and AE (16 characters). */
export const DUMMY_TEXT = 'ANONYMIZED';
const TEXT_VRS = new Set(['LO', 'SH', 'ST', 'LT', 'UT', 'UC', 'CS', 'AE', 'UR', 'PN']);
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const NUMBER_VRS = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'SV', 'UV']);

/** The element after the action, or undefined when it is removed. */
export function applyAction(action: ProfileAction, element: DcmjsElement, context: ActionContext): DcmjsElement | undefined {
  if (action === 'remove') return undefined;
  if (action === 'keep') return element.vr === 'SQ' ? withValue(element, context.items(items(element))) : element;
  const values = valuesOf(element);
  if (action === 'empty') return withValue(element, []);
  // Nothing to hide in an empty value: it stays empty whatever the action (never invented).
  if (values.length === 0 && element.vr !== 'SQ') return withValue(element, []);
  if (element.vr === 'SQ') return withValue(element, context.items(items(element)));
  if (action === 'uid') return element.vr === 'UI' ? withValue(element, values.map((v) => context.uid(String(v)))) : withValue(element, []);
  if (action === 'dummy') return withValue(element, element.vr === 'UI' ? values.map((v) => context.uid(String(v))) : dummyValue(element.vr));
  return cleanValue(element, values, context);
}

/**
 * C, "clean": a value of similar meaning without identity. What that means depends on what the
 * option that asked for it protects, which the VR tells apart:
 * - DA, DT (Retain Longitudinal Modified Dates): moved by the patient's shift; a value that is
 *   not a date is emptied. TM stays: the shift is whole days, so a time of day is unchanged, and
 *   so does the Timezone Offset (SH). A binary timestamp (OB) cannot be moved and is removed.
 * - UI: mapped, as for U (no row cleans a UID today; a new one would not leak it).
 * - AE (Retain Device Identity): a keyed pseudonym, so the same device stays one device.
 * - Free text (Clean Descriptors, Retain Patient Characteristics): emptied. A description may
 *   name anyone; no automatic rule can prove a sentence free of identity, and an empty value
 *   keeps the attribute present (what distinguishes C from X) without guessing.
 * - Sequences: kept, their items through the table (codes are coded, not free, values).
 * - Coded strings and numbers (CS, IS, DS, US...): kept; they come from defined terms.
 */
function cleanValue(element: DcmjsElement, values: unknown[], context: ActionContext): DcmjsElement | undefined {
  switch (element.vr) {
    case 'DA':
    case 'DT':
      if (context.shiftDays === undefined) return withValue(element, []);
      return withValue(element, shiftAll(values, context.shiftDays));
    case 'TM':
      return element;
    case 'AE':
      return withValue(element, values.map((v) => context.pseudonym(String(v)).slice(0, 16)));
    case 'SH':
      // Timezone Offset From UTC (a date option's SH) is kept: a ±HHMM offset names no one. Other SH are free text.
      return values.every((v) => /^[+-]\d{4}$/.test(String(v))) ? element : withValue(element, []);
    case 'UI':
      return withValue(element, values.map((v) => context.uid(String(v))));
    default:
      if (BINARY_VRS.has(element.vr)) return undefined;
      if (element.vr === 'CS' || !TEXT_VRS.has(element.vr)) return element;
      return withValue(element, []);
  }
}

/** Each date moved; when one cannot be (not a date), the whole element is emptied rather than half kept. */
function shiftAll(values: unknown[], days: number): string[] {
  const shifted = values.map((v) => shiftDicomDate(String(v), days));
  return shifted.every((v): v is string => v !== undefined) ? shifted : [];
}

/** A non-empty value consistent with the VR and carrying nothing of the original. */
export function dummyValue(vr: string): unknown[] {
  switch (vr) {
    case 'PN':
      return [{ Alphabetic: DUMMY_TEXT }];
    case 'DA':
      return ['19000101'];
    case 'DT':
      return ['19000101000000'];
    case 'TM':
      return ['000000'];
    case 'AS':
      return ['000Y'];
    case 'DS':
    case 'IS':
      return ['0'];
    case 'UR':
      return ['urn:anonymized'];
    default:
      if (TEXT_VRS.has(vr)) return [DUMMY_TEXT];
      if (NUMBER_VRS.has(vr)) return [0];
      // Binary: eight zero bytes fit every binary VR's unit (OB 1 ... OD/OV 8).
      return [new ArrayBuffer(8)];
  }
}

function valuesOf(element: DcmjsElement): unknown[] {
  const value = element.Value;
  if (!Array.isArray(value)) return value === undefined ? [] : [value];
  return value.filter((v) => v !== undefined && v !== null && v !== '');
}

function items(element: DcmjsElement): DcmjsDataset[] {
  return Array.isArray(element.Value) ? (element.Value as DcmjsDataset[]) : [];
}

/** A fresh element (dcmjs writes `_rawValue` when it is left, so changed values must drop it). */
function withValue(element: DcmjsElement, value: unknown[]): DcmjsElement {
  return { vr: element.vr, Value: value };
}
