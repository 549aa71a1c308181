// Whole statements for a table request. Each returns rows of
// { total, page, body, location }: the exact count when asked for, the number
// of rows in this response, the JSON body as text and, for headers-only
// inserts, the primary key filter of the first row.
import { columnNotFound, RestError } from '../errors';
import type { Modifiers } from '../query/params';
import type { Table } from '../schema/introspect';
import type { SchemaCache } from '../schema/cache';
import { fieldSql, filterColumns, filterSql, orderDirection } from './conditions';
import { ident, qualified, type SqlParams } from './fragment';
import { countSql, selectSql, type Shape } from './shape';

export interface Statement {
  text: string;
  /** minimal: the statement returns no rows; use the command's row count. */
  minimal: boolean;
}

export interface BodyOptions {
  count: boolean;
  stripNulls: boolean;
}

function bodyExpr(stripNulls: boolean): string {
  const agg = `coalesce(json_agg(pgrst_t), '[]')`;
  return `${stripNulls ? `json_strip_nulls(${agg})` : agg}::text`;
}

/** The outer select that shapes rows of `from` into the response. */
export function shapedSelect(shape: Shape, from: string, options: BodyOptions, extra = ''): string {
  const total = options.count ? `(${countSql(shape, from)})` : 'null::bigint';
  return `select ${total} as total, count(*)::int as page, ${bodyExpr(options.stripNulls)} as body${extra} from (${selectSql(shape, from)}) as pgrst_t`;
}

export function readStatement(shape: Shape, schema: string, options: BodyOptions): Statement {
  return {
    text: shapedSelect(shape, `${qualified(schema, shape.table.name)} as ${ident(shape.alias)}`, options),
    minimal: false,
  };
}

const TARGET = 'pgrst_target';

/** Filters (and limit/order) of a PATCH or DELETE, over the target table. */
export async function mutationConditions(
  cache: SchemaCache,
  params: SqlParams,
  table: Table,
  mods: Modifiers,
): Promise<string[]> {
  const names = [...mods.filters.flatMap(filterColumns), ...mods.order.map((o) => o.field.name)];
  const checked = await cache.ensureColumns(table, names);
  if (checked.missing.length > 0) throw columnNotFound(table.name, checked.missing[0]);
  const ctx = { params, alias: TARGET, columnOf: (name: string) => table.columns.find((c) => c.name === name) };
  const conditions = mods.filters.map((f) => filterSql(ctx, f));
  if (mods.limit !== null) {
    if (mods.order.some((o) => o.relation !== null))
      throw new RestError(400, 'PGRST100', '"failed to parse order"', 'related order is not allowed here');
    const order = mods.order.map((o) => `${fieldSql(params, TARGET, o.field)} ${orderDirection(o.direction, o.nulls)}`);
    const inner = [`select ${ident(TARGET)}.ctid from ${qualified(cache.schema, table.name)} as ${ident(TARGET)}`];
    if (conditions.length > 0) inner.push(`where ${conditions.join(' and ')}`);
    if (order.length > 0) inner.push(`order by ${order.join(', ')}`);
    inner.push(`limit ${mods.limit}`);
    if (mods.offset) inner.push(`offset ${mods.offset}`);
    return [`${ident(TARGET)}.ctid = any(array(${inner.join(' ')}))`];
  }
  return conditions;
}

export interface InsertSpec {
  table: Table;
  columns: string[];
  missingDefault: boolean;
  onConflict: { columns: string[]; action: 'merge' | 'ignore' } | null;
}

export function insertCommand(
  schema: string,
  params: SqlParams,
  spec: InsertSpec,
  bodyJson: string,
  returning: string,
): string {
  const body = params.add(bodyJson);
  const target = qualified(schema, spec.table.name);
  const exprs = spec.columns.map((name) => {
    const column = spec.table.columns.find((c) => c.name === name);
    const value = `pgrst_r.${ident(name)}`;
    if (spec.missingDefault && column?.default) {
      return `case when jsonb_exists(pgrst_b.j, ${params.add(name)}) then ${value} else ${column.default} end`;
    }
    return value;
  });
  const parts = [
    `insert into ${target}${spec.columns.length > 0 ? ` (${spec.columns.map(ident).join(', ')})` : ''}`,
    `select ${exprs.join(', ')} from jsonb_array_elements(${body}::jsonb) with ordinality as pgrst_b(j, ord)`,
    `cross join lateral jsonb_populate_record(null::${target}, pgrst_b.j) as pgrst_r order by pgrst_b.ord`,
  ];
  if (spec.onConflict) {
    const conflict = `on conflict (${spec.onConflict.columns.map(ident).join(', ')})`;
    const updatable = spec.columns.filter((c) => !spec.onConflict?.columns.includes(c));
    if (spec.onConflict.action === 'ignore' || updatable.length === 0) parts.push(`${conflict} do nothing`);
    else
      parts.push(`${conflict} do update set ${updatable.map((c) => `${ident(c)} = excluded.${ident(c)}`).join(', ')}`);
  }
  if (returning) parts.push(`returning ${returning}`);
  return parts.join(' ');
}

export function updateCommand(
  schema: string,
  params: SqlParams,
  table: Table,
  columns: string[],
  bodyJson: string,
  conditions: string[],
  returning: string,
): string {
  const target = `${qualified(schema, table.name)} as ${ident(TARGET)}`;
  const body = params.add(bodyJson);
  const sets = columns.map((c) => `${ident(c)} = pgrst_r.${ident(c)}`).join(', ');
  const parts = [
    `update ${target} set ${sets} from jsonb_populate_record(null::${qualified(schema, table.name)}, ${body}::jsonb) as pgrst_r`,
  ];
  if (conditions.length > 0) parts.push(`where ${conditions.join(' and ')}`);
  if (returning) parts.push(`returning ${returning}`);
  return parts.join(' ');
}

export function deleteCommand(schema: string, table: Table, conditions: string[], returning: string): string {
  const parts = [`delete from ${qualified(schema, table.name)} as ${ident(TARGET)}`];
  if (conditions.length > 0) parts.push(`where ${conditions.join(' and ')}`);
  if (returning) parts.push(`returning ${returning}`);
  return parts.join(' ');
}

export const returningAll = `${ident(TARGET)}.*`;
export const returningAllInsert = '*';

/** Wraps a data-modifying command so its returned rows get the request's select shape. */
export function mutationStatement(command: string, shape: Shape, options: BodyOptions): Statement {
  // Keep the rows in the order the command returned them (the body's order),
  // which joins for embedded resources would otherwise be free to change.
  const ordered: Shape = { ...shape, orderBy: [...shape.orderBy, `${ident(shape.alias)}.pgrst_ord`] };
  const from = `(select pgrst_source.*, row_number() over () as pgrst_ord from pgrst_source) as ${ident(shape.alias)}`;
  const select = shapedSelect(ordered, from, { ...options, count: false });
  return { text: `with pgrst_source as (${command}) ${select}`, minimal: false };
}
