// rpc/<fn>: POST with JSON arguments, GET/HEAD with query-string arguments
// (run read-only, so a volatile function cannot write through GET). Scalars
// come back as JSON values, sets as arrays, composites through the select
// shape (filters, order, embedding), void as 204.
import { isJsonObject, readJsonBody, type JsonObject, type JsonValue } from '../body';
import { invalidBody, RestError, singularityError } from '../errors';
import { preferenceApplied } from '../headers';
import { parseQueryParams } from '../query/params';
import type { Table } from '../schema/introspect';
import { inTransaction, runStatement } from '../execute';
import { ident, SqlParams } from '../sql/fragment';
import { callFrom, inputArgs, resolveFunction } from '../sql/rpc';
import { assertModifiersEmbedded, buildShape, newShapeContext } from '../sql/shape';
import { shapedSelect } from '../sql/statements';
import { rangeOf, send } from '../response';
import type { RequestContext } from '../context';
import { pageOf, totalOf } from './read';

const reserved = new Set([
  'select',
  'order',
  'limit',
  'offset',
  'and',
  'or',
  'not.and',
  'not.or',
  'columns',
  'on_conflict',
]);

async function argumentsOf(
  rc: RequestContext,
  name: string,
): Promise<{ args: Record<string, JsonValue>; objectBody: boolean; argKeys: Set<string> }> {
  if (rc.req.method === 'POST') {
    const body = await readJsonBody(rc.req, rc.config.maxBodyBytes);
    if (body === undefined) return { args: {}, objectBody: true, argKeys: new Set() };
    if (!isJsonObject(body)) throw invalidBody('Empty or invalid json');
    return { args: body, objectBody: true, argKeys: new Set() };
  }
  // GET: query parameters named like an argument of some overload are arguments; the rest filter the result.
  const names = new Set((await rc.cache.functions(name)).flatMap((fn) => inputArgs(fn).map((a) => a.name)));
  const args: JsonObject = {};
  for (const [key, value] of rc.url.searchParams) {
    if (names.has(key) && !reserved.has(key)) args[key] = value;
  }
  return { args, objectBody: false, argKeys: new Set(Object.keys(args)) };
}

export async function callFunction(rc: RequestContext, name: string): Promise<void> {
  const method = rc.req.method ?? 'GET';
  if (!['GET', 'HEAD', 'POST'].includes(method)) {
    throw new RestError(405, 'PGRST101', `Cannot use the ${method} method on RPC`);
  }
  const { args, objectBody, argKeys } = await argumentsOf(rc, name);
  const keys = Object.keys(args);
  const { fn, singleJson } = await resolveFunction(rc.cache, name, keys, objectBody);
  const query = parseQueryParams(rc.url.searchParams, argKeys);
  const params = new SqlParams();
  const alias = 'pgrst_call';
  const from = callFrom(rc.cache.schema, params, fn, singleJson, args, keys, alias);
  const count = rc.prefs.count !== null;

  let text: string;
  let page = { offset: 0, limit: 0 };
  if (fn.returnKind === 'void') {
    text = `select null::bigint as total, 1 as page, '' as body from ${from}`;
  } else if (fn.returnKind === 'scalar') {
    text = fn.returnsSet
      ? `select null::bigint as total, count(*)::int as page, coalesce(json_agg(${ident(alias)}), '[]')::text as body from ${from}`
      : `select null::bigint as total, 1 as page, to_json(${ident(alias)})::text as body from ${from}`;
  } else {
    const table: Table = (fn.returnTable ? rc.cache.tableNow(fn.returnTable) : null) ?? {
      name: fn.name,
      kind: 'f',
      columns: fn.returnColumns,
      primaryKey: [],
      uniqueKeys: [],
    };
    const shapeCtx = newShapeContext(rc.cache, params, query.modifiers);
    const shape = await buildShape(shapeCtx, table, query.select, '', alias);
    assertModifiersEmbedded(shapeCtx);
    if (fn.returnsSet) {
      page = pageOf(rc, query.modifiers.get('') ?? { filters: [], order: [], limit: null, offset: null });
      shape.limit = page.limit;
      shape.offset = page.offset;
    }
    text = shapedSelect(shape, from, { count: count && fn.returnsSet, stripNulls: rc.accept.stripNulls });
  }

  const readOnly = method !== 'POST';
  const row = await inTransaction(rc.sql, rc.config, rc.identity, rc.settings, readOnly, async (tx) => {
    const { rows } = await runStatement(tx, text, params.values);
    const first = rows[0];
    if (rc.accept.singular && fn.returnsSet && (first?.page ?? 0) !== 1) throw singularityError(first?.page ?? 0);
    return first;
  });
  const headers = preferenceApplied(rc.prefs, ['count']);
  if (fn.returnKind === 'void') {
    send(rc.res, 204, null, headers, rc.head);
    return;
  }
  let body = row?.body ?? 'null';
  const unwrap = fn.returnKind === 'composite' && (!fn.returnsSet || rc.accept.singular);
  if (unwrap) body = body === '[]' ? 'null' : body.slice(1, -1).trim();
  if (fn.returnKind === 'composite' && fn.returnsSet && !rc.accept.singular) {
    const { status, contentRange } = rangeOf(page.offset, row?.page ?? 0, totalOf(row));
    send(rc.res, status === 416 ? 200 : status, body, { ...headers, 'content-range': contentRange }, rc.head);
    return;
  }
  send(rc.res, 200, body, headers, rc.head);
}
