/**
 * The single SQL statement that writes one version of a resource: the current row, its history
 * row, and its search index rows (old rows removed, new ones inserted), so a write costs one
 * round trip and is atomic even outside a transaction.
 */
import type { IndexRows } from './search/index-rows.ts';

export interface VersionWrite {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The resource as stored, or undefined for a deletion. */
  content: object | undefined;
  index: IndexRows;
  /** False when the resource never had index rows (a fresh create): skips the deletes. */
  replacesIndex: boolean;
}

// Each index table: its columns after (resource_type, id) with their SQL types, and how to read a row.
const TABLES: { name: keyof IndexRows; table: string; columns: [string, string][] }[] = [
  { name: 'token', table: 'fhir_token', columns: [['param', 'text'], ['system', 'text'], ['code', 'text'], ['display', 'text'], ['type_system', 'text'], ['type_code', 'text']] },
  { name: 'string', table: 'fhir_string', columns: [['param', 'text'], ['normalized', 'text'], ['value', 'text']] },
  { name: 'reference', table: 'fhir_reference', columns: [['param', 'text'], ['target_type', 'text'], ['target_id', 'text'], ['target_url', 'text']] },
  { name: 'date', table: 'fhir_date', columns: [['param', 'text'], ['low', 'timestamptz'], ['high', 'timestamptz']] },
  { name: 'number', table: 'fhir_number', columns: [['param', 'text'], ['value', 'numeric'], ['low', 'numeric'], ['high', 'numeric']] },
  { name: 'quantity', table: 'fhir_quantity', columns: [['param', 'text'], ['system', 'text'], ['code', 'text'], ['unit', 'text'], ['value', 'numeric'], ['low', 'numeric'], ['high', 'numeric']] },
  { name: 'uri', table: 'fhir_uri', columns: [['param', 'text'], ['value', 'text']] },
  { name: 'position', table: 'fhir_position', columns: [['latitude', 'float8'], ['longitude', 'float8']] },
];

// Row objects use camelCase keys for the snake_case columns.
const camel = (column: string): string => column.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

/** SQL text of index tables this module writes, e.g. for deleting a resource's rows elsewhere. */
export const INDEX_TABLES = TABLES.map((t) => t.table);

function buildSql(replacesIndex: boolean): string {
  let n = 7;
  const parts = [
    `cur AS (INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, deleted, content)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (resource_type, id) DO UPDATE SET version_id = EXCLUDED.version_id,
         last_updated = EXCLUDED.last_updated, deleted = EXCLUDED.deleted, content = EXCLUDED.content)`,
    `hist AS (INSERT INTO fhir_history (resource_type, id, version_id, last_updated, method, content)
       VALUES ($1, $2, $3, $4, $7, $6))`,
  ];
  for (const { table, columns } of TABLES) {
    if (replacesIndex) parts.push(`del_${table} AS (DELETE FROM ${table} WHERE resource_type = $1 AND id = $2)`);
    const arrays = columns.map(([, type]) => `$${++n}::${type}[]`).join(', ');
    const names = columns.map(([column]) => column).join(', ');
    parts.push(`ins_${table} AS (INSERT INTO ${table} (resource_type, id, ${names}) SELECT $1, $2, * FROM unnest(${arrays}))`);
  }
  return `WITH ${parts.join(',\n')}\nSELECT 1`;
}

const SQL = { fresh: buildSql(false), replace: buildSql(true) };

/** The statement and its parameters for one version write. */
export function writeStatement(write: VersionWrite): { sql: string; params: unknown[] } {
  const params: unknown[] = [
    write.resourceType,
    write.id,
    write.versionId,
    write.lastUpdated,
    write.content === undefined,
    write.content === undefined ? null : write.content,
    write.method,
  ];
  for (const { name, columns } of TABLES) {
    const rows = write.index[name] as unknown as Record<string, unknown>[];
    for (const [column] of columns) params.push(rows.map((row) => row[camel(column)] ?? null));
  }
  return { sql: write.replacesIndex ? SQL.replace : SQL.fresh, params };
}
