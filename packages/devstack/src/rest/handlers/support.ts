// What the read, write and call handlers share: building the plan against a
// fresh enough schema cache, typing columns, the planned and estimated
// counts, EXPLAIN output and the Content-Range of a result.
import type { TransactionSql } from 'postgres';
import type { RequestContext } from '../context';
import { RestError } from '../errors';
import { RelationshipNotFound } from '../schema/find-relationship';
import { parseRangeHeader, type MediaRequest } from '../headers';
import type { ReadNode } from '../plan/read-plan';
import type { Modifiers } from '../query/params';
import type { SchemaCache } from '../schema/cache';
import type { Column } from '../schema/introspect';
import { filterColumns } from '../sql/conditions';
import type { QueryContext } from '../sql/read-query';
import { explainStatement, type BodyShape } from '../sql/statements';
import type { SqlParams } from '../sql/fragment';
import { runStatement } from '../execute';

/** Column and computed-field types for filter values; `rootColumns` for a call's non-table result. */
export function queryContext(cache: SchemaCache, params: SqlParams, rootColumns: Column[] = []): QueryContext {
  return {
    params,
    typeOf(node: ReadNode, name: string) {
      if (node.table !== null) {
        const column = cache.column(node.table, name);
        if (column) return column.baseType;
        const computed = cache.computedField(node.table, name);
        if (computed) return computed;
      }
      return node.depth === 0 ? rootColumns.find((c) => c.name === name)?.baseType : undefined;
    },
  };
}

function namesUsed(node: ReadNode): string[] {
  return [
    ...node.select.map((s) => s.name),
    ...node.filters.flatMap(filterColumns),
    ...node.order.filter((o) => o.relation === null).map((o) => o.field.name),
  ].filter((n) => n !== '*');
}

/** True when the cache had to reload because a node names a column it did not know yet. */
async function refreshedForColumns(cache: SchemaCache, node: ReadNode): Promise<boolean> {
  if (node.table !== null) {
    const table = cache.now().tables.get(node.table);
    if (table) {
      const fresh = await cache.withColumns(table, namesUsed(node));
      if (fresh !== table) return true;
    }
  }
  for (const child of node.children) if (await refreshedForColumns(cache, child)) return true;
  return false;
}

/**
 * Builds the plan; when a relationship or column it needs is in the catalog
 * but not yet in the cache, reloads once and builds again.
 */
export async function planWithFreshCache(cache: SchemaCache, build: () => ReadNode): Promise<ReadNode> {
  await cache.current();
  let plan: ReadNode;
  try {
    plan = build();
  } catch (err) {
    const missing = err instanceof RelationshipNotFound ? err : null;
    if (missing && (await cache.reloadIfRelationshipMissing(missing.origin, missing.target))) plan = build();
    else throw err;
  }
  if (await refreshedForColumns(cache, plan)) plan = build();
  return plan;
}

/** The rows to return: PostgREST intersects limit/offset with the Range header (GET only). */
export function pageOf(rc: RequestContext, mods: Modifiers | undefined): { offset: number; limit: number | null } {
  const range = parseRangeHeader(rc.req);
  const queryFrom = mods?.offset ?? 0;
  const queryTo = mods?.limit === null || mods?.limit === undefined ? null : queryFrom + mods.limit - 1;
  const from = Math.max(queryFrom, range?.from ?? 0);
  const ends = [queryTo, range?.to ?? null].filter((n): n is number => n !== null);
  const to = ends.length > 0 ? Math.min(...ends) : null;
  return { offset: from, limit: to === null ? null : Math.max(0, to - from + 1) };
}

export function bodyShapeOf(media: MediaRequest, extra: Partial<BodyShape> = {}): BodyShape {
  const json = media.kind === 'json' ? media : media.for;
  return { singular: json.singular, stripNulls: json.stripNulls, ...extra };
}

/** Runs EXPLAIN on the statement; the plan as PostgREST returns it (rows joined by newlines). */
export async function explain(
  tx: TransactionSql,
  media: Extract<MediaRequest, { kind: 'plan' }>,
  statement: string,
  values: (string | null)[],
): Promise<string> {
  const rows = await runStatement<Record<string, unknown>>(tx, explainStatement(statement, media), values);
  return rows
    .map((r) => {
      const value = Object.values(r)[0];
      return typeof value === 'string' ? value : JSON.stringify(value);
    })
    .map((line) => `${line}\n`)
    .join('');
}

/** `count=planned` / `count=estimated`: the planner's row estimate of the count query. */
export async function plannedRows(
  tx: TransactionSql,
  countSql: string,
  values: (string | null)[],
): Promise<number | null> {
  const [row] = await runStatement<Record<string, unknown>>(tx, `EXPLAIN (FORMAT JSON) ${countSql}`, values);
  const plan = Object.values(row ?? {})[0];
  const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as
    { Plan?: { 'Plan Rows'?: number } }[] | undefined;
  const rows = parsed?.[0]?.Plan?.['Plan Rows'];
  return typeof rows === 'number' ? rows : null;
}

/**
 * Content-Range and status of a result: `0-24/60` (206 when the page is not
 * the whole result and the total is known), `*\/0` for nothing, `0-24/*`
 * without a count; 416 when the offset is past the total (PostgREST's rangeStatusHeader).
 */
export function rangeOf(
  offset: number,
  pageRows: number,
  total: number | null,
): { status: number; contentRange: string } {
  const upper = offset + pageRows - 1;
  const range = total !== 0 && offset <= upper ? `${offset}-${upper}` : '*';
  const contentRange = `${range}/${total ?? '*'}`;
  if (total === null) return { status: 200, contentRange };
  if (offset > total) return { status: 416, contentRange };
  return { status: 1 + upper - offset < total ? 206 : 200, contentRange };
}

export function outOfRange(offset: number, total: number | null, contentRange: string): RestError {
  return new RestError(
    416,
    'PGRST103',
    'Requested range not satisfiable',
    `An offset of ${offset} was requested, but there are only ${total ?? 0} rows.`,
    null,
    { 'content-range': contentRange },
  );
}
