/**
 * Applies a profile's rules to one resource: every rule's FHIRPath is evaluated on the resource,
 * each node gets the first rule that selects it or an ancestor, and the output is built anew
 * from the node tree (the input is never changed). Elements left empty are dropped, and so are
 * extensions left without a value, so the output stays valid FHIR (ele-1, ext-1).
 * @see https://hl7.org/fhir/R4/conformance-rules.html#constraints (ele-1)
 */
import { evalFhirPathTyped, parseFhirPath, type TypedValue } from '@medplum/core';
import { nodeTree, type FhirNode, type Json, type NodeTree } from './nodes.ts';
import { parseRulePath, type Profile, type Rule } from './rules.ts';
import { applyToPrimitive, markCappedAge, REMOVED, type MethodContext, type Primitive } from './methods.ts';

export interface RuleHooks extends MethodContext {
  /** A resource nested in this one (contained, Bundle entry), de-identified on its own. */
  nested(resource: Json, path: string): Json | typeof REMOVED;
  /** A Reference.reference or Bundle.entry.fullUrl as it should read in the output. */
  rewriteReference(reference: string): string | typeof REMOVED;
  /** A Bundle.entry.request.url as it should read in the output. */
  rewriteRequestUrl(url: string): string | typeof REMOVED;
}

/** Applies `profile` to `resource` and returns the de-identified copy (without its id: the caller owns ids). */
export function applyRules(resource: Json, profile: Profile, hooks: RuleHooks): Json {
  const tree = nodeTree(resource);
  const selected = selectNodes(tree, profile, resource.resourceType as string);
  const output = transform(tree.root, undefined, { rules: profile.rules, selected, hooks });
  return output === REMOVED ? { resourceType: resource.resourceType } : (output as Json);
}

/** For each node, the index of the first rule that selects it. */
function selectNodes(tree: NodeTree, profile: Profile, resourceType: string): Map<FhirNode, number> {
  const selected = new Map<FhirNode, number>();
  profile.rules.forEach((rule, index) => {
    for (const node of evaluate(rule, tree, resourceType)) {
      if (!selected.has(node)) selected.set(node, index);
    }
  });
  return selected;
}

const parsed = new Map<string, ReturnType<typeof parseFhirPath>>();

function compiled(expression: string): ReturnType<typeof parseFhirPath> {
  let atom = parsed.get(expression);
  if (!atom) {
    atom = parseFhirPath(expression);
    parsed.set(expression, atom);
  }
  return atom;
}

/** The nodes a rule's path selects; results that are not nodes of this resource (computed values, nested resources' content) select nothing. */
function evaluate(rule: Rule, tree: NodeTree, resourceType: string): FhirNode[] {
  const { nodeType, expression } = parseRulePath(rule.path);
  let input: FhirNode[];
  let relative = expression;
  if (nodeType !== undefined) {
    input = tree.all.filter((node) => node.type === nodeType);
    if (relative === '') return input;
  } else {
    input = [tree.root];
    // Medplum's engine reads a leading type name literally; `Resource.` and `DomainResource.` mean every resource.
    const leading = /^([A-Z][A-Za-z]*)\./.exec(relative)?.[1];
    if (leading === 'Resource' || leading === 'DomainResource') relative = `${resourceType}.${relative.slice(leading.length + 1)}`;
    // A rule for another type selects nothing here: skipped, since the engine would look for a
    // property of that name under every choice-type suffix before finding none.
    else if (leading !== undefined && leading !== resourceType) return [];
  }
  if (input.length === 0) return [];
  const typed = input.map((node) => ({ type: node.type, value: node.value, path: node.path }) as TypedValue);
  let results: TypedValue[];
  try {
    results = evalFhirPathTyped(compiled(relative), typed);
  } catch {
    return []; // a path that does not apply to this type (a function on the wrong kind of value) selects nothing
  }
  const nodes: FhirNode[] = [];
  for (const result of results) {
    const path = (result as TypedValue & { path?: string }).path;
    const node = path === undefined ? undefined : tree.byPath.get(path);
    if (node && node.value === result.value) nodes.push(node);
  }
  return nodes;
}

interface Pass {
  rules: Rule[];
  selected: Map<FhirNode, number>;
  hooks: RuleHooks;
}

type Output = Json | Primitive | typeof REMOVED;

function transform(node: FhirNode, inherited: number | undefined, pass: Pass): Output {
  const own = pass.selected.get(node);
  const index = effectiveRule(own, inherited);
  const rule = index === undefined ? undefined : pass.rules[index];
  const direct = index !== undefined && index === own;
  if (rule?.method === 'substitute') return structuredClone(rule.params?.value) as Output;
  if (node.kind === 'resource') return rule?.method === 'redact' ? REMOVED : pass.hooks.nested(node.value as Json, node.path);
  if (node.kind === 'primitive') return applyToPrimitive(rule, node.value as Primitive, node.type, direct, pass.hooks);
  const original = node.value as Json;
  const output: Json = {};
  if (typeof original.resourceType === 'string') output.resourceType = original.resourceType;
  for (const field of node.fields) {
    const values: unknown[] = [];
    const sidecars: (Json | null)[] = [];
    for (const item of field.items) {
      let value = transform(item, index, pass);
      if (value !== REMOVED && typeof value === 'string') value = rewriteUrl(node, field.key, value, pass.hooks);
      // A primitive's extensions go the way of the primitive (a birth time with its birth date).
      const itemIndex = effectiveRule(pass.selected.get(item), index);
      const extensions = item.extensions.map((extension) => transform(extension, itemIndex, pass)).filter((e) => e !== REMOVED);
      if (value === REMOVED && extensions.length === 0) continue;
      values.push(value === REMOVED ? null : value);
      sidecars.push(extensions.length > 0 ? { extension: extensions } : null);
    }
    if (values.length === 0) continue;
    if (values.some((v) => v !== null)) output[field.key] = field.isArray ? values : values[0];
    if (sidecars.some((s) => s !== null)) output[`_${field.key}`] = field.isArray ? sidecars : sidecars[0];
  }
  markCappedAge(direct ? rule : undefined, original, output);
  return isEmpty(node, output) ? REMOVED : output;
}

/** The first rule that selects a node itself or an ancestor. */
function effectiveRule(own: number | undefined, inherited: number | undefined): number | undefined {
  return own === undefined ? inherited : inherited === undefined ? own : Math.min(own, inherited);
}

/** References and URLs name resources by their ids, which the export replaces. */
function rewriteUrl(node: FhirNode, key: string, value: string, hooks: RuleHooks): string | typeof REMOVED {
  if ((node.type === 'Reference' && key === 'reference') || (node.type === 'BundleEntry' && key === 'fullUrl')) return hooks.rewriteReference(value);
  if (node.type === 'BundleEntryRequest' && key === 'url') return hooks.rewriteRequestUrl(value);
  return value;
}

/** An element with nothing left, or an extension with no value and no extensions, is not worth (nor allowed) keeping. */
function isEmpty(node: FhirNode, output: Json): boolean {
  const keys = Object.keys(output).filter((key) => key !== 'resourceType');
  if (node.type === 'Extension') return !keys.some((key) => key.startsWith('value') || key === 'extension');
  return keys.length === 0 && output.resourceType === undefined;
}
