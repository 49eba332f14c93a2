/**
 * What each rule method does to one primitive value. A value a method cannot transform while
 * keeping it valid for its type (a number to hash, a text that is not a date to shift) is
 * removed rather than kept: in doubt, nothing leaves.
 */
import type { Pseudonymizer } from '../pseudonyms.ts';
import { shiftIsoDate } from '../date-shift.ts';
import type { Rule } from './rules.ts';

export const DATE_TYPES: ReadonlySet<string> = new Set(['date', 'dateTime', 'instant']);
/** Types whose value is a free string, so a hash of it is still valid. */
const HASHABLE_TYPES: ReadonlySet<string> = new Set(['string', 'code', 'id', 'uri', 'url', 'canonical', 'oid', 'uuid', 'markdown']);

/** Marks a value that leaves the output. */
export const REMOVED = Symbol('removed');
export type Primitive = string | number | boolean;

export interface MethodContext {
  pseudonymizer: Pseudonymizer;
  /** The shift (days) of the patient the resource belongs to. */
  shiftDays: number;
}

/**
 * Applies `rule` to a primitive of FHIR type `type`. `direct` is true when the rule selected
 * this very value, false when it was selected through an ancestor (a `dateShift` on a Period
 * leaves its `id` alone, one on a string removes it).
 */
export function applyToPrimitive(rule: Rule | undefined, value: Primitive, type: string, direct: boolean, context: MethodContext): Primitive | typeof REMOVED {
  switch (rule?.method) {
    case undefined:
    case 'keep':
      return value;
    case 'redact':
      return REMOVED;
    case 'substitute':
      return rule.params?.value as Primitive;
    case 'cryptoHash':
      if (typeof value !== 'string' || !HASHABLE_TYPES.has(type)) return REMOVED;
      return rule.params?.as === 'uid' ? replaceUid(value, context.pseudonymizer) : context.pseudonymizer.hash(value);
    case 'dateShift':
      if (!direct && !DATE_TYPES.has(type)) return value;
      return (typeof value === 'string' ? shiftIsoDate(value, context.shiftDays) : undefined) ?? REMOVED;
    case 'generalize':
      return generalize(rule, value, type, direct);
  }
}

function generalize(rule: Rule, value: Primitive, type: string, direct: boolean): Primitive | typeof REMOVED {
  const params = rule.params ?? {};
  switch (params.to) {
    case 'year': {
      if (!direct && !DATE_TYPES.has(type)) return value;
      const year = typeof value === 'string' ? /^\d{4}/.exec(value)?.[0] : undefined;
      return year ?? REMOVED;
    }
    case 'prefix':
      return typeof value === 'string' ? value.slice(0, params.length ?? 3) : REMOVED;
    case 'age':
      // Inside an Age, only its value is generalised; its unit and code stay.
      if (typeof value !== 'number') return direct ? REMOVED : value;
      return value > (params.over ?? 89) ? (params.over ?? 89) + 1 : value;
    default:
      return REMOVED;
  }
}

/** A DICOM UID replaced as the DICOM anonymiser does (`2.25.` + a keyed hash), keeping a `urn:oid:` prefix. */
function replaceUid(value: string, pseudonymizer: Pseudonymizer): string {
  const prefix = value.startsWith('urn:oid:') ? 'urn:oid:' : '';
  return prefix + pseudonymizer.uid(value.slice(prefix.length));
}

/** An Age (or Quantity) whose value was capped says so with `>=` (HIPAA Safe Harbor: ages over 89 as one group). */
export function markCappedAge(rule: Rule | undefined, original: Record<string, unknown>, output: Record<string, unknown>): void {
  if (rule?.method !== 'generalize' || rule.params?.to !== 'age') return;
  if (typeof original.value === 'number' && output.value !== original.value) output.comparator = '>=';
}
