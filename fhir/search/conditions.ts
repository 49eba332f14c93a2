/**
 * SQL conditions for search criteria, one builder per kind of index.
 * Each criterion becomes `EXISTS (...)` against its index table, correlated with `r`
 * (the fhir_resource row); the values of one criterion are ORed.
 * @see https://hl7.org/fhir/R4/search.html#ptypes
 */
import { badRequest } from '../outcomes.ts';
import { dateRange, normalizeString, numberRange, type Range } from './ranges.ts';
import { splitEscaped, splitPrefix, unescapeValue, type Criterion, type Prefix } from './request.ts';

/** Collects positional parameters while SQL is built. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const exists = (table: string, params: SqlParams, code: string, condition: string): string =>
  `EXISTS (SELECT 1 FROM ${table} x WHERE x.resource_type = r.resource_type AND x.id = r.id AND x.param = ${params.add(code)} AND (${condition}))`;

const or = (parts: string[]): string => (parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`);

export function criterionSql(criterion: Criterion, params: SqlParams): string {
  const { code, modifier, values } = criterion;
  if (modifier === 'missing') {
    if (criterion.kind === '_id' || criterion.kind === '_lastUpdated') throw badRequest(`:missing is not allowed on ${code}`, code);
    const present = `EXISTS (SELECT 1 FROM ${tableOf(criterion)} x WHERE x.resource_type = r.resource_type AND x.id = r.id AND x.param = ${params.add(code)})`;
    return values[0] === 'true' ? `NOT ${present}` : present;
  }
  switch (criterion.kind) {
    case '_id':
      return `r.id = ANY(${params.add(values.map(unescapeValue))}::text[])`;
    case '_lastUpdated':
      return or(values.map((v) => rangeSql('r.last_updated', 'r.last_updated + interval \'1 millisecond\'', ...dateArgument(code, v), params, 'timestamptz')));
    case 'token':
      return exists('fhir_token', params, code, or(values.map((v) => tokenSql(v, modifier, params))));
    case 'string':
      return exists('fhir_string', params, code, or(values.map((v) => stringSql(v, modifier, params))));
    case 'reference':
      return exists('fhir_reference', params, code, or(values.map((v) => referenceSql(v, modifier, params))));
    case 'uri':
      return exists('fhir_uri', params, code, or(values.map((v) => `x.value = ${params.add(unescapeValue(v))}`)));
    case 'date':
      return exists('fhir_date', params, code, or(values.map((v) => rangeSql('x.low', 'x.high', ...dateArgument(code, v), params, 'timestamptz'))));
    case 'number':
      return exists('fhir_number', params, code, or(values.map((v) => rangeSql('x.low', 'x.high', ...numberArgument(code, v), params, 'numeric'))));
    case 'quantity':
      return exists('fhir_quantity', params, code, or(values.map((v) => quantitySql(code, v, params))));
    default:
      throw badRequest(`Search parameter ${code} of type ${criterion.kind} is not supported`, code);
  }
}

function tableOf(criterion: Criterion): string {
  return `fhir_${criterion.kind === 'uri' ? 'uri' : criterion.kind}`;
}

function tokenSql(value: string, modifier: string | undefined, params: SqlParams): string {
  if (modifier === 'text') return `x.display LIKE ${params.add(normalizeString(unescapeValue(value)) + '%')}`;
  if (modifier !== undefined && modifier !== 'not') throw badRequest(`Modifier :${modifier} is not supported on token parameters`);
  const parts = splitEscaped(value, '|');
  let match: string;
  if (parts.length === 1) match = `x.code = ${params.add(parts[0])}`;
  else {
    const [system, code] = parts as [string, string];
    const systemSql = system === '' ? 'x.system IS NULL' : `x.system = ${params.add(system)}`;
    match = code === '' ? systemSql : `${systemSql} AND x.code = ${params.add(code)}`;
  }
  return modifier === 'not' ? `NOT (${match})` : `(${match})`;
}

function stringSql(value: string, modifier: string | undefined, params: SqlParams): string {
  const text = unescapeValue(value);
  const pattern = (t: string): string => t.replace(/[\\%_]/g, '\\$&');
  if (modifier === 'exact') return `x.value = ${params.add(text)}`;
  if (modifier === 'contains') return `x.normalized LIKE ${params.add('%' + pattern(normalizeString(text)) + '%')}`;
  if (modifier !== undefined) throw badRequest(`Modifier :${modifier} is not supported on string parameters`);
  return `x.normalized LIKE ${params.add(pattern(normalizeString(text)) + '%')}`;
}

function referenceSql(value: string, modifier: string | undefined, params: SqlParams): string {
  const text = unescapeValue(value);
  const local = /^(?:.*\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(text);
  if (local) return `(x.target_type = ${params.add(local[1])} AND x.target_id = ${params.add(local[2])})`;
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(text)) {
    const type = modifier && modifier !== 'identifier' ? ` AND x.target_type = ${params.add(modifier)}` : '';
    return `(x.target_id = ${params.add(text)}${type})`;
  }
  return `x.target_url = ${params.add(text)}`;
}

function dateArgument(code: string, value: string): [Prefix, Range<string>] {
  const [prefix, text] = splitPrefix(value);
  const range = dateRange(text);
  if (!range) throw badRequest(`Invalid date "${text}" for ${code}`, code);
  return [prefix, range];
}

function numberArgument(code: string, value: string): [Prefix, Range<string>] {
  const [prefix, text] = splitPrefix(value);
  const range = numberRange(text);
  if (!range) throw badRequest(`Invalid number "${text}" for ${code}`, code);
  return [prefix, range];
}

function quantitySql(code: string, value: string, params: SqlParams): string {
  const [number, system, unit] = splitEscaped(value, '|') as [string, string?, string?];
  const [prefix, range] = numberArgument(code, number);
  const parts = [rangeSql('x.low', 'x.high', prefix, range, params, 'numeric')];
  if (system) parts.push(`x.system = ${params.add(system)}`);
  if (unit) parts.push(`(x.code = ${params.add(unit)} OR x.unit = ${params.add(unit)})`);
  return `(${parts.join(' AND ')})`;
}

/**
 * Compares a target range [low, high) with a search range by prefix, per R4 search 3.1.1.4.3.
 * NULL bounds on the target are open-ended.
 */
function rangeSql(low: string, high: string, prefix: Prefix, search: Range<string>, params: SqlParams, type: string): string {
  // Bind only the bounds a prefix uses: PostgreSQL cannot type a parameter the statement never reads.
  const lo = (): string => `${params.add(search.low)}::${type}`;
  const hi = (): string => `${params.add(search.high)}::${type}`;
  const within = (): string => `(${low} >= ${lo()} AND ${high} <= ${hi()})`;
  switch (prefix) {
    case 'eq':
      return within();
    case 'ne':
      return `NOT COALESCE(${within()}, false)`;
    case 'gt':
      return `(${high} IS NULL OR ${high} > ${hi()})`;
    case 'lt':
      return `(${low} IS NULL OR ${low} < ${lo()})`;
    case 'ge':
      return `(${high} IS NULL OR ${high} > ${lo()})`;
    case 'le':
      return `(${low} IS NULL OR ${low} < ${hi()})`;
    case 'sa':
      return `(${low} >= ${hi()})`;
    case 'eb':
      return `(${high} <= ${lo()})`;
    case 'ap':
      // Approximately: overlapping the search range (widening by a tolerance is for the search issue).
      return `((${low} IS NULL OR ${low} < ${hi()}) AND (${high} IS NULL OR ${high} > ${lo()}))`;
  }
}
