/**
 * A resource seen as a tree of typed nodes, each with the FHIRPath location Medplum's engine gives
 * its results (`Patient.name[0].given[1]`, `Observation.effective` for a choice, and
 * `Patient.birthDate.extension[0]` for an extension on a primitive), so that the nodes a rule's
 * FHIRPath selects can be found again and changed. Types come from the R4 definitions, which is
 * what `nodesByType('HumanName')` and date shifting by type need.
 * @see https://hl7.org/fhir/R4/json.html#primitive (the `_element` form of primitive extensions)
 */
import { getTypedPropertyValueWithPath, toTypedValue, tryGetDataType, type TypedValue } from '@medplum/core';

export type Json = Record<string, unknown>;

/** One JSON key of an object and the nodes under it (one, or one per array item). */
export interface Field {
  key: string;
  isArray: boolean;
  items: FhirNode[];
}

export interface FhirNode {
  path: string;
  type: string;
  value: unknown;
  /** `primitive`: a JSON string, number or boolean; `object`: a complex value; `resource`: a resource nested in another (contained, Bundle entry). */
  kind: 'primitive' | 'object' | 'resource';
  /** Object fields, in the original key order (objects only). */
  fields: Field[];
  /** Extensions on a primitive, from its `_key` sibling (primitives only). */
  extensions: FhirNode[];
}

export interface NodeTree {
  root: FhirNode;
  byPath: Map<string, FhirNode>;
  all: FhirNode[];
}

type TypedWithPath = TypedValue & { path: string };

/** Builds the node tree of a resource; resources nested inside it are leaves (they are walked on their own). */
export function nodeTree(resource: Json): NodeTree {
  const byPath = new Map<string, FhirNode>();
  const all: FhirNode[] = [];
  const typed: TypedWithPath = { ...toTypedValue(resource), path: resource.resourceType as string };
  const root = objectNode(typed, 'object', byPath, all);
  return { root, byPath, all };
}

function register(node: FhirNode, byPath: Map<string, FhirNode>, all: FhirNode[]): FhirNode {
  byPath.set(node.path, node);
  all.push(node);
  return node;
}

function objectNode(typed: TypedWithPath, kind: FhirNode['kind'], byPath: Map<string, FhirNode>, all: FhirNode[]): FhirNode {
  const node = register({ path: typed.path, type: typed.type, value: typed.value, kind, fields: [], extensions: [] }, byPath, all);
  if (kind === 'resource') return node;
  const value = typed.value as Json;
  const elements = tryGetDataType(typed.type)?.elements ?? {};
  for (const key of Object.keys(value)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    const name = elementName(key, elements);
    // An element the definitions do not know cannot be judged, so it never reaches the output.
    if (name === undefined) continue;
    const children = getTypedPropertyValueWithPath(typed, name);
    const typedItems = Array.isArray(children) ? children : [children];
    // The raw JSON, not Medplum's typed value: that wraps a primitive with extensions in a String object.
    const raw = value[key];
    const rawItems = Array.isArray(raw) ? raw : [raw];
    const sidecar = value[`_${key}`];
    const items: FhirNode[] = [];
    rawItems.forEach((item, index) => {
      const child = typedItems[index];
      if (item === undefined || item === null || child === undefined) return;
      const extensions = Array.isArray(sidecar) ? (sidecar[index] as Json | null | undefined) : (sidecar as Json | undefined);
      items.push(childNode({ type: child.type, value: item, path: (child as TypedWithPath).path }, extensions, byPath, all));
    });
    node.fields.push({ key, isArray: Array.isArray(value[key]), items });
  }
  return node;
}

function childNode(typed: TypedWithPath, sidecar: Json | null | undefined, byPath: Map<string, FhirNode>, all: FhirNode[]): FhirNode {
  const value = typed.value;
  if (typeof value !== 'object') {
    const node = register({ path: typed.path, type: typed.type, value, kind: 'primitive', fields: [], extensions: [] }, byPath, all);
    const extensions = Array.isArray(sidecar?.extension) ? (sidecar.extension as Json[]) : [];
    node.extensions = extensions.map((extension, i) => objectNode({ type: 'Extension', value: extension, path: `${typed.path}.extension[${i}]` }, 'object', byPath, all));
    return node;
  }
  const nested = typeof (value as Json).resourceType === 'string';
  return objectNode(nested ? { ...typed, type: (value as Json).resourceType as string } : typed, nested ? 'resource' : 'object', byPath, all);
}

/** The element a JSON key stands for: itself, or the choice element it is a typed form of (`effectiveDateTime` → `effective`). */
function elementName(key: string, elements: Record<string, unknown>): string | undefined {
  if (key in elements) return key;
  for (const element of Object.keys(elements)) {
    if (!element.endsWith('[x]')) continue;
    const base = element.slice(0, -3);
    if (key.startsWith(base) && /^[A-Z]/.test(key.slice(base.length))) return base;
  }
  return undefined;
}
