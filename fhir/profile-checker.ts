/**
 * What a constraint profile adds to its base definition, checked directly from its differential:
 * cardinality (min, max), fixed and pattern values, the allowed types of a choice element, and
 * invariants on the root element. A resource that passes the base definition's validation and
 * these checks is valid against the profile's snapshot; validating against the snapshot instead
 * would cost twice as much, since @medplum/core re-parses a profile's StructureDefinition on
 * every validation. A profile whose differential says anything else (slicing, nested
 * invariants, ...) gets no checker, and is validated against its snapshot as before.
 * Issues read as @medplum/core's do (same helpers, same paths).
 * @see https://hl7.org/fhir/R4/profiling.html
 * @see https://hl7.org/fhir/R4/elementdefinition.html (min, max, fixed[x], pattern[x], constraint)
 */
import type { ElementDefinition, ElementDefinitionConstraint, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import {
  createConstraintIssue, createProcessingIssue, createStructureIssue, deepEquals, deepIncludes, evalFhirPathTyped, parseFhirPath, toTypedValue, type Constraint, type FhirPathAtom,
} from '@medplum/core';

/** Differential keys the checker understands or that do not constrain instances. */
const UNDERSTOOD = new Set([
  'id', 'path', 'short', 'definition', 'comment', 'requirements', 'alias', 'label', 'mustSupport', 'isSummary', 'mapping', 'meaningWhenMissing',
  'min', 'max', 'constraint', 'type',
  // Bindings and reference target profiles: @medplum/core does not enforce them against a snapshot either.
  'binding',
]);

/** FHIR primitive type codes, as they appear (capitalised) in choice element names (`valueDateTime`). */
const PRIMITIVES = new Set([
  'base64Binary', 'boolean', 'canonical', 'code', 'date', 'dateTime', 'decimal', 'id', 'instant', 'integer', 'markdown', 'oid', 'positiveInt',
  'string', 'time', 'unsignedInt', 'uri', 'url', 'uuid',
]);

interface Instance {
  value: unknown;
  path: string;
  /** The type of a choice element's value (`Quantity` for `valueQuantity`). */
  type?: string;
}

interface ElementRule {
  /** Names below the root: `['component', 'value[x]']` for `Observation.component.value[x]`. */
  steps: string[];
  min: number;
  max: number;
  fixed?: unknown;
  pattern?: unknown;
  /** Allowed types of a choice element. */
  types?: string[];
}

/** A root invariant, its FHIRPath parsed once. */
interface Invariant {
  constraint: Constraint;
  atom: FhirPathAtom;
}

const invariantOf = (c: ElementDefinitionConstraint): Invariant => ({
  constraint: { key: c.key as string, severity: 'error', expression: c.expression as string, description: c.human as string },
  atom: parseFhirPath(c.expression as string),
});

const valueKey = (element: ElementDefinition, prefix: 'fixed' | 'pattern'): string | undefined =>
  Object.keys(element).find((key) => key.startsWith(prefix) && key.length > prefix.length);

/** The children called `name` of a value (`value[x]`: the one `value<Type>` present), with their paths. */
function children(parent: Instance, name: string): Instance[] {
  if (!parent.value || typeof parent.value !== 'object') return [];
  const record = parent.value as Record<string, unknown>;
  if (name.endsWith('[x]')) {
    const stem = name.slice(0, -3);
    const key = Object.keys(record).find((k) => k.startsWith(stem) && /^[A-Z]/.test(k.slice(stem.length)) && record[k] !== undefined);
    if (!key) return [];
    const suffix = key.slice(stem.length);
    const lower = suffix[0]?.toLowerCase() + suffix.slice(1);
    return [{ value: record[key], path: `${parent.path}.${name}`, type: PRIMITIVES.has(lower) ? lower : suffix }];
  }
  const value = record[name];
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map((item, i) => ({ value: item, path: `${parent.path}.${name}[${i}]` }));
  return [{ value, path: `${parent.path}.${name}` }];
}

export class ProfileChecker {
  readonly #root: string;
  readonly #rules: ElementRule[];
  readonly #invariants: Invariant[];

  private constructor(root: string, rules: ElementRule[], invariants: Invariant[]) {
    this.#root = root;
    this.#rules = rules;
    this.#invariants = invariants;
  }

  /** A checker for a constraint profile's differential, or undefined when it says more than the checker knows. */
  static for(profile: StructureDefinition): ProfileChecker | undefined {
    const root = profile.type;
    const elements = profile.differential?.element;
    if (!root || profile.derivation !== 'constraint' || !elements?.length) return undefined;
    const rules: ElementRule[] = [];
    const invariants: Invariant[] = [];
    for (const element of elements) {
      const fields = element as unknown as Record<string, unknown>;
      const fixed = valueKey(element, 'fixed');
      const pattern = valueKey(element, 'pattern');
      const unknown = Object.keys(element).some((key) => !UNDERSTOOD.has(key) && key !== fixed && key !== pattern);
      const path = element.path ?? '';
      if (unknown || element.sliceName || (element.id ?? path).includes(':') || !(path === root || path.startsWith(`${root}.`))) return undefined;
      const steps = path === root ? [] : path.slice(root.length + 1).split('.');
      if (element.constraint?.length) {
        if (steps.length > 0) return undefined;
        invariants.push(...element.constraint.filter((c) => c.severity === 'error').map(invariantOf));
      }
      if (steps.length === 0) continue;
      const types = element.type?.map((t) => t.code as string);
      rules.push({
        steps,
        min: element.min ?? 0,
        max: element.max === undefined || element.max === '*' ? Infinity : Number(element.max),
        ...(fixed ? { fixed: fields[fixed] } : {}),
        ...(pattern ? { pattern: fields[pattern] } : {}),
        ...(types?.length && steps.at(-1)?.endsWith('[x]') ? { types } : {}),
      });
    }
    return new ProfileChecker(root, rules, invariants);
  }

  /** The profile's issues with a resource of its type (which the base definition's validation also checks). */
  check(resource: Resource): OperationOutcomeIssue[] {
    const issues: OperationOutcomeIssue[] = [];
    const root: Instance = { value: resource, path: this.#root };
    for (const rule of this.#rules) {
      let parents = [root];
      for (const step of rule.steps.slice(0, -1)) parents = parents.flatMap((p) => children(p, step));
      const name = rule.steps.at(-1) as string;
      for (const parent of parents) {
        const values = children(parent, name);
        if (values.length < rule.min || values.length > rule.max) {
          const path = `${parent.path}.${name}`;
          issues.push(values.length === 0
            ? createStructureIssue(path, 'Missing required property')
            : createStructureIssue(path, `Invalid number of values: expected ${rule.min}..${Number.isFinite(rule.max) ? rule.max : '*'}, but found ${values.length}`));
        }
        for (const value of values) {
          if (rule.types && value.type && !rule.types.includes(value.type)) {
            issues.push(createStructureIssue(value.path, `Type ${value.type} is not allowed here (${rule.types.join(', ')})`));
          }
          if ((rule.pattern !== undefined && !deepIncludes(value.value, rule.pattern)) || (rule.fixed !== undefined && !deepEquals(value.value, rule.fixed))) {
            issues.push(createStructureIssue(value.path, 'Value did not match expected pattern'));
          }
        }
      }
    }
    if (this.#invariants.length) {
      const typed = toTypedValue(resource);
      const variables = { '%context': typed, '%resource': typed, '%rootResource': typed };
      for (const { constraint, atom } of this.#invariants) {
        try {
          const result = evalFhirPathTyped(atom, [typed], variables);
          if (!(result.length === 1 && result[0]?.value === true)) issues.push(createConstraintIssue(this.#root, constraint));
        } catch (err) {
          issues.push(createProcessingIssue(this.#root, 'Error evaluating invariant expression', err as Error, { fhirpath: constraint.expression }));
        }
      }
    }
    return issues;
  }
}
