/**
 * SQL conditions for match keys (PS3.4 C.2.2.2), on a column of an index table or on an element
 * of DICOM JSON. Values are always bound as parameters; LIKE patterns escape `%`, `_` and `\`
 * before the DICOM wild cards become SQL ones.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_C.2.2.2
 */
import type { AttributeRef } from './dictionary.ts';
import type { Column } from './columns.ts';
import type { Matcher } from './matchers.ts';
import { personNameWords } from './person-name.ts';
import type { MatchKey } from './request.ts';

/** Positional parameters of one statement. */
export class SqlParams {
  readonly values: unknown[] = [];

  /** Binds `value` and returns its placeholder (`$n`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface MatchContext {
  params: SqlParams;
  /** fuzzymatching=true: person names match word by word (see nameCondition). */
  fuzzy: boolean;
  /** A fresh alias for a nested set-returning function. */
  alias(): string;
}

/** A key as matched inside one DICOM JSON object: the path below that object. */
export interface JsonKey {
  path: AttributeRef[];
  matcher: Matcher;
  time?: MatchKey['time'];
}

/**
 * How a scalar SQL expression holds a value: `name` is folded already (a `*_norm` column),
 * `rawName` is a stored Alphabetic name folded here, `jsonNumber` a JSONB number (or string).
 */
type Scalar = 'text' | 'name' | 'rawName' | 'integer' | 'jsonNumber' | 'date' | 'time' | 'datetime';

/**
 * The condition for one key on a column of its own, undefined for universal matching. `time` is
 * the SQL of the paired time attribute when the key has combined date-time matching.
 */
export function columnCondition(sql: string, column: Column, key: JsonKey, ctx: MatchContext, time?: string): string | undefined {
  if (key.time && key.matcher.kind === 'range') return combinedCondition(sql, time ?? 'NULL', key.matcher, key.time, ctx);
  const scalar: Scalar = column.type === 'name' ? 'name' : column.type;
  return scalarCondition(sql, scalar, key.matcher, ctx);
}

/**
 * Conditions for keys on the DICOM JSON object `object` (a dataset, or an item of a sequence).
 * Keys into the same sequence are matched item by item (C.2.2.2.6): all of them in one item.
 */
export function jsonConditions(object: string, keys: JsonKey[], ctx: MatchContext): string[] {
  const conditions: string[] = [];
  const nested = new Map<string, JsonKey[]>();
  for (const key of keys) {
    const [top, ...rest] = key.path;
    if (!top) continue;
    if (rest.length > 0) {
      nested.set(top.tag, [...(nested.get(top.tag) ?? []), { ...key, path: rest }]);
      continue;
    }
    const element = `${object}->'${top.tag}'`;
    if (key.time && key.matcher.kind === 'range') {
      conditions.push(combinedCondition(`(${element}->'Value'->>0)`, `(${object}->'${key.time.tag}'->'Value'->>0)`, key.matcher, key.time, ctx));
      continue;
    }
    const { expr, scalar } = jsonScalar(top.vr);
    const alias = ctx.alias();
    const condition = scalarCondition(expr(`${alias}.v`), scalar, key.matcher, ctx);
    if (condition) conditions.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(${element}->'Value', '[]'::jsonb)) AS ${alias}(v) WHERE ${condition})`);
  }
  for (const [tag, inner] of nested) {
    const alias = ctx.alias();
    const itemConditions = jsonConditions(`${alias}.item`, inner, ctx);
    if (itemConditions.length === 0) continue; // only universal keys inside: every entity matches
    conditions.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(${object}->'${tag}'->'Value', '[]'::jsonb)) AS ${alias}(item) WHERE ${itemConditions.join(' AND ')})`);
  }
  return conditions;
}

/** How the values of an element of VR `vr` read as scalars (`v` is one JSONB value). */
function jsonScalar(vr: string): { expr: (v: string) => string; scalar: Scalar } {
  if (vr === 'PN') return { expr: (v) => `(${v}->>'Alphabetic')`, scalar: 'rawName' };
  if (['IS', 'DS', 'US', 'SS', 'UL', 'SL', 'FL', 'FD', 'UV', 'SV'].includes(vr)) return { expr: (v) => v, scalar: 'jsonNumber' };
  const scalar: Scalar = vr === 'DA' ? 'date' : vr === 'TM' ? 'time' : vr === 'DT' ? 'datetime' : 'text';
  return { expr: (v) => `(${v} #>> '{}')`, scalar };
}

/** Modalities in Study (0008,0061) matches when any series of the study has a matching Modality. */
export function modalitiesCondition(studyUid: string, matcher: Matcher, ctx: MatchContext): string | undefined {
  const alias = ctx.alias();
  const condition = scalarCondition(`${alias}.modality`, 'text', matcher, ctx);
  return condition && `EXISTS (SELECT 1 FROM dicom_series ${alias} WHERE ${alias}.study_uid = ${studyUid} AND ${condition})`;
}

function scalarCondition(x: string, scalar: Scalar, matcher: Matcher, ctx: MatchContext): string | undefined {
  const { params } = ctx;
  switch (matcher.kind) {
    case 'universal':
      return undefined;
    case 'equals':
      return matcher.values.length === 1 ? `${x} = ${params.add(matcher.values[0])}` : `${x} = ANY(${params.add(matcher.values)}::text[])`;
    case 'wildcard':
      return `${x} LIKE ${params.add(likePattern(matcher.pattern))}`;
    case 'name':
      return nameCondition(scalar === 'rawName' ? foldSql(x) : x, matcher, ctx);
    case 'range':
      return rangeCondition(scalar === 'time' ? timeSql(x) : scalar === 'datetime' ? dateTimeSql(x) : x, matcher.from, matcher.to, ctx);
    case 'number':
      if (scalar === 'jsonNumber') return `(${x} = ${params.add(JSON.stringify(matcher.value))}::jsonb OR ${x} #>> '{}' = ${params.add(String(matcher.value))})`;
      return `${x} = ${params.add(matcher.value)}`;
  }
}

/**
 * Literal matching compares the folded forms whole (`BUC^JEROME`), with wild cards if given.
 * Fuzzy matching (PS3.18 8.3.4.2, PS3.4 C.2.2.2.1.1) takes each word of the query as the start
 * of some word of the name, in any order: `jer`, `Jérôme Buc` and `buc^j*` all find `Buc^Jérôme`.
 */
function nameCondition(folded: string, matcher: Extract<Matcher, { kind: 'name' }>, ctx: MatchContext): string | undefined {
  if (!ctx.fuzzy) return `${folded} ${matcher.pattern ? 'LIKE' : '='} ${ctx.params.add(matcher.pattern ? likePattern(matcher.value) : matcher.value)}`;
  const words = personNameWords(matcher.value).filter((word) => !/^\*+$/.test(word));
  if (words.length === 0) return undefined;
  const spaced = `(' ' || translate(${folded}, '^=,', '   '))`;
  return words.map((word) => `${spaced} LIKE ${ctx.params.add(`% ${likePattern(word)}%`)}`).join(' AND ');
}

function rangeCondition(x: string, from: string | undefined, to: string | undefined, ctx: MatchContext): string {
  const bounds: string[] = [];
  if (from !== undefined) bounds.push(`${x} >= ${ctx.params.add(from)}`);
  if (to !== undefined) bounds.push(`${x} <= ${ctx.params.add(to)}`);
  return bounds.join(' AND ');
}

/**
 * Combined date-time matching: the date bounds alone first (so an index on the date serves),
 * then date and time joined as one datetime; a missing time counts as midnight.
 */
function combinedCondition(date: string, time: string, dateRange: Extract<Matcher, { kind: 'range' }>, timeRange: NonNullable<MatchKey['time']>, ctx: MatchContext): string {
  const joined = `(${date} || ${timeSql(`COALESCE(${time}, '')`)})`;
  const from = dateRange.from !== undefined && timeRange.from !== undefined ? dateRange.from + timeRange.from : undefined;
  const to = dateRange.to !== undefined && timeRange.to !== undefined ? dateRange.to + timeRange.to : undefined;
  return `${rangeCondition(date, dateRange.from, dateRange.to, ctx)} AND ${rangeCondition(joined, from, to, ctx)}`;
}

/** A DICOM wild card pattern as a LIKE pattern: LIKE's own specials escaped, then `*` and `?` translated. */
export function likePattern(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (special) => `\\${special}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

/** TM text in canonical form `HHMMSS.FFFFFF`, so `10` and `100000` compare equal. */
function timeSql(x: string): string {
  return `(rpad(split_part(${x}, '.', 1), 6, '0') || '.' || rpad(split_part(${x}, '.', 2), 6, '0'))`;
}

/** DT text in canonical form `YYYYMMDDHHMMSS.FFFFFF`, the offset dropped. */
function dateTimeSql(x: string): string {
  const digits = `substring(${x} from '^[0-9.]*')`;
  return `(rpad(split_part(${digits}, '.', 1), 14, '0') || '.' || rpad(split_part(${digits}, '.', 2), 6, '0'))`;
}

/**
 * foldPersonName in SQL for names read from DICOM JSON (indexed names are folded when stored):
 * Latin-1 accents mapped to their letters, upper case, trailing separators dropped. Letters
 * outside that table keep their accents here, which foldPersonName would remove.
 */
const ACCENTED = 'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖòóôõöÙÚÛÜùúûüÝýÿ';
const PLAIN = 'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOoooooUUUUuuuuYyy';

function foldSql(x: string): string {
  return `rtrim(upper(translate(${x}, '${ACCENTED}', '${PLAIN}')), '^ ')`;
}
