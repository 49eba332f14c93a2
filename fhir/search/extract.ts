/**
 * Extracts the values of every search parameter the spec defines for a resource's type,
 * by evaluating each parameter's FHIRPath expression at write time.
 * @see https://hl7.org/fhir/R4/searchparameter-registry.html
 */
import type { Resource, SearchParameter } from '@medplum/fhirtypes';
import { evalFhirPathTyped, getSearchParameterDetails, getSearchParameters, toTypedValue, type TypedValue } from '@medplum/core';
import { dateRange, normalizeString, numberRange } from './ranges.ts';
import { emptyIndexRows, type IndexRows } from './index-rows.ts';
import { addCompositeRows, compositePlan, type CompositePlan } from './extract-composite.ts';
import { NOT_R4 } from './request.ts';

/** Parameters answered from the resource table's own columns, not indexable as values, or not R4. */
const NOT_INDEXED = new Set(['_id', '_lastUpdated', '_text', '_content', '_list', '_has', '_type', '_query', '_filter', ...NOT_R4]);

type Json = Record<string, unknown>;

/** The search parameters of a type that the index answers (composites only when they have two parts). */
export function indexedParameters(resourceType: string): SearchParameter[] {
  return Object.values(getSearchParameters(resourceType) ?? {}).filter(
    (sp) => !NOT_INDEXED.has(sp.code as string) && sp.expression !== undefined && (sp.type !== 'composite' || compositePlan(sp) !== undefined),
  );
}

type Extractor = {
  sp: SearchParameter;
  param: string;
  expression: ReturnType<typeof getSearchParameterDetails>['parsedExpression'];
  composite?: CompositePlan;
};
const extractors = new Map<string, Extractor[]>();

/** Each type's indexed parameters with their parsed expressions, looked up once per type. */
function extractorsFor(resourceType: string): Extractor[] {
  let list = extractors.get(resourceType);
  if (!list) {
    list = indexedParameters(resourceType).map((sp) => ({
      sp,
      param: sp.code as string,
      expression: getSearchParameterDetails(resourceType, sp).parsedExpression,
      composite: compositePlan(sp),
    }));
    extractors.set(resourceType, list);
  }
  return list;
}

export function extractIndexRows(resource: Resource): IndexRows {
  const rows = emptyIndexRows();
  const input = [toTypedValue(resource)];
  for (const { sp, param, expression, composite } of extractorsFor(resource.resourceType)) {
    let values: TypedValue[];
    try {
      if (composite) {
        addCompositeRows(rows, composite, input, (target, kind, typed) => addValue(target, { ...sp, type: kind as SearchParameter['type'] }, 'component', typed));
        continue;
      }
      values = evalFhirPathTyped(expression, input);
    } catch {
      continue; // an expression the engine cannot evaluate on this resource indexes nothing
    }
    for (const typed of values) addValue(rows, sp, param, typed);
  }
  return rows;
}

function addValue(rows: IndexRows, sp: SearchParameter, param: string, typed: TypedValue): void {
  const { type, value } = typed;
  if (value === undefined || value === null) return;
  switch (sp.type) {
    case 'token':
      return addToken(rows, param, type, value);
    case 'string':
      return addString(rows, param, type, value);
    case 'reference':
      return addReference(rows, param, type, value);
    case 'date':
      return addDate(rows, param, type, value);
    case 'number':
      return addNumber(rows, param, value);
    case 'quantity':
      return addQuantity(rows, param, type, value);
    case 'uri':
      if (typeof value === 'string') rows.uri.push({ param, value });
      return;
    case 'special':
      if (param === 'near' && typeof value === 'object') {
        const { latitude, longitude } = value as { latitude?: number; longitude?: number };
        if (typeof latitude === 'number' && typeof longitude === 'number') rows.position.push({ latitude, longitude });
      }
      return;
  }
}

function addToken(rows: IndexRows, param: string, type: string, value: unknown): void {
  const push = (system: unknown, code: unknown, display?: unknown, typeCoding?: Json): void => {
    rows.token.push({
      param,
      system: typeof system === 'string' ? system : undefined,
      code: typeof code === 'string' ? code : code === undefined ? undefined : String(code),
      display: typeof display === 'string' ? normalizeString(display) : undefined,
      typeSystem: typeCoding?.system as string | undefined,
      typeCode: typeCoding?.code as string | undefined,
    });
  };
  if (typeof value !== 'object') return push(undefined, value);
  const v = value as Json;
  switch (type) {
    case 'CodeableConcept': {
      const codings = (v.coding as Json[] | undefined) ?? [];
      for (const coding of codings) push(coding.system, coding.code, coding.display ?? v.text);
      if (codings.length === 0 && typeof v.text === 'string') push(undefined, undefined, v.text);
      return;
    }
    case 'Coding':
      return push(v.system, v.code, v.display);
    case 'Identifier': {
      const typeCodings = ((v.type as Json | undefined)?.coding as Json[] | undefined) ?? [];
      const display = (v.type as Json | undefined)?.text;
      if (typeCodings.length === 0) return push(v.system, v.value, display);
      for (const typeCoding of typeCodings) push(v.system, v.value, display, typeCoding);
      return;
    }
    case 'ContactPoint':
      return push(v.system, v.value);
    default:
      // A Reference indexed as a token (e.g. by identifier), or an unexpected complex value.
      if (typeof v.identifier === 'object') return addToken(rows, param, 'Identifier', v.identifier);
  }
}

const NAME_PARTS = ['text', 'family', 'given', 'prefix', 'suffix'];
const ADDRESS_PARTS = ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'];

function addString(rows: IndexRows, param: string, type: string, value: unknown): void {
  const push = (text: unknown): void => {
    if (typeof text === 'string' && text.length > 0) rows.string.push({ param, normalized: normalizeString(text), value: text });
  };
  if (typeof value !== 'object') return push(value);
  const parts = type === 'HumanName' ? NAME_PARTS : type === 'Address' ? ADDRESS_PARTS : [];
  for (const part of parts) {
    const v = (value as Json)[part];
    for (const text of Array.isArray(v) ? v : [v]) push(text);
  }
}

const LOCAL_REFERENCE = /^(?:(.*)\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

function addReference(rows: IndexRows, param: string, type: string, value: unknown): void {
  const url = typeof value === 'string' ? value : ((value as Json).reference as string | undefined);
  if (typeof url !== 'string') return;
  const m = type === 'canonical' || type === 'uri' ? null : LOCAL_REFERENCE.exec(url);
  rows.reference.push({ param, targetType: m?.[2], targetId: m?.[3], targetUrl: url });
}

function addDate(rows: IndexRows, param: string, type: string, value: unknown): void {
  if (typeof value === 'string') {
    const range = dateRange(value);
    if (range) rows.date.push({ param, low: range.low, high: range.high });
    return;
  }
  const v = value as Json;
  if (type === 'Period') {
    const start = typeof v.start === 'string' ? dateRange(v.start) : undefined;
    const end = typeof v.end === 'string' ? dateRange(v.end) : undefined;
    if (start || end) rows.date.push({ param, low: start?.low, high: end?.high });
  } else if (type === 'Timing') {
    const events = ((v.event as string[] | undefined) ?? []).map(dateRange).filter((r) => r !== undefined);
    if (events.length > 0) {
      const lows = events.map((r) => r.low as string).sort();
      const highs = events.map((r) => r.high as string).sort();
      rows.date.push({ param, low: lows[0], high: highs[highs.length - 1] });
    }
  }
}

function addNumber(rows: IndexRows, param: string, value: unknown): void {
  if (typeof value !== 'number') return;
  const range = numberRange(String(value));
  if (range) rows.number.push({ param, ...range });
}

function addQuantity(rows: IndexRows, param: string, type: string, value: unknown): void {
  if (typeof value !== 'object') return;
  const v = value as Json;
  if (type === 'Range') {
    for (const bound of [v.low, v.high]) if (bound) addQuantity(rows, param, 'Quantity', bound);
    return;
  }
  if (typeof v.value !== 'number') return;
  const range = numberRange(String(v.value));
  if (!range) return;
  const code = type === 'Money' ? v.currency : v.code;
  rows.quantity.push({
    param,
    system: typeof v.system === 'string' ? v.system : type === 'Money' ? 'urn:iso:std:iso:4217' : undefined,
    code: typeof code === 'string' ? code : undefined,
    unit: typeof v.unit === 'string' ? v.unit : undefined,
    ...range,
  });
}
