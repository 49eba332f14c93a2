/**
 * Names for search statements, so that the PostgreSQL driver keeps them prepared: each shape of
 * search is then parsed once per connection instead of every time, and PostgreSQL may keep its
 * plan too. A search's text depends only on its shape (the values are parameters) and a server
 * runs few shapes over and over (the bridges' lookups, the bed counts). A text gets a name from
 * its second use, and only so many do: arbitrary searches must not grow every connection's
 * prepared statements without bound; past the limit, new shapes run unprepared as before.
 */
import type { Queryable } from '../database.ts';

const MAX_NAMED = 500;
/** Uses of texts not yet named, forgotten wholesale when it grows too large. */
const MAX_COUNTED = 10_000;

const named = new Map<string, string>();
const uses = new Map<string, number>();

/** The prepared-statement name for this search text, or undefined to run it unprepared. */
export function searchStatementName(sql: string): string | undefined {
  const name = named.get(sql);
  if (name !== undefined || named.size >= MAX_NAMED) return name;
  if (!uses.has(sql)) {
    if (uses.size >= MAX_COUNTED) uses.clear();
    uses.set(sql, 1);
    return undefined;
  }
  uses.delete(sql);
  const fresh = `passerelle_search_${named.size}`;
  named.set(sql, fresh);
  return fresh;
}

/** Runs a search statement, prepared when its text recurs. */
export function querySearch<Row>(db: Queryable, sql: string, values: unknown[]): Promise<Row[]> {
  return db.query<Row>(sql, values, searchStatementName(sql));
}
