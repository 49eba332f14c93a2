/**
 * SQL conditions for search criteria, one builder per kind of index.
 * Each condition is about a *subject*: SQL expressions for a resource's type and id (the searched
 * resource `r`, or a resource reached through a chain or `_has`), so conditions nest freely.
 * The values of one criterion are ORed.
 * @see https://hl7.org/fhir/R4/search.html#ptypes
 */
import { badRequest } from '../outcomes.ts';
import { dateRange, normalizeString, numberRange, type Range } from './ranges.ts';
import { splitComposite, splitEscaped, splitPrefix, unescapeValue, type Criterion, type NearSpec, type Prefix } from './request.ts';
import { compositePlan } from './extract-composite.ts';

/** Collects positional parameters and fresh table aliases while SQL is built. */
export class SqlBuilder {
  readonly values: unknown[] = [];
  readonly baseUrl: string | undefined;
  #aliases = 0;
  constructor(baseUrl?: string) {
    this.baseUrl = baseUrl;
  }
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  alias(): string {
    return `i${++this.#aliases}`;
  }
}

/** The resource a condition is about. `lastUpdated` is known for the searched resource only. */
export interface Subject {
  type: string;
  id: string;
  lastUpdated?: string;
}

const TABLE = { token: 'fhir_token', string: 'fhir_string', reference: 'fhir_reference', date: 'fhir_date', number: 'fhir_number', quantity: 'fhir_quantity', uri: 'fhir_uri', composite: 'fhir_composite' } as const;

const or = (parts: string[]): string => (parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`);

/** `EXISTS` an index row of `table` for the subject and parameter that satisfies `condition(alias)`. */
function exists(sql: SqlBuilder, table: string, subject: Subject, code: string, condition?: (a: string) => string): string {
  const a = sql.alias();
  const where = `${a}.resource_type = ${subject.type} AND ${a}.id = ${subject.id} AND ${a}.param = ${sql.add(code)}`;
  return `EXISTS (SELECT 1 FROM ${table} ${a} WHERE ${where}${condition ? ` AND ${condition(a)}` : ''})`;
}

export function criterionSql(criterion: Criterion, sql: SqlBuilder, subject: Subject): string {
  const { code, modifier, values, kind } = criterion;
  if (criterion.chain) return chainSql(criterion, sql, subject);
  if (criterion.has) return hasSql(criterion, sql, subject);
  if (modifier === 'missing') return missingSql(criterion, sql, subject);
  switch (kind) {
    case '_id':
      if (modifier) throw badRequest(`Modifier :${modifier} is not supported on _id`, code);
      return `${subject.id} = ANY(${sql.add(values.map(unescapeValue))}::text[])`;
    case '_lastUpdated': {
      const column = subject.lastUpdated;
      const condition = (c: string): string => or(values.map((v) => rangeSql(c, `${c} + interval '1 millisecond'`, ...dateArgument(code, v), sql, 'timestamptz')));
      if (column) return condition(column);
      const a = sql.alias();
      return `EXISTS (SELECT 1 FROM fhir_resource ${a} WHERE ${a}.resource_type = ${subject.type} AND ${a}.id = ${subject.id} AND ${condition(`${a}.last_updated`)})`;
    }
    case 'token': {
      if (modifier === 'not') return `NOT ${exists(sql, TABLE.token, subject, code, (a) => or(values.map((v) => tokenSql(a, v, undefined, sql))))}`;
      return exists(sql, TABLE.token, subject, code, (a) => or(values.map((v) => tokenSql(a, v, modifier, sql))));
    }
    case 'string':
      return exists(sql, TABLE.string, subject, code, (a) => or(values.map((v) => stringSql(a, v, modifier, sql))));
    case 'reference':
      return exists(sql, TABLE.reference, subject, code, (a) => or(values.map((v) => referenceSql(a, v, modifier, sql))));
    case 'uri':
      return exists(sql, TABLE.uri, subject, code, (a) => or(values.map((v) => uriSql(a, v, modifier, sql))));
    case 'date':
      noModifier(criterion);
      return exists(sql, TABLE.date, subject, code, (a) => or(values.map((v) => rangeSql(`${a}.low`, `${a}.high`, ...dateArgument(code, v), sql, 'timestamptz'))));
    case 'number':
      noModifier(criterion);
      return exists(sql, TABLE.number, subject, code, (a) => or(values.map((v) => rangeSql(`${a}.low`, `${a}.high`, ...numberArgument(code, v), sql, 'numeric'))));
    case 'quantity':
      noModifier(criterion);
      return exists(sql, TABLE.quantity, subject, code, (a) => or(values.map((v) => quantitySql(a, code, v, sql))));
    case 'composite':
      noModifier(criterion);
      return exists(sql, TABLE.composite, subject, code, (a) => or(values.map((v) => compositeSql(a, criterion, v, sql))));
    default:
      throw badRequest(`Search parameter ${code} of type ${kind} is not supported`, code);
  }
}

function noModifier(criterion: Criterion): void {
  if (criterion.modifier) throw badRequest(`Modifier :${criterion.modifier} is not supported on ${criterion.kind} parameters`, criterion.code);
}

function missingSql(criterion: Criterion, sql: SqlBuilder, subject: Subject): string {
  const { code, kind, values } = criterion;
  if (!(kind in TABLE) || (values[0] !== 'true' && values[0] !== 'false')) throw badRequest(`${code}:missing takes true or false`, code);
  const present = exists(sql, TABLE[kind as keyof typeof TABLE], subject, code);
  return values[0] === 'true' ? `NOT ${present}` : present;
}

/** `subject:Patient.name=x`: some reference of the subject leads to a resource satisfying the rest. */
function chainSql(criterion: Criterion, sql: SqlBuilder, subject: Subject): string {
  const chain = criterion.chain as NonNullable<Criterion['chain']>;
  const a = sql.alias();
  const inner = criterionSql(chain.criterion, sql, { type: `${a}.target_type`, id: `${a}.target_id` });
  return `EXISTS (SELECT 1 FROM fhir_reference ${a} WHERE ${a}.resource_type = ${subject.type} AND ${a}.id = ${subject.id}
    AND ${a}.param = ${sql.add(criterion.code)} AND ${a}.target_type = ANY(${sql.add(chain.targetTypes)}::text[]) AND ${inner})`;
}

/** `_has:Observation:subject:code=x`: some Observation refers to the subject and satisfies the rest. */
function hasSql(criterion: Criterion, sql: SqlBuilder, subject: Subject): string {
  const has = criterion.has as NonNullable<Criterion['has']>;
  const a = sql.alias();
  const inner = criterionSql(has.criterion, sql, { type: `${a}.resource_type`, id: `${a}.id` });
  return `EXISTS (SELECT 1 FROM fhir_reference ${a} WHERE ${a}.resource_type = ${sql.add(has.resourceType)} AND ${a}.param = ${sql.add(has.referenceParam)}
    AND ${a}.target_type = ${subject.type} AND ${a}.target_id = ${subject.id} AND ${inner})`;
}

/** `code`, `system|code`, `|code` (no system), `system|` (any code); `:of-type` is `typeSystem|typeCode|value`. */
function tokenSql(a: string, value: string, modifier: string | undefined, sql: SqlBuilder): string {
  if (modifier === 'text') return `${a}.display LIKE ${sql.add(likePrefix(normalizeString(unescapeValue(value))))}`;
  if (modifier === 'of-type') {
    const [typeSystem, typeCode, identifier] = splitEscaped(value, '|');
    if (!typeSystem || !typeCode || identifier === undefined) throw badRequest(':of-type takes typeSystem|typeCode|value');
    return `(${a}.type_system = ${sql.add(typeSystem)} AND ${a}.type_code = ${sql.add(typeCode)} AND ${a}.code = ${sql.add(identifier)})`;
  }
  if (modifier !== undefined) throw badRequest(`Modifier :${modifier} is not supported on token parameters`);
  return codingSql(`${a}.system`, `${a}.code`, value, sql);
}

function codingSql(systemColumn: string, codeColumn: string, value: string, sql: SqlBuilder): string {
  const parts = splitEscaped(value, '|');
  if (parts.length === 1) return `${codeColumn} = ${sql.add(parts[0])}`;
  const [system, code] = parts as [string, string];
  const systemSql = system === '' ? `${systemColumn} IS NULL` : `${systemColumn} = ${sql.add(system)}`;
  return code === '' ? systemSql : `(${systemSql} AND ${codeColumn} = ${sql.add(code)})`;
}

const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, '\\$&')}%`;

function stringSql(a: string, value: string, modifier: string | undefined, sql: SqlBuilder): string {
  const text = unescapeValue(value);
  if (modifier === 'exact') return `${a}.value = ${sql.add(text)}`;
  if (modifier === 'contains') return `${a}.normalized LIKE ${sql.add(`%${likePrefix(normalizeString(text))}`)}`;
  if (modifier !== undefined) throw badRequest(`Modifier :${modifier} is not supported on string parameters`);
  return `${a}.normalized LIKE ${sql.add(likePrefix(normalizeString(text)))}`;
}

const LOCAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
const ABSOLUTE = /^(.+)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** `Type/id`, a bare `id` (with `:Type` to name the type), or an absolute URL. */
function referenceSql(a: string, value: string, modifier: string | undefined, sql: SqlBuilder): string {
  const text = unescapeValue(value);
  const typeFilter = modifier ? ` AND ${a}.target_type = ${sql.add(modifier)}` : '';
  if (modifier && !/^[A-Z]/.test(modifier)) throw badRequest(`Modifier :${modifier} is not supported on reference parameters`);
  const local = LOCAL.exec(text);
  if (local) return `(${a}.target_type = ${sql.add(local[1])} AND ${a}.target_id = ${sql.add(local[2])})`;
  const absolute = ABSOLUTE.exec(text);
  if (absolute) {
    const ours = sql.baseUrl !== undefined && absolute[1] === sql.baseUrl;
    const byUrl = `${a}.target_url = ${sql.add(text)}`;
    return ours ? `(${byUrl} OR (${a}.target_type = ${sql.add(absolute[2])} AND ${a}.target_id = ${sql.add(absolute[3])}))` : byUrl;
  }
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(text)) return `(${a}.target_id = ${sql.add(text)}${typeFilter})`;
  return `${a}.target_url = ${sql.add(text)}`;
}

/** Exact, `:below` (the value is a prefix of the stored URI), `:above` (the stored URI is a prefix of the value). */
function uriSql(a: string, value: string, modifier: string | undefined, sql: SqlBuilder): string {
  const text = unescapeValue(value);
  if (modifier === 'below') return `${a}.value LIKE ${sql.add(likePrefix(text))}`;
  if (modifier === 'above') return `${sql.add(text)} LIKE (replace(replace(replace(${a}.value, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')`;
  if (modifier !== undefined) throw badRequest(`Modifier :${modifier} is not supported on uri parameters`);
  return `${a}.value = ${sql.add(text)}`;
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

/** `[prefix]number|system|code` (system and code optional; `number||unit` matches code or unit). */
function quantitySql(a: string, code: string, value: string, sql: SqlBuilder): string {
  const [number, system, unit] = splitEscaped(value, '|') as [string, string?, string?];
  const parts = [rangeSql(`${a}.low`, `${a}.high`, ...numberArgument(code, number), sql, 'numeric')];
  if (system) parts.push(`${a}.system = ${sql.add(system)}`);
  if (unit) parts.push(system ? `${a}.code = ${sql.add(unit)}` : `(${a}.code = ${sql.add(unit)} OR ${a}.unit = ${sql.add(unit)})`);
  return `(${parts.join(' AND ')})`;
}

/** `first$second`, each part in the syntax of its component's kind. */
function compositeSql(a: string, criterion: Criterion, value: string, sql: SqlBuilder): string {
  const plan = criterion.definition && compositePlan(criterion.definition);
  const parts = splitComposite(value);
  if (!plan || parts.length !== 2) throw badRequest(`${criterion.code} takes two values joined by $, e.g. http://loinc.org|8480-6$gt140`, criterion.code);
  const [first, second] = parts as [string, string];
  const [kind1, kind2] = plan.components.map((c) => c.kind) as [string, string];
  const firstSql = kind1 === 'token' ? codingSql(`${a}.c1_system`, `${a}.c1_code`, first, sql) : `${a}.c1_code = ${sql.add(unescapeValue(first))}`;
  let secondSql: string;
  switch (kind2) {
    case 'token':
      secondSql = codingSql(`${a}.c2_system`, `${a}.c2_code`, second, sql);
      break;
    case 'quantity': {
      const [number, system, unit] = splitEscaped(second, '|') as [string, string?, string?];
      secondSql = rangeSql(`${a}.c2_low`, `${a}.c2_high`, ...numberArgument(criterion.code, number), sql, 'numeric');
      if (system) secondSql += ` AND ${a}.c2_system = ${sql.add(system)}`;
      if (unit) secondSql += ` AND ${a}.c2_code = ${sql.add(unit)}`;
      break;
    }
    case 'number':
      secondSql = rangeSql(`${a}.c2_low`, `${a}.c2_high`, ...numberArgument(criterion.code, second), sql, 'numeric');
      break;
    case 'date':
      secondSql = rangeSql(`${a}.c2_date_low`, `${a}.c2_date_high`, ...dateArgument(criterion.code, second), sql, 'timestamptz');
      break;
    case 'string':
      secondSql = `${a}.c2_code LIKE ${sql.add(likePrefix(normalizeString(unescapeValue(second))))}`;
      break;
    default:
      secondSql = `${a}.c2_code = ${sql.add(unescapeValue(second))}`;
  }
  return `(${firstSql} AND ${secondSql})`;
}

/**
 * Compares a target range [low, high) with a search range by prefix, per R4 search 3.1.1.4.
 * NULL bounds on the target are open-ended. `ap` is "within 10% of the distance to now" for dates
 * and "within 10% of the value" for numbers, widened around the search range.
 */
function rangeSql(low: string, high: string, prefix: Prefix, search: Range<string>, sql: SqlBuilder, type: string): string {
  // Bind only the bounds a prefix uses: PostgreSQL cannot type a parameter the statement never reads.
  const lo = (): string => `${sql.add(search.low)}::${type}`;
  const hi = (): string => `${sql.add(search.high)}::${type}`;
  switch (prefix) {
    case 'eq':
      return `(${low} >= ${lo()} AND ${high} <= ${hi()})`;
    case 'ne':
      return `NOT COALESCE(${low} >= ${lo()} AND ${high} <= ${hi()}, false)`;
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
    case 'ap': {
      const [from, to] = approximate(search, type);
      return `((${low} IS NULL OR ${low} < ${sql.add(to)}::${type}) AND (${high} IS NULL OR ${high} > ${sql.add(from)}::${type}))`;
    }
  }
}

function approximate(search: Range<string>, type: string): [string, string] {
  const low = search.low as string;
  const high = search.high as string;
  if (type === 'timestamptz') {
    const margin = Math.abs(Date.now() - Date.parse(low)) * 0.1;
    return [new Date(Date.parse(low) - margin).toISOString(), new Date(Date.parse(high) + margin).toISOString()];
  }
  const margin = Math.abs((Number(low) + Number(high)) / 2) * 0.1;
  return [String(Number(low) - margin), String(Number(high) + margin)];
}

/** Great-circle distance in km from the search point to a stored position (alias `p`). */
export function distanceKmSql(p: string, near: NearSpec, sql: SqlBuilder): string {
  const lat = `${sql.add(near.latitude)}::float8`;
  const lon = `${sql.add(near.longitude)}::float8`;
  return `(12742.0176 * asin(sqrt(power(sin(radians(${p}.latitude - ${lat}) / 2), 2)
    + cos(radians(${lat})) * cos(radians(${p}.latitude)) * power(sin(radians(${p}.longitude - ${lon}) / 2), 2))))`;
}

/** A bounding box around the point that contains the whole radius, so the position index can be used. */
export function nearBoxSql(p: string, near: NearSpec, sql: SqlBuilder): string {
  const dLat = near.distanceKm / 110.574;
  const dLon = near.distanceKm / (111.32 * Math.max(Math.cos((near.latitude * Math.PI) / 180), 0.01));
  return `${p}.latitude BETWEEN ${sql.add(near.latitude - dLat)}::float8 AND ${sql.add(near.latitude + dLat)}::float8
    AND ${p}.longitude BETWEEN ${sql.add(near.longitude - dLon)}::float8 AND ${sql.add(near.longitude + dLon)}::float8`;
}
