/**
 * One SQL statement per QIDO-RS search. A `page` CTE finds the matching keys in a stable order
 * with LIMIT/OFFSET (one row more than asked, to know whether more remain); only then are the
 * page's rows joined to their attributes, and the computed attributes (counts, Modalities in
 * Study) aggregated once for the distinct studies and series of the page. The total number of
 * matches is counted only when the page overflowed, for the Warning of PS3.18 8.3.4.4.1.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_10.6
 */
import type { DicomJson } from '../dicom-json.ts';
import { ORDER, TABLES } from './columns.ts';
import type { QidoLevel, QidoRequest } from './request.ts';
import type { ReturnPlan } from './returns.ts';
import { columnCondition, jsonConditions, modalitiesCondition, SqlParams, type JsonKey, type MatchContext } from './sql-match.ts';

export interface SearchStatement {
  text: string;
  params: unknown[];
}

/** A row of the statement; which fields are set depends on the level and the plan. */
export interface SearchRow {
  study_uid: string;
  series_uid?: string;
  sop_instance_uid?: string;
  study?: DicomJson | null;
  series?: DicomJson | null;
  instance?: DicomJson | null;
  sop_class_uid?: string;
  instance_number?: number | null;
  rows?: number | null;
  columns?: number | null;
  bits_allocated?: number | null;
  number_of_frames?: number | null;
  study_stats?: { series: number; instances: number; modalities: string[] | null } | null;
  series_stats?: { instances: number } | null;
  /** All matches, when there are more than `limit` from `offset` on; null otherwise. */
  total: number | null;
}

const MODALITIES_IN_STUDY = '00080061';

/** Columns the page carries: the order, plus the keys that join it to its rows. */
const PAGE_COLUMNS: Readonly<Record<QidoLevel, readonly string[]>> = {
  study: ORDER.study,
  series: ORDER.series,
  instance: [...ORDER.instance, 'study_uid'],
};

/** How a table of a level above joins the base table of a search. */
const JOINS: Readonly<Record<QidoLevel, Partial<Record<QidoLevel, string>>>> = {
  study: {},
  series: { study: 'JOIN dicom_study s ON s.study_uid = se.study_uid' },
  instance: { study: 'JOIN dicom_study s ON s.study_uid = i.study_uid', series: 'JOIN dicom_series se ON se.series_uid = i.series_uid' },
};

/** The statement for `request`, reading what `plan` says. */
export function searchStatement(request: QidoRequest, plan: ReturnPlan): SearchStatement {
  let aliases = 0;
  const ctx: MatchContext = { params: new SqlParams(), fuzzy: request.fuzzy, alias: () => `q${++aliases}` };
  const { level } = request;
  const base = TABLES[level];
  const { conditions, joined } = whereClause(request, ctx);
  const from = [`${base.table} ${base.alias}`, ...joined.map((other) => JOINS[level][other] ?? '')].join(' ');
  const where = conditions.length > 0 ? conditions.join(' AND ') : 'TRUE';
  const order = ORDER[level];
  const limit = ctx.params.add(request.limit);
  const pageSize = ctx.params.add(request.limit + 1);
  const offset = ctx.params.add(request.offset);

  const page =
    `page AS (SELECT ${PAGE_COLUMNS[level].map((column) => `${base.alias}.${column}`).join(', ')} FROM ${from} WHERE ${where}` +
    ` ORDER BY ${order.map((column) => `${base.alias}.${column}`).join(', ')} LIMIT ${pageSize} OFFSET ${offset})`;

  const select = [...new Set(['study_uid', ...PAGE_COLUMNS[level]])].map((column) => `p.${column}`);
  const joins: string[] = [];
  if (level === 'study' || plan.study) {
    joins.push('JOIN dicom_study s ON s.study_uid = p.study_uid');
    select.push(`${pick('s.attributes', plan.study ?? [], ctx)} AS study`);
  }
  if (level === 'series') {
    joins.push('JOIN dicom_series se ON se.series_uid = p.series_uid');
    select.push(`${pick('se.attributes', plan.series ?? [], ctx)} AS series`);
  }
  if (level === 'instance') {
    joins.push('JOIN dicom_instance i ON i.sop_instance_uid = p.sop_instance_uid');
    select.push('i.sop_class_uid', 'i.rows', 'i.columns', 'i.bits_allocated', 'i.number_of_frames');
    select.push(`${pick('i.metadata', plan.instance ?? [], ctx)} AS instance`);
  }
  if (plan.studyStats) select.push(`(${STUDY_STATS}) -> p.study_uid AS study_stats`);
  if (plan.seriesStats) select.push(`(${SERIES_STATS}) -> p.series_uid AS series_stats`);
  // Counting every match costs a full scan of them, so it runs only when the page overflowed
  // (an uncorrelated subquery in a CASE branch is evaluated only when that branch is taken).
  select.push(`CASE WHEN (SELECT count(*) FROM page) > ${limit} THEN (SELECT count(*)::int FROM ${from} WHERE ${where}) END AS total`);

  const text =
    `WITH ${page} SELECT ${select.join(', ')} FROM page p ${joins.join(' ')}` +
    ` ORDER BY ${order.map((column) => `p.${column}`).join(', ')}`;
  return { text, params: ctx.params.values };
}

/**
 * The counts and modalities of the page's distinct studies, as one JSON object keyed by Study
 * Instance UID. Being uncorrelated, the subquery runs once (an InitPlan) whatever join order the
 * planner picks; a join with a stats CTE was rerun per page row when the page was underestimated.
 */
const STUDY_STATS =
  'SELECT jsonb_object_agg(k.study_uid, (' +
  " SELECT jsonb_build_object('series', count(*), 'modalities', jsonb_agg(DISTINCT x.modality ORDER BY x.modality) FILTER (WHERE x.modality <> ''))" +
  ' FROM dicom_series x WHERE x.study_uid = k.study_uid)' +
  " || jsonb_build_object('instances', (SELECT count(*) FROM dicom_instance x WHERE x.study_uid = k.study_uid)))" +
  ' FROM (SELECT DISTINCT study_uid FROM page) k';

/** The instance counts of the page's distinct series, keyed by Series Instance UID. */
const SERIES_STATS =
  "SELECT jsonb_object_agg(k.series_uid, jsonb_build_object('instances', (SELECT count(*) FROM dicom_instance x WHERE x.series_uid = k.series_uid)))" +
  ' FROM (SELECT DISTINCT series_uid FROM page) k';

/** `object` whole, or only its elements with the given tags (NULL when it has none of them). */
function pick(object: string, tags: 'all' | string[], ctx: MatchContext): string {
  if (tags === 'all') return object;
  if (tags.length === 0) return 'NULL::jsonb';
  return `(SELECT jsonb_object_agg(k, ${object}->k) FROM unnest(${ctx.params.add(tags)}::text[]) AS k WHERE ${object} ? k)`;
}

/**
 * The conditions of the path's scope and of every match key, and the tables of levels above
 * that they need joined. A key uses the base table's column if it has one (a series row has its
 * study's UID), else the column or DICOM JSON of the level the attribute is kept at.
 */
function whereClause(request: QidoRequest, ctx: MatchContext): { conditions: string[]; joined: QidoLevel[] } {
  const base = TABLES[request.level];
  const conditions: string[] = [];
  const joined = new Set<QidoLevel>();
  if (request.scope.studyUid !== undefined) conditions.push(`${base.alias}.study_uid = ${ctx.params.add(request.scope.studyUid)}`);
  if (request.scope.seriesUid !== undefined) conditions.push(`${base.alias}.series_uid = ${ctx.params.add(request.scope.seriesUid)}`);
  const json = new Map<QidoLevel, JsonKey[]>();
  for (const key of request.keys) {
    if (key.matcher.kind === 'universal') continue; // returned, not matched
    const top = key.path[0]?.tag ?? '';
    if (top === MODALITIES_IN_STUDY && key.path.length === 1) {
      const condition = modalitiesCondition(`${base.alias}.study_uid`, key.matcher, ctx);
      if (condition) conditions.push(condition);
      continue;
    }
    const onBase = key.path.length === 1 && base.columns[top] !== undefined;
    const level = onBase ? request.level : key.level;
    const table = TABLES[level];
    const column = key.path.length === 1 ? table.columns[top] : undefined;
    if (level !== request.level) joined.add(level);
    if (column) {
      const condition = columnCondition(`${table.alias}.${column.name}`, column, key, ctx, key.time && timeSql(level, key.time.tag));
      if (condition) conditions.push(condition);
    } else {
      json.set(level, [...(json.get(level) ?? []), key]);
    }
  }
  for (const [level, keys] of json) {
    const table = TABLES[level];
    conditions.push(...jsonConditions(`${table.alias}.${table.json}`, keys, ctx));
  }
  const order: QidoLevel[] = ['study', 'series'];
  return { conditions, joined: order.filter((level) => joined.has(level)) };
}

/** The SQL of a time attribute paired with a date: its column, else its first value in the JSON. */
function timeSql(level: QidoLevel, tag: string): string {
  const table = TABLES[level];
  const column = table.columns[tag];
  return column ? `${table.alias}.${column.name}` : `(${table.alias}.${table.json}->'${tag}'->'Value'->>0)`;
}

