// Turns a parsed select tree into SQL over one relation: the select list, the
// lateral joins of embedded resources (objects for to-one, arrays for
// to-many, `!inner` filtering the parent), and the filters and order of each
// level. Every name is checked against the schema cache first.
import { columnNotFound, RestError } from '../errors';
import type { Modifiers } from '../query/params';
import type { EmbedItem, SelectItem } from '../query/select';
import type { Condition } from '../query/filters';
import type { SchemaCache } from '../schema/cache';
import type { Table } from '../schema/introspect';
import { resolveRelationship, type Relationship } from '../schema/relationships';
import { fieldSql, filterColumns, filterSql, orderDirection } from './conditions';
import { ident, qualified, type SqlParams } from './fragment';

export interface ShapeContext {
  cache: SchemaCache;
  params: SqlParams;
  modifiers: Map<string, Modifiers>;
  /** Embed paths seen in the select tree, to reject modifiers for resources that are not embedded. */
  paths: Set<string>;
  aliasCount: number;
}

export interface Shape {
  alias: string;
  table: Table;
  columns: string[];
  outputNames: string[];
  joins: { sql: string; alias: string; filtering: boolean }[];
  conditions: string[];
  orderBy: string[];
  limit: number | null;
  offset: number | null;
}

interface Embedded {
  name: string;
  item: EmbedItem;
  rel: Relationship;
  joinAlias: string;
  childAlias: string;
}

export function newShapeContext(
  cache: SchemaCache,
  params: SqlParams,
  modifiers: Map<string, Modifiers>,
): ShapeContext {
  return { cache, params, modifiers, paths: new Set(['']), aliasCount: 0 };
}

function nextAlias(ctx: ShapeContext): string {
  ctx.aliasCount += 1;
  return `pgrst_${ctx.aliasCount}`;
}

export async function buildShape(
  ctx: ShapeContext,
  table: Table,
  items: SelectItem[],
  path = '',
  alias = nextAlias(ctx),
): Promise<Shape> {
  const mods = ctx.modifiers.get(path) ?? { filters: [], order: [], limit: null, offset: null };
  const embedNames = new Set(items.filter((i): i is EmbedItem => i.kind === 'embed').map((i) => i.alias ?? i.relation));
  const referenced = [
    ...items.flatMap((i) => (i.kind === 'column' ? [i.field.name] : [])),
    ...mods.filters.flatMap(filterColumns).filter((name) => !embedNames.has(name)),
    ...mods.order.filter((o) => o.relation === null).map((o) => o.field.name),
  ];
  const checked = await ctx.cache.ensureColumns(table, referenced);
  if (checked.missing.length > 0) throw columnNotFound(table.name, checked.missing[0]);
  table = checked.table;

  const shape: Shape = {
    alias,
    table,
    columns: [],
    outputNames: [],
    joins: [],
    conditions: [],
    orderBy: [],
    limit: mods.limit,
    offset: mods.offset,
  };
  const embeds = new Map<string, Embedded>();

  for (const item of items) {
    if (item.kind === 'star') {
      for (const column of table.columns) {
        shape.columns.push(`${ident(alias)}.${ident(column.name)}`);
        shape.outputNames.push(column.name);
      }
    } else if (item.kind === 'column') {
      let expr = fieldSql(ctx.params, alias, item.field);
      if (item.cast) expr = `(${expr})::${item.cast}`;
      const name =
        item.alias ?? (item.field.path.length > 0 ? item.field.path[item.field.path.length - 1].key : item.field.name);
      shape.columns.push(`${expr} as ${ident(name)}`);
      shape.outputNames.push(name);
    } else {
      const embedded = await addEmbed(ctx, shape, item, path);
      embeds.set(embedded.name, embedded);
    }
  }

  const filterCtx = {
    params: ctx.params,
    alias,
    columnOf: (name: string) => table.columns.find((c) => c.name === name),
    embedNullCheck: (name: string, cond: Condition, negate: boolean) => {
      const embedded = embeds.get(name);
      if (!embedded) return null;
      if (cond.op !== 'is' || (cond.value !== 'null' && cond.value !== 'not_null')) {
        throw new RestError(
          400,
          'PGRST120',
          `Bad operator on the '${name}' embedded resource`,
          'Only is null or not is null filters are allowed on embedded resources',
        );
      }
      const wantsNull = (cond.value === 'null') !== negate;
      const body = `${ident(embedded.joinAlias)}."body"`;
      if (embedded.rel.cardinality === 'one-to-many')
        return wantsNull ? `json_array_length(${body}) = 0` : `json_array_length(${body}) > 0`;
      return wantsNull ? `${body} is null` : `${body} is not null`;
    },
  };
  for (const filter of mods.filters) shape.conditions.push(filterSql(filterCtx, filter));

  for (const term of mods.order) {
    if (term.relation === null) {
      shape.orderBy.push(`${fieldSql(ctx.params, alias, term.field)} ${orderDirection(term.direction, term.nulls)}`);
      continue;
    }
    shape.orderBy.push(
      `${await relatedOrder(ctx, shape, embeds, term.relation, term.field.name)} ${orderDirection(term.direction, term.nulls)}`,
    );
  }
  return shape;
}

async function addEmbed(ctx: ShapeContext, shape: Shape, item: EmbedItem, path: string): Promise<Embedded> {
  const rel = await resolveRelationship(ctx.cache, shape.table, item.relation, item.hint);
  const name = item.alias ?? item.relation;
  const childPath = path ? `${path}.${name}` : name;
  ctx.paths.add(childPath);
  const childAlias = nextAlias(ctx);
  const joinAlias = `${childAlias}_embed`;
  const child = await buildShape(ctx, rel.target, item.children, childPath, childAlias);
  const joinConditions = rel.joins.map(
    (j) => `${ident(childAlias)}.${ident(j.target)} = ${ident(shape.alias)}.${ident(j.parent)}`,
  );
  const inner = selectSql(
    child,
    `${qualified(ctx.cache.schema, rel.target.name)} as ${ident(childAlias)}`,
    joinConditions,
    true,
  );
  const toMany = rel.cardinality === 'one-to-many';
  const isInner = item.joinType === 'inner';

  if (item.spread) {
    if (toMany) {
      throw new RestError(
        400,
        'PGRST119',
        `A spread operation on '${item.relation}' is not possible`,
        `'${shape.table.name}' and '${rel.target.name}' do not form a many-to-one or one-to-one relationship`,
      );
    }
    shape.joins.push({
      sql: `${isInner ? 'inner' : 'left'} join lateral (${inner}) as ${ident(joinAlias)} on true`,
      alias: joinAlias,
      filtering: isInner,
    });
    for (const output of child.outputNames) {
      shape.columns.push(`${ident(joinAlias)}.${ident(output)}`);
      shape.outputNames.push(output);
    }
  } else if (toMany) {
    const aggregate = `select coalesce(json_agg(pgrst_row), '[]') as "body" from (${inner}) as pgrst_row`;
    shape.joins.push({
      sql: `left join lateral (${aggregate}) as ${ident(joinAlias)} on true`,
      alias: joinAlias,
      filtering: isInner,
    });
    if (isInner) shape.conditions.push(`json_array_length(${ident(joinAlias)}."body") > 0`);
    shape.columns.push(`${ident(joinAlias)}."body" as ${ident(name)}`);
    shape.outputNames.push(name);
  } else {
    const object = `select row_to_json(pgrst_row) as "body" from (${inner}) as pgrst_row`;
    shape.joins.push({
      sql: `${isInner ? 'inner' : 'left'} join lateral (${object}) as ${ident(joinAlias)} on true`,
      alias: joinAlias,
      filtering: isInner,
    });
    shape.columns.push(`${ident(joinAlias)}."body" as ${ident(name)}`);
    shape.outputNames.push(name);
  }
  return { name, item, rel, joinAlias, childAlias };
}

/** `order=driver(full_name).desc`: a scalar subquery over a to-one embedded resource. */
async function relatedOrder(
  ctx: ShapeContext,
  shape: Shape,
  embeds: Map<string, Embedded>,
  relation: string,
  column: string,
): Promise<string> {
  const embedded = embeds.get(relation);
  if (!embedded) {
    throw new RestError(
      400,
      'PGRST108',
      `'${relation}' is not an embedded resource in this request`,
      null,
      `Verify that '${relation}' is included in the 'select' query parameter.`,
    );
  }
  if (embedded.rel.cardinality === 'one-to-many') {
    throw new RestError(
      400,
      'PGRST118',
      `A related order on '${relation}' is not possible`,
      `'${shape.table.name}' and '${relation}' do not form a many-to-one or one-to-one relationship`,
    );
  }
  const checked = await ctx.cache.ensureColumns(embedded.rel.target, [column]);
  if (checked.missing.length > 0) throw columnNotFound(embedded.rel.target.name, column);
  const alias = `${embedded.childAlias}_order`;
  const on = embedded.rel.joins.map(
    (j) => `${ident(alias)}.${ident(j.target)} = ${ident(shape.alias)}.${ident(j.parent)}`,
  );
  return `(select ${ident(alias)}.${ident(column)} from ${qualified(ctx.cache.schema, embedded.rel.target.name)} as ${ident(alias)} where ${on.join(' and ')})`;
}

/** `select <list> from <from> <joins> where <conditions> [order by … limit … offset …]`. */
export function selectSql(shape: Shape, from: string, extraConditions: string[] = [], withPaging = true): string {
  const conditions = [...extraConditions, ...shape.conditions];
  const parts = [
    `select ${shape.columns.length > 0 ? shape.columns.join(', ') : ''}`,
    `from ${from}`,
    ...shape.joins.map((j) => j.sql),
  ];
  if (conditions.length > 0) parts.push(`where ${conditions.join(' and ')}`);
  if (withPaging) {
    if (shape.orderBy.length > 0) parts.push(`order by ${shape.orderBy.join(', ')}`);
    if (shape.limit !== null) parts.push(`limit ${shape.limit}`);
    if (shape.offset !== null && shape.offset > 0) parts.push(`offset ${shape.offset}`);
  }
  return parts.join(' ');
}

/** `select count(*) …` with only the joins that can remove rows. */
export function countSql(shape: Shape, from: string): string {
  const needed = shape.joins.filter((j) => j.filtering || shape.conditions.some((c) => c.includes(ident(j.alias))));
  const parts = [`select count(*) from ${from}`, ...needed.map((j) => j.sql)];
  if (shape.conditions.length > 0) parts.push(`where ${shape.conditions.join(' and ')}`);
  return parts.join(' ');
}

/** Rejects modifiers (e.g. `shipments.order`) for resources the select does not embed. */
export function assertModifiersEmbedded(ctx: ShapeContext): void {
  for (const path of ctx.modifiers.keys()) {
    if (!ctx.paths.has(path)) {
      throw new RestError(
        400,
        'PGRST108',
        `'${path}' is not an embedded resource in this request`,
        null,
        `Verify that '${path}' is included in the 'select' query parameter.`,
      );
    }
  }
}
