// rpc/<fn>: POST with a JSON (or form, or for one unnamed parameter a raw)
// body, GET/HEAD with query-string arguments, run read-only unless a POST
// calls a volatile function. Results go through the same read plan as a
// table (select, filters, order, embedding, counts); void answers 204; every
// answer carries Content-Range, as PostgREST 13's.
import { looksLikeObject, parseJson, payloadOf, readRequestBody, type RequestBody } from '../body';
import { maxAffectedError, maxAffectedRpcError, RestError, singularityError } from '../errors';
import { checkStrictPreferences, contentTypeOf, preferenceApplied } from '../headers';
import { buildReadPlan, returnedColumns } from '../plan/read-plan';
import { parseQueryParams, type QueryParams } from '../query/params';
import { inTransaction, runStatement } from '../execute';
import { filterColumns } from '../sql/conditions';
import { SqlParams } from '../sql/fragment';
import { countQuery, readQuery } from '../sql/read-query';
import { callSql, findFunction, type CallArgs, type Invocation } from '../sql/rpc';
import { callStatement, type ResultRow } from '../sql/statements';
import { send } from '../response';
import { transactionOptions, type RequestContext } from '../context';
import { bodyShapeOf, explain, outOfRange, pageOf, planWithFreshCache, queryContext, rangeOf } from './support';

interface Call {
  keys: Set<string>;
  args: CallArgs;
  invocation: Invocation;
}

function queryArgs(pairs: [string, string][]): Map<string, string | string[]> {
  const values = new Map<string, string[]>();
  for (const [key, value] of pairs) values.set(key, [...(values.get(key) ?? []), value]);
  return values;
}

async function callOf(rc: RequestContext, query: QueryParams): Promise<Call> {
  if (rc.req.method !== 'POST') {
    const values = queryArgs(query.args);
    return { keys: new Set(values.keys()), args: { kind: 'query', values }, invocation: 'get' };
  }
  const body: RequestBody = await readRequestBody(rc.req, rc.config.maxBodyBytes, true);
  if (body.kind === 'form') {
    const values = queryArgs(body.params);
    return { keys: new Set(values.keys()), args: { kind: 'query', values }, invocation: 'form' };
  }
  if (body.kind === 'raw') {
    const text =
      body.mime === 'application/octet-stream' ? `\\x${body.data.toString('hex')}` : body.data.toString('utf8');
    return { keys: new Set(), args: { kind: 'raw', text }, invocation: body.mime };
  }
  if (query.columns) {
    const args: CallArgs = { kind: 'json', body: body.text, isObject: looksLikeObject(body.text) };
    return { keys: new Set(query.columns), args, invocation: 'json' };
  }
  // An empty body is `{}`; a JSON value that is neither object nor array counts as `[]` (as PostgREST).
  const text = body.text.trim() === '' ? '{}' : body.text;
  const payload = payloadOf(parseJson(text));
  const raw = /^\s*[[{]/.test(text) ? text : payload.json;
  return {
    keys: new Set(payload.keys),
    args: { kind: 'json', body: raw, isObject: payload.isObject },
    invocation: 'json',
  };
}

export async function callFunction(rc: RequestContext, name: string): Promise<void> {
  const method = rc.req.method ?? 'GET';
  if (!['GET', 'HEAD', 'POST'].includes(method)) {
    throw new RestError(405, 'PGRST101', `Cannot use the ${method} method on RPC`);
  }
  const query = parseQueryParams(rc.url.searchParams, { rpcRead: method !== 'POST' });
  const call = await callOf(rc, query);
  const fn = await findFunction(rc.cache, name, call.keys, call.invocation);
  if (call.args.kind === 'query') {
    // A non-variadic parameter repeated takes its last value.
    const values = call.args.values;
    for (const [key, list] of values) {
      const param = fn.params.find((p) => p.name === key);
      if (Array.isArray(list) && !param?.variadic) values.set(key, list[list.length - 1]);
    }
  }
  const rootName = fn.returnKind === 'composite' ? fn.returnTypeName : fn.name;
  const rootTable =
    fn.returnKind === 'composite' && rc.cache.now().tables.has(fn.returnTypeName) ? fn.returnTypeName : null;
  const page = pageOf(rc, query.modifiers.get(''));
  const plan = await planWithFreshCache(rc.cache, () =>
    buildReadPlan({
      cache: rc.cache,
      root: { name: rootName, table: rootTable, source: true },
      select: query.select,
      modifiers: query.modifiers,
      rootFiltersInPlan: true,
      rootRange: page,
      maxRows: rc.config.maxRows,
    }),
  );
  checkStrictPreferences(rc.prefs);
  const single = !fn.returnsSet;
  if (rc.prefs.handling === 'strict' && rc.prefs.maxAffected !== null && single) throw maxAffectedRpcError();

  const params = new SqlParams();
  const filterNames = (query.modifiers.get('')?.filters ?? []).flatMap(filterColumns);
  const cte = callSql(rc.cache.schema, params, fn, call.keys, call.args, returnedColumns(plan, filterNames));
  const ctx = queryContext(rc.cache, params, fn.returnColumns);
  const select = readQuery(ctx, plan);
  const counting = rc.prefs.count === 'exact' || rc.prefs.count === 'estimated';
  const count = counting ? countQuery(ctx, plan) : null;
  const result: 'single-composite' | 'scalar' | 'setof-scalar' | 'rows' =
    fn.returnKind === 'composite' ? (single ? 'single-composite' : 'rows') : single ? 'scalar' : 'setof-scalar';
  const statement = callStatement(cte, select, count, bodyShapeOf(rc.media, { result, none: rc.head }), single);
  const readOnly = method !== 'POST' || fn.volatility !== 'v';
  const media = rc.media;

  const outcome = await inTransaction(
    rc.sql,
    rc.config,
    rc.identity,
    rc.settings,
    transactionOptions(rc, readOnly),
    async (tx) => {
      if (media.kind === 'plan')
        return { kind: 'plan' as const, plan: await explain(tx, media, statement, params.values) };
      const [row] = await runStatement<ResultRow>(tx, statement, params.values);
      const rows = Number(row?.page ?? 0);
      if (media.singular && rows !== 1) throw singularityError(rows);
      if (rc.prefs.handling === 'strict' && rc.prefs.maxAffected !== null && rows > rc.prefs.maxAffected)
        throw maxAffectedError(rows);
      return {
        kind: 'rows' as const,
        row,
        rows,
        total: row?.total === null || row?.total === undefined ? null : Number(row.total),
      };
    },
  );
  if (outcome.kind === 'plan') {
    send(rc.res, 200, outcome.plan, {}, rc.head, contentTypeOf(media));
    return;
  }
  const { status, contentRange } = rangeOf(page.offset, outcome.rows, outcome.total);
  const headers = {
    ...preferenceApplied(rc.prefs, ['count', 'tx', 'handling', 'timezone', 'maxAffected']),
    'content-range': contentRange,
  };
  if (fn.returnKind === 'void') {
    send(rc.res, 204, null, headers);
    return;
  }
  if (status === 416) throw outOfRange(page.offset, outcome.total, contentRange);
  send(rc.res, status, outcome.row?.body ?? 'null', headers, rc.head, contentTypeOf(media));
}
