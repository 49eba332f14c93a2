/**
 * The single SQL statement that writes versions of resources: their current rows, their history
 * rows, and their search index rows (old rows removed, new ones inserted). Any number of versions
 * go in one statement, so a write is atomic even outside a transaction and costs one round trip.
 *
 * The statement names only the index tables it touches (empty steps cost PostgreSQL as much as
 * the rows do), so its text depends on the write's shape; each shape's text is built once and
 * kept prepared by the driver under its own name.
 */
import type { IndexRows } from './search/index-rows.ts';

export interface VersionWrite {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** What the change feed reports (a PUT may create, a create may follow a deletion). */
  interaction: 'create' | 'update' | 'delete';
  /** The resource as stored, or undefined for a deletion. */
  content: object | undefined;
  index: IndexRows;
  /** `index_mask` of the version being replaced: the tables whose rows must go (0 for a create). */
  previousIndexMask: number;
}

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
  {
    name: 'composite',
    table: 'fhir_composite',
    columns: [['param', 'text'], ['c1_system', 'text'], ['c1_code', 'text'], ['c2_system', 'text'], ['c2_code', 'text'], ['c2_low', 'numeric'], ['c2_high', 'numeric'], ['c2_date_low', 'timestamptz'], ['c2_date_high', 'timestamptz']],
  },
];

/** Bit of each index table in `index_mask`. */
const bit = (i: number): number => 1 << i;

/** Which index tables a resource's rows go to. */
export function indexMask(index: IndexRows): number {
  return TABLES.reduce((mask, { name }, i) => (index[name].length > 0 ? mask | bit(i) : mask), 0);
}

// Row objects use camelCase keys for the snake_case columns.
const camel = (column: string): string => column.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
const ROW_KEYS = TABLES.map(({ columns }) => columns.map(([column]) => camel(column)));

const cache = new Map<string, string>();

/** `version` writes new versions; `index` only rebuilds the index rows of current versions (reindex). */
export type WriteMode = 'version' | 'index';

/** Every index table: a reindex clears them all, whatever the stored mask says. */
export const ALL_INDEX_TABLES = TABLES.reduce((mask, _, i) => mask | bit(i), 0);

function buildSql(insertMask: number, deleteMask: number, mode: WriteMode): string {
  let n = 8;
  // The content is read as jsonb once, here, for the current row and the history row alike: a
  // large resource (an ImagingStudy of a thousand instances) costs its parse once.
  const parts = [
    `v AS (SELECT resource_type, id, version_id, last_updated, method, content::jsonb AS content, index_mask, interaction
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[], $7::int[], $8::text[])
       AS u(resource_type, id, version_id, last_updated, method, content, index_mask, interaction))`,
    ...(mode === 'index'
      ? [`cur AS (UPDATE fhir_resource r SET index_mask = v.index_mask FROM v WHERE r.resource_type = v.resource_type AND r.id = v.id)`]
      : [
          `cur AS (INSERT INTO fhir_resource (resource_type, id, version_id, last_updated, deleted, content, index_mask)
       SELECT resource_type, id, version_id, last_updated, content IS NULL, content, index_mask FROM v
       ON CONFLICT (resource_type, id) DO UPDATE SET version_id = EXCLUDED.version_id, last_updated = EXCLUDED.last_updated,
         deleted = EXCLUDED.deleted, content = EXCLUDED.content, index_mask = EXCLUDED.index_mask)`,
          `hist AS (INSERT INTO fhir_history (resource_type, id, version_id, last_updated, method, content)
       SELECT resource_type, id, version_id, last_updated, method, content FROM v)`,
          // The change feed's row, in the same statement: it commits exactly when the version does.
          `chg AS (INSERT INTO fhir_change (resource_type, id, version_id, interaction, at)
       SELECT resource_type, id, version_id, interaction, last_updated FROM v)`,
        ]),
  ];
  TABLES.forEach(({ table, columns }, i) => {
    if (deleteMask & bit(i)) {
      parts.push(`del_${table} AS (DELETE FROM ${table} t USING v WHERE t.resource_type = v.resource_type AND t.id = v.id)`);
    }
    if (insertMask & bit(i)) {
      const arrays = [`$${++n}::text[]`, `$${++n}::text[]`, ...columns.map(([, type]) => `$${++n}::${type}[]`)].join(', ');
      const names = columns.map(([column]) => column).join(', ');
      parts.push(`ins_${table} AS (INSERT INTO ${table} (resource_type, id, ${names}) SELECT * FROM unnest(${arrays}))`);
    }
  });
  return `WITH ${parts.join(',\n')}\nSELECT 1`;
}

/**
 * The statement, its parameters and its prepared-statement name for some versions.
 * Two versions of one resource may not share a statement.
 */
export function writeStatement(writes: VersionWrite[], mode: WriteMode = 'version'): { sql: string; params: unknown[]; name: string } {
  const masks = writes.map((w) => indexMask(w.index));
  const insertMask = masks.reduce((a, b) => a | b, 0);
  const deleteMask = writes.reduce((mask, w) => mask | w.previousIndexMask, 0);
  const name = `passerelle_${mode}_${insertMask}_${deleteMask}`;
  let sql = cache.get(name);
  if (sql === undefined) {
    sql = buildSql(insertMask, deleteMask, mode);
    cache.set(name, sql);
  }
  const params: unknown[] = [
    writes.map((w) => w.resourceType),
    writes.map((w) => w.id),
    writes.map((w) => w.versionId),
    writes.map((w) => w.lastUpdated),
    writes.map((w) => w.method),
    writes.map((w) => (w.content === undefined ? null : JSON.stringify(w.content))),
    masks,
    writes.map((w) => w.interaction),
  ];
  TABLES.forEach(({ name: kind }, i) => {
    if (!(insertMask & bit(i))) return;
    const keys = ROW_KEYS[i] as string[];
    const types: string[] = [];
    const ids: string[] = [];
    const values: unknown[][] = keys.map(() => []);
    for (const w of writes) {
      for (const row of w.index[kind] as unknown as Record<string, unknown>[]) {
        types.push(w.resourceType);
        ids.push(w.id);
        for (let c = 0; c < keys.length; c++) (values[c] as unknown[]).push(row[keys[c] as string] ?? null);
      }
    }
    params.push(types, ids, ...values);
  });
  return { sql, params, name };
}
