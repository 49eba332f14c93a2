/**
 * Segment-to-resource mappings as data: each rule names a field, the FHIR element it fills and the
 * data type mapper that converts it. `applyRules` follows HL7 v2's update semantics: an empty field
 * leaves the element as it was, the explicit null `""` removes it, a value replaces it.
 * @see HL7 v2.5 section 2.5.3 (null values in fields)
 */
import type { Er7Repetition, Er7Segment } from '../er7/index.ts';

export interface FieldRule {
  field: number;
  element: string;
  map: (value: Er7Repetition) => unknown;
  /** Every repetition becomes an array entry (otherwise the first repetition is the value). */
  repeats?: boolean;
}

/** Fills `target` from `segment` per `rules`; rules naming the same element add to one array. */
export function applyRules<T extends object>(target: T, segment: Er7Segment, rules: readonly FieldRule[]): T {
  const out = target as Record<string, unknown>;
  const filled = new Set<string>();
  for (const rule of rules) {
    const field = segment.field(rule.field);
    if (field.raw === '""') {
      if (!filled.has(rule.element)) delete out[rule.element];
      continue;
    }
    if (field.isEmpty()) continue;
    const values = (rule.repeats ? field.repetitions : field.repetitions.slice(0, 1)).map(rule.map).filter((v) => v !== undefined);
    if (values.length === 0) continue;
    if (rule.repeats) {
      out[rule.element] = filled.has(rule.element) ? [...(out[rule.element] as unknown[]), ...values] : values;
    } else {
      out[rule.element] = values[0];
    }
    filled.add(rule.element);
  }
  return target;
}
