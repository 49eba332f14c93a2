/**
 * Sorting and keyset paging. Each sort key is an SQL expression over the searched resource `r`;
 * ties are broken by type and id, so the order is total. A page's cursor holds the sort values of
 * its last (or first) row: the next page is "rows after these values", which stays right while
 * resources are created, changed or deleted between requests (an offset would shift).
 * @see https://hl7.org/fhir/R4/search.html#sort
 */
import { badRequest } from '../outcomes.ts';
import { distanceKmSql, type SqlBuilder } from './conditions.ts';
import type { NearSpec, SortKey } from './request.ts';

export interface SortColumn {
  /** SQL of the value (NULL when the resource has none). */
  sql: string;
  /** SQL type, to cast cursor values back. */
  type: 'text' | 'timestamptz' | 'numeric' | 'float8';
  descending: boolean;
  /**
   * Whether the value can be NULL. Columns that cannot (`_lastUpdated`, `_id`) are ordered plainly,
   * so PostgreSQL can walk an index in that order and stop at the page size instead of sorting
   * every match.
   */
  nullable: boolean;
}

const INDEX = {
  string: { table: 'fhir_string', column: 'normalized', type: 'text' },
  token: { table: 'fhir_token', column: 'code', type: 'text' },
  reference: { table: 'fhir_reference', column: 'target_url', type: 'text' },
  uri: { table: 'fhir_uri', column: 'value', type: 'text' },
  number: { table: 'fhir_number', column: 'value', type: 'numeric' },
  quantity: { table: 'fhir_quantity', column: 'value', type: 'numeric' },
} as const;

/** The sort columns for `_sort` (default: distance for `near`, else newest first). */
export function sortColumns(keys: SortKey[], near: NearSpec | undefined, sql: SqlBuilder): SortColumn[] {
  if (keys.length === 0) {
    return near
      ? [{ sql: `(SELECT min(${distanceKmSql('p', near, sql)}) FROM fhir_position p WHERE p.resource_type = r.resource_type AND p.id = r.id)`, type: 'float8', descending: false, nullable: true }]
      : [{ sql: 'r.last_updated', type: 'timestamptz', descending: true, nullable: false }];
  }
  return keys.map((key): SortColumn => {
    const { descending, code } = key;
    if (key.kind === '_id') return { sql: 'r.id COLLATE "C"', type: 'text', descending, nullable: false };
    if (key.kind === '_lastUpdated') return { sql: 'r.last_updated', type: 'timestamptz', descending, nullable: false };
    const param = sql.add(code);
    if (key.kind === 'date') {
      // Ascending by where the value starts, descending by where it ends.
      const column = descending ? 'max(s.high)' : 'min(s.low)';
      return { sql: `(SELECT ${column} FROM fhir_date s WHERE s.resource_type = r.resource_type AND s.id = r.id AND s.param = ${param})`, type: 'timestamptz', descending, nullable: true };
    }
    const index = INDEX[key.kind as keyof typeof INDEX];
    if (!index) throw badRequest(`Cannot sort by ${code}`, '_sort');
    const aggregate = descending ? 'max' : 'min';
    // Text compares byte-wise ("C"), the same on every server whatever its locale; strings are already normalised.
    const collate = index.type === 'text' ? ' COLLATE "C"' : '';
    return {
      sql: `(SELECT ${aggregate}(s.${index.column}${collate}) FROM ${index.table} s WHERE s.resource_type = r.resource_type AND s.id = r.id AND s.param = ${param})`,
      type: index.type,
      descending,
      nullable: true,
    };
  });
}

/** A page position: the sort values (and type, id) of a row, and which side of it the page lies. */
export interface Cursor {
  values: (string | number | null)[];
  type: string;
  id: string;
  direction: 'after' | 'before';
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.direction === 'after' ? 'a' : 'b', cursor.type, cursor.id, ...cursor.values])).toString('base64url');
}

export function decodeCursor(text: string, columns: number): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    const [direction, type, id, ...values] = parsed;
    if ((direction === 'a' || direction === 'b') && typeof type === 'string' && typeof id === 'string' && values.length === columns) {
      return { direction: direction === 'a' ? 'after' : 'before', type, id, values: values as Cursor['values'] };
    }
  } catch {
    // reported below
  }
  throw badRequest('Invalid or outdated _cursor: start again from the first page', '_cursor');
}

/**
 * The condition "row lies after (or before) the cursor" in the order of `columns`, then type and id.
 * Resources without a value sort last in both directions.
 */
export function cursorSql(columns: SortColumn[], cursor: Cursor, sql: SqlBuilder, alias: (i: number) => string): string {
  const after = cursor.direction === 'after';
  const step = (i: number): string => {
    if (i === columns.length) {
      const type = sql.add(cursor.type);
      const id = sql.add(cursor.id);
      const op = after ? '>' : '<';
      return `(s.resource_type COLLATE "C" ${op} ${type} OR (s.resource_type = ${type} AND s.id COLLATE "C" ${op} ${id}))`;
    }
    const column = columns[i] as SortColumn;
    const value = cursor.values[i];
    const expr = alias(i);
    const rest = step(i + 1);
    if (value === null || value === undefined) {
      // The cursor row had no value: after it come only other rows without one.
      return after ? `(${expr} IS NULL AND ${rest})` : `(${expr} IS NOT NULL OR (${expr} IS NULL AND ${rest}))`;
    }
    const v = `${sql.add(value)}::${column.type}`;
    const beyond = after !== column.descending ? '>' : '<';
    const within = `(${expr} ${beyond} ${v} OR (${expr} = ${v} AND ${rest}))`;
    if (!column.nullable) return within;
    return after ? `(${expr} IS NULL OR ${within})` : `(${expr} IS NOT NULL AND ${within})`;
  };
  return step(0);
}

/** ORDER BY for the columns (reversed when reading backwards for a `previous` page). */
export function orderBySql(columns: SortColumn[], alias: (i: number) => string, reverse: boolean): string {
  const parts = columns.flatMap((column, i) => {
    const order = `${alias(i)} ${column.descending !== reverse ? 'DESC' : 'ASC'}`;
    return column.nullable ? [`(${alias(i)} IS NULL) ${reverse ? 'DESC' : 'ASC'}`, order] : [order];
  });
  const tie = reverse ? 'DESC' : 'ASC';
  return [...parts, `s.resource_type COLLATE "C" ${tie}`, `s.id COLLATE "C" ${tie}`].join(', ');
}
