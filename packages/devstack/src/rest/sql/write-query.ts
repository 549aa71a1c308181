// INSERT (and upsert), UPDATE and DELETE as PostgREST 13 writes them
// (src/PostgREST/Query/QueryBuilder.hs mutatePlanToQuery, SqlFragment.hs
// fromJsonBodyF): the body is read with json_to_record(set) typed by the
// catalog; `Prefer: missing=default` merges each object over the columns'
// defaults first; an upsert counts the rows it really inserted in the
// `pgrst.inserted` setting, so a request that only updated answers 200.
import type { Column } from '../schema/introspect';
import { ident, type SqlParams } from './fragment';
import { qiSql } from './read-query';
import type { QualifiedName } from '../schema/relationships';

/** A literal for a name that comes from the catalog (as PostgREST's pgFmtLit). */
function literal(text: string): string {
  const escaped = `'${text.replace(/'/g, "''")}'`;
  return text.includes('\\') ? `E${escaped.replace(/\\/g, '\\\\')}` : escaped;
}

export interface JsonBody {
  json: string;
  isObject: boolean;
}

/**
 * `FROM (SELECT $1 AS json_data) pgrst_payload, [defaults,] LATERAL (SELECT cols FROM json_to_record…) pgrst_body`.
 * With `columns` empty, one row per object ({} or [{}, {}]).
 */
export function jsonBodySql(
  params: SqlParams,
  body: JsonBody,
  columns: Pick<Column, 'name' | 'dataType' | 'default'>[],
  options: { select: boolean; limitOne: boolean; defaults: boolean },
): string {
  const placeholder = `${params.add(body.json)}::${options.defaults ? 'jsonb' : 'json'}`;
  const withDefaults = columns.filter((c) => c.default !== null);
  const defaults = `jsonb_build_object(${withDefaults.map((c) => `${literal(c.name)}, ${c.default}`).join(',')})`;
  const source = options.defaults ? 'pgrst_json_defs.val' : 'pgrst_payload.json_data';
  const prefix = options.defaults ? 'jsonb' : 'json';
  const parts = [options.select ? `SELECT ${columns.map((c) => `"pgrst_body".${ident(c.name)}`).join(', ')} ` : ''];
  parts.push(`FROM (SELECT ${placeholder} AS json_data) pgrst_payload, `);
  if (options.defaults) {
    parts.push(
      body.isObject
        ? `LATERAL (SELECT ${defaults} || pgrst_payload.json_data AS val) pgrst_json_defs, `
        : `LATERAL (SELECT jsonb_agg(${defaults} || elem) AS val from jsonb_array_elements(pgrst_payload.json_data) elem) pgrst_json_defs, `,
    );
  }
  const recordset = body.isObject ? `${prefix}_to_record` : `${prefix}_to_recordset`;
  const read =
    columns.length === 0
      ? body.isObject
        ? '(values(1)) _ '
        : `${prefix}_array_elements(${source}) _ `
      : `${recordset}(${source}) AS _(${columns.map((c) => `${ident(c.name)} ${c.dataType}`).join(', ')}) ${options.limitOne ? 'LIMIT 1' : ''}`;
  parts.push(`LATERAL (SELECT ${columns.map((c) => ident(c.name)).join(', ')} FROM ${read}) pgrst_body `);
  return parts.join('');
}

function returning(target: QualifiedName, columns: string[] | '*'): string {
  if (columns !== '*' && columns.length === 0) return 'RETURNING 1';
  if (columns === '*') return `RETURNING ${qiSql(target)}.*`;
  return `RETURNING ${columns.map((c) => `${qiSql(target)}.${ident(c)}`).join(', ')}`;
}

const countInserted = (add: boolean) =>
  `set_config('pgrst.inserted', (coalesce(nullif(current_setting('pgrst.inserted', true), '')::int, 0) ${add ? '+' : '-'} 1)::text, true) <> '${add ? '0' : '-1'}'`;

export interface InsertSpec {
  target: QualifiedName;
  columns: Column[];
  body: JsonBody;
  /** Upsert: merge-duplicates or ignore-duplicates on these columns (none: no ON CONFLICT clause). */
  onConflict: { action: 'merge' | 'ignore'; columns: string[] } | null;
  defaults: boolean;
  returning: string[] | '*';
}

export function insertSql(params: SqlParams, spec: InsertSpec): string {
  const cols = spec.columns.map((c) => ident(c.name)).join(', ');
  const merge = spec.onConflict?.action === 'merge';
  const parts = [
    `INSERT INTO ${qiSql(spec.target)}${spec.columns.length ? `(${cols}) ` : ' '}`,
    jsonBodySql(params, spec.body, spec.columns, { select: true, limitOne: false, defaults: spec.defaults }),
  ];
  if (merge) parts.push(`WHERE ${countInserted(true)}`);
  if (spec.onConflict && spec.onConflict.columns.length > 0) {
    parts.push(` ON CONFLICT(${spec.onConflict.columns.map(ident).join(', ')}) `);
    if (spec.onConflict.action === 'ignore' || spec.columns.length === 0) parts.push('DO NOTHING');
    else
      parts.push(
        `DO UPDATE SET ${spec.columns.map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`).join(', ')}WHERE ${countInserted(false)}`,
      );
  }
  parts.push(` ${returning(spec.target, spec.returning)}`);
  return parts.join('');
}

export function updateSql(
  params: SqlParams,
  target: QualifiedName,
  columns: Column[],
  body: JsonBody,
  defaults: boolean,
  conditions: string[],
  returnCols: string[] | '*',
): string {
  if (columns.length === 0) {
    const named = returnCols === '*' ? ['*'] : returnCols;
    const list =
      named.length === 0
        ? 'NULL'
        : named.map((c) => (c === '*' ? `${ident(target.name)}.*` : `${ident(target.name)}.${ident(c)}`)).join(', ');
    return `SELECT ${list} FROM ${qiSql(target)} WHERE false`;
  }
  const sets = columns.map((c) => `${ident(c.name)} = "pgrst_body".${ident(c.name)}`).join(', ');
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  return `UPDATE ${qiSql(target)} SET ${sets} ${jsonBodySql(params, body, columns, { select: false, limitOne: false, defaults })}${where} ${returning(target, returnCols)}`;
}

export function deleteSql(target: QualifiedName, conditions: string[], returnCols: string[] | '*'): string {
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  return `DELETE FROM ${qiSql(target)} ${where} ${returning(target, returnCols)}`;
}

/** The Location of a row inserted with `return=headers-only`: its primary key as filters. */
export function locationSql(primaryKey: string[]): string {
  const keys = primaryKey.map(literal).join(',');
  return `CASE WHEN pg_catalog.count(_postgrest_t) = 1 THEN coalesce((
    WITH data AS (SELECT row_to_json(_) AS row FROM pgrst_source AS _ LIMIT 1)
    SELECT array_agg(json_data.key || '=' || coalesce('eq.' || json_data.value, 'is.null'))
    FROM data CROSS JOIN json_each_text(data.row) AS json_data
    WHERE json_data.key IN (${keys || "''"})), array[]::text[]) ELSE array[]::text[] END`;
}
