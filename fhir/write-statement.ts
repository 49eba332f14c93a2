/**
 * The single SQL statement that writes versions of resources: their current rows, their history
 * rows, and their search index rows (old rows removed, new ones inserted). Any number of versions
 * go in one statement, so a write is atomic even outside a transaction and costs one round trip;
 * the text never changes, so PostgreSQL prepares and plans it once per connection.
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
  /** False when the resource never had index rows (a fresh create): nothing to delete first. */
  replacesIndex: boolean;
}

/** Name under which drivers that support it keep the statement prepared. */
export const WRITE_STATEMENT_NAME = 'passerelle_write_versions';

// Each index table: its columns after (resource_type, id) with their SQL types.
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

function buildSql(): string {
  let n = 8;
  const parts = [
    `v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[])
       AS v(resource_type, id, version_id, last_updated, method, content))`,
    `cur AS (INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, deleted, content)
       SELECT resource_type, id, version_id, last_updated, content IS NULL, content::jsonb FROM v
       ON CONFLICT (resource_type, id) DO UPDATE SET version_id = EXCLUDED.version_id,
         last_updated = EXCLUDED.last_updated, deleted = EXCLUDED.deleted, content = EXCLUDED.content)`,
    `hist AS (INSERT INTO fhir_history (resource_type, id, version_id, last_updated, method, content)
       SELECT resource_type, id, version_id, last_updated, method, content::jsonb FROM v)`,
    `old AS (SELECT * FROM unnest($7::text[], $8::text[]) AS old(resource_type, id))`,
  ];
  for (const { table, columns } of TABLES) {
    parts.push(`del_${table} AS (DELETE FROM ${table} t USING old WHERE t.resource_type = old.resource_type AND t.id = old.id)`);
    const arrays = [`$${++n}::text[]`, `$${++n}::text[]`, ...columns.map(([, type]) => `$${++n}::${type}[]`)].join(', ');
    const names = columns.map(([column]) => column).join(', ');
    parts.push(`ins_${table} AS (INSERT INTO ${table} (resource_type, id, ${names}) SELECT * FROM unnest(${arrays}))`);
  }
  return `WITH ${parts.join(',\n')}\nSELECT 1`;
}

export const WRITE_SQL = buildSql();

/** Parameters of WRITE_SQL for some versions; two versions of one resource may not share a statement. */
export function writeParams(writes: VersionWrite[]): unknown[] {
  const replaced = writes.filter((w) => w.replacesIndex);
  const params: unknown[] = [
    writes.map((w) => w.resourceType),
    writes.map((w) => w.id),
    writes.map((w) => w.versionId),
    writes.map((w) => w.lastUpdated),
    writes.map((w) => w.method),
    writes.map((w) => (w.content === undefined ? null : JSON.stringify(w.content))),
    replaced.map((w) => w.resourceType),
    replaced.map((w) => w.id),
  ];
  for (const { name, columns } of TABLES) {
    const owners: string[][] = [[], []];
    const values: unknown[][] = columns.map(() => []);
    for (const w of writes) {
      for (const row of w.index[name] as unknown as Record<string, unknown>[]) {
        owners[0]?.push(w.resourceType);
        owners[1]?.push(w.id);
        columns.forEach(([column], i) => values[i]?.push(row[camel(column)] ?? null));
      }
    }
    params.push(...owners, ...values);
  }
  return params;
}
