/**
 * `_summary` and `_elements`: return part of each resource, marked SUBSETTED.
 * @see https://hl7.org/fhir/R4/search.html#summary
 * @see https://hl7.org/fhir/R4/search.html#elements
 */
import type { Resource } from '@medplum/fhirtypes';
import { tryGetDataType } from '@medplum/core';
import type { SearchRequest } from './request.ts';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' };
const ALWAYS = ['resourceType', 'id', 'meta'];

/** The resource as `_summary`/`_elements` ask, or unchanged. */
export function shapeResource(resource: Resource, request: Pick<SearchRequest, 'summary' | 'elements'>): Resource {
  const { summary, elements } = request;
  if (elements?.length) return keep(resource, new Set([...ALWAYS, ...mandatory(resource), ...elements]));
  switch (summary) {
    case 'true': {
      const schema = tryGetDataType(resource.resourceType);
      return keep(resource, new Set([...ALWAYS, ...mandatory(resource), ...(schema?.summaryProperties ?? [])]));
    }
    case 'text':
      return keep(resource, new Set([...ALWAYS, 'text', ...mandatory(resource)]));
    case 'data': {
      const { text: _text, ...rest } = resource as Resource & { text?: unknown };
      return withSubsetted(rest as Resource);
    }
    default:
      return resource;
  }
}

function mandatory(resource: Resource): string[] {
  return [...(tryGetDataType(resource.resourceType)?.mandatoryProperties ?? [])];
}

function keep(resource: Resource, names: Set<string>): Resource {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(resource)) {
    // choice elements are named without their type suffix (`value` keeps `valueQuantity`)
    const base = name.replace(/[A-Z][A-Za-z]*$/, '');
    if (names.has(name) || names.has(base) || names.has(`${base}[x]`)) out[name] = value;
  }
  return withSubsetted(out as unknown as Resource);
}

function withSubsetted(resource: Resource): Resource {
  const tags = resource.meta?.tag ?? [];
  if (tags.some((t) => t.code === SUBSETTED.code && t.system === SUBSETTED.system)) return resource;
  return { ...resource, meta: { ...resource.meta, tag: [...tags, SUBSETTED] } };
}
