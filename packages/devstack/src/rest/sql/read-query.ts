// A read plan as SQL, shaped like PostgREST 13's (src/PostgREST/Query/
// QueryBuilder.hs readPlanToQuery, readPlanToCountQuery): the root relation
// under its own name, each embed a LEFT (or INNER) JOIN LATERAL subquery over
// `<table>_<depth>`, to-many embeds aggregated with json_agg, to-one embeds
// as row_to_json, spreads selected from the join. Same statement shape, same
// plan, same row order and the same error messages as PostgREST.
import type { ReadNode, SelectField } from '../plan/read-plan';
import { isToOne, type QualifiedName } from '../schema/relationships';
import { fieldSql, filterSql, orderSuffix } from './conditions';
import { ident, type SqlParams } from './fragment';

export interface QueryContext {
  params: SqlParams;
  /** The type of a column or computed field of the relation a node reads, if known. */
  typeOf(node: ReadNode, name: string): string | undefined;
}

export function qiSql(q: QualifiedName): string {
  return q.schema === '' ? ident(q.name) : `${ident(q.schema)}.${ident(q.name)}`;
}

/** What a node's columns are qualified with: its alias, or its relation. */
export function nodeQualifier(n: ReadNode): QualifiedName {
  if (n.rel?.kind === 'computed') return { schema: '', name: n.fromAlias ?? n.rel.function.name };
  return n.fromAlias ? { schema: '', name: n.fromAlias } : n.from;
}

function selectItemSql(ctx: QueryContext, n: ReadNode, qualifier: QualifiedName, field: SelectField): string {
  let expr = fieldSql(ctx.params, qiSql(qualifier), field, field.name === '*' ? undefined : ctx.typeOf(n, field.name));
  if (field.cast) expr = `CAST( ${expr} AS ${field.cast} )`;
  return field.alias ? `${expr} AS ${ident(field.alias)}` : expr;
}

function fromSql(n: ReadNode): string {
  const rel = n.rel;
  let from: string;
  if (rel?.kind === 'computed') {
    const parent = n.relTableAlias ?? rel.table;
    from = `${qiSql(rel.function)}(${ident(parent.name)}::${qiSql(rel.table)})`;
  } else {
    from = qiSql(n.from);
  }
  if (n.fromAlias) from += ` AS ${ident(n.fromAlias)}`;
  if (rel?.kind === 'fk' && rel.cardinality.kind === 'M2M') from += `, ${qiSql(rel.cardinality.junction)}`;
  return ` FROM ${from}`;
}

function joinConditionSql(c: ReadNode['joinConditions'][number]): string {
  return `${qiSql(c.left[0])}.${ident(c.left[1])} = ${qiSql(c.right[0])}.${ident(c.right[1])}`;
}

function rangeSql(n: ReadNode): string {
  if (n.offset === 0 && n.limit === null) return '';
  return `LIMIT ${n.limit ?? 'ALL'} OFFSET ${n.offset}`;
}

function orderSql(ctx: QueryContext, n: ReadNode, qualifier: QualifiedName): string {
  if (n.order.length === 0) return '';
  const terms = n.order.map((o) => {
    const q = o.relation === null ? qualifier : { schema: '', name: o.relation };
    const type = o.relation === null ? ctx.typeOf(n, o.field.name) : undefined;
    const suffix = orderSuffix(o.direction, o.nulls);
    return `${fieldSql(ctx.params, qiSql(q), o.field, type)}${suffix ? ` ${suffix}` : ''}`;
  });
  return `ORDER BY ${terms.join(', ')}`;
}

function childFor(n: ReadNode, aggAlias: string): ReadNode {
  const child = n.children.find((c) => c.aggAlias === aggAlias);
  if (!child) throw new Error(`no embedded node for ${aggAlias}`);
  return child;
}

/** `embed=is.null` on an embedded resource tests its join (PostgREST's CoercibleFilterNullEmbed). */
function nullEmbedOf(n: ReadNode, name: string): ReadNode | undefined {
  return n.children.find((c) => (c.relAlias ?? c.relName) === name);
}

function whereSql(ctx: QueryContext, n: ReadNode, qualifier: QualifiedName): string[] {
  const filterCtx = {
    params: ctx.params,
    qualifier: qiSql(qualifier),
    typeOf: (name: string) => ctx.typeOf(n, name),
    nullEmbed: (name: string, negate: boolean) => {
      const child = nullEmbedOf(n, name);
      return child ? `${ident(child.aggAlias)} IS ${negate ? '' : 'NOT '}DISTINCT FROM NULL` : null;
    },
  };
  return [...n.filters.map((f) => filterSql(filterCtx, f)), ...n.joinConditions.map(joinConditionSql)];
}

function joinSelectsSql(n: ReadNode): string[] {
  return n.relSelects.flatMap((rs) => {
    const agg = ident(rs.aggAlias);
    if (rs.kind === 'spread') return rs.fields.map((f) => (f === '*' ? `${agg}.*` : `${agg}.${ident(f)}`));
    if (rs.empty) return [];
    if (rs.mode === 'object') return [`row_to_json(${agg}.*)::jsonb AS ${ident(rs.name)}`];
    return [`COALESCE( ${agg}.${agg}, '[]') AS ${ident(rs.name)}`];
  });
}

function joinSql(ctx: QueryContext, child: ReadNode, fields: string[] | null): string {
  const agg = ident(child.aggAlias);
  const kind = child.joinType === 'inner' ? 'INNER' : 'LEFT';
  const sub = readQuery(ctx, child);
  const lateral = (body: string, on: string) => ` ${kind} JOIN LATERAL ( ${body} ) AS ${agg} ON ${on}`;
  const toOne = child.rel !== null && isToOne(child.rel);
  if (toOne) return lateral(sub, 'TRUE');
  const on = child.joinType === 'inner' ? `${agg} IS NOT NULL` : 'TRUE';
  const aggregate = `SELECT json_agg(${agg})::jsonb AS ${agg}`;
  const spread = child.spread;
  if (spread !== null && spread !== 'to-one' && fields !== null) {
    const order = spread.order.length
      ? ` ORDER BY ${spread.order.map((o) => `${agg}.${ident(o.field.name)}${orderSuffix(o.direction, o.nulls) ? ` ${orderSuffix(o.direction, o.nulls)}` : ''}`).join(', ')}`
      : '';
    const columns = fields.map((f) => `COALESCE(json_agg(${agg}.${ident(f)}${order}),'[]')::jsonb AS ${ident(f)}`);
    return lateral(`${[aggregate, ...columns].join(', ')} FROM (${sub} ) AS ${agg}`, on);
  }
  return lateral(`${aggregate} FROM (${sub} ) AS ${agg}`, on);
}

/** One node (and its embeds) as a SELECT. */
export function readQuery(ctx: QueryContext, n: ReadNode): string {
  const qualifier = nodeQualifier(n);
  const selects =
    n.select.length === 0 && n.children.length === 0
      ? [`${qiSql(qualifier)}.*`]
      : n.select.map((f) => selectItemSql(ctx, n, qualifier, f));
  const spread = n.spread;
  const extra =
    spread !== null && spread !== 'to-one'
      ? spread.extraSelects.map((e) =>
          selectItemSql(ctx, n, e.relation === null ? qualifier : { schema: '', name: e.relation }, e.field),
        )
      : [];
  const joins = n.relSelects.map((rs) =>
    joinSql(ctx, childFor(n, rs.aggAlias), rs.kind === 'spread' ? rs.fields : null),
  );
  const where = whereSql(ctx, n, qualifier);
  return [
    `SELECT ${[...selects, ...extra, ...joinSelectsSql(n)].join(', ')}${fromSql(n)}${joins.join('')}`,
    where.length ? `WHERE ${where.join(' AND ')}` : '',
    orderSql(ctx, n, qualifier),
    rangeSql(n),
  ]
    .filter(Boolean)
    .join(' ');
}

/** `SELECT 1 …` counting the root's rows: its filters, and EXISTS for every inner-joined embed. */
export function countQuery(ctx: QueryContext, n: ReadNode): string {
  const qualifier = nodeQualifier(n);
  const filterCtx = {
    params: ctx.params,
    qualifier: qiSql(qualifier),
    typeOf: (name: string) => ctx.typeOf(n, name),
    nullEmbed: (name: string, negate: boolean) => {
      const child = nullEmbedOf(n, name);
      return child ? `${negate ? '' : 'NOT '}EXISTS (${countQuery(ctx, child)})` : null;
    },
  };
  const conditions = [
    ...n.filters.map((f) => filterSql(filterCtx, f)),
    ...n.joinConditions.map(joinConditionSql),
    ...n.children.filter((c) => c.joinType === 'inner').map((c) => `EXISTS (${countQuery(ctx, c)} )`),
  ];
  return `SELECT 1${fromSql(n)}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''}`;
}
