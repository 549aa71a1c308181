// Whole statements, shaped as PostgREST 13's (src/PostgREST/Query/
// Statements.hs): the request's query in a `pgrst_source` CTE, an optional
// `pgrst_source_count` CTE for exact counts, and one row with the total, the
// page's row count and the JSON body. `Accept: application/vnd.pgrst.plan`
// wraps the same statement in EXPLAIN.

/** What a row of the statement holds. */
export interface ResultRow {
  total: string | number | null;
  page: string | number;
  body: string;
  /** Writes: the primary key filters of a row inserted with return=headers-only. */
  location?: string[] | null;
  /** Upserts with merge-duplicates: rows inserted, not updated. */
  inserted?: number | null;
}

export interface BodyShape {
  /** `application/vnd.pgrst.object+json`: the first row, not an array. */
  singular: boolean;
  stripNulls: boolean;
  /** A function's result shape, for calls. */
  result?: 'single-composite' | 'scalar' | 'setof-scalar' | 'rows';
  /** No body at all (return=minimal, headers-only, HEAD). */
  none?: boolean;
}

function bodySql(shape: BodyShape): string {
  if (shape.none) return `''::text`;
  const strip = (agg: string) => (shape.stripNulls ? `json_strip_nulls(${agg})` : agg);
  const value =
    shape.result === 'scalar' || shape.result === 'setof-scalar' ? '_postgrest_t.pgrst_scalar' : '_postgrest_t';
  if (shape.singular) return `coalesce(${strip(`json_agg(${value})->0`)}, 'null')::text`;
  if (shape.result === 'single-composite' || shape.result === 'scalar')
    return `coalesce(${strip(`json_agg(${value})->0`)}, 'null')::text`;
  return `coalesce(${strip(`json_agg(${value})`)}, '[]')::text`;
}

function countCte(count: string | null): { cte: string; total: string } {
  return count === null
    ? { cte: '', total: 'null::bigint' }
    : { cte: `, pgrst_source_count AS (${count})`, total: '(SELECT pg_catalog.count(*) FROM pgrst_source_count)' };
}

export function readStatement(query: string, count: string | null, shape: BodyShape): string {
  const c = countCte(count);
  return `WITH pgrst_source AS ( ${query} ) ${c.cte} SELECT ${c.total} AS total, pg_catalog.count(_postgrest_t) AS page, ${bodySql(shape)} AS body FROM ( SELECT * FROM pgrst_source ) _postgrest_t`;
}

export function writeStatement(
  mutation: string,
  select: string | null,
  shape: BodyShape,
  options: { location: string | null; countInserted: boolean },
): string {
  const inserted = options.countInserted ? `nullif(current_setting('pgrst.inserted', true),'')::int` : 'null::int';
  return (
    `WITH pgrst_source AS (${mutation}) SELECT null::bigint AS total, pg_catalog.count(_postgrest_t) AS page, ` +
    `${options.location ?? 'array[]::text[]'} AS location, ${bodySql(shape)} AS body, ${inserted} AS inserted ` +
    `FROM (${select ?? 'SELECT * FROM pgrst_source'}) _postgrest_t`
  );
}

export function callStatement(
  call: string,
  select: string,
  count: string | null,
  shape: BodyShape,
  single: boolean,
): string {
  const c = countCte(count);
  return (
    `WITH pgrst_source AS (${call}) ${c.cte} SELECT ${c.total} AS total, ` +
    `${single ? '1' : 'pg_catalog.count(_postgrest_t)'} AS page, ${bodySql(shape)} AS body FROM (${select}) _postgrest_t`
  );
}

export interface PlanRequest {
  format: 'text' | 'json';
  options: ('analyze' | 'verbose' | 'settings' | 'buffers' | 'wal')[];
}

export function explainStatement(statement: string, plan: PlanRequest): string {
  const options = [`FORMAT ${plan.format.toUpperCase()}`, ...plan.options.map((o) => o.toUpperCase())];
  return `EXPLAIN (${options.join(', ')}) ${statement}`;
}
