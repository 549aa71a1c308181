// POST (insert, upsert), PATCH and DELETE on a table, as PostgREST 13 answers
// them: the write in a `pgrst_source` CTE returning what the select needs,
// Prefer return=minimal | representation | headers-only, resolution,
// missing=default, count, tx, and max-affected with handling=strict (a write
// that touches more rows is refused and rolled back, as are single-object
// checks that fail).
import { looksLikeObject, parseJson, payloadOf, readRequestBody } from '../body';
import { columnNotFound, invalidBody, maxAffectedError, singularityError } from '../errors';
import { checkStrictPreferences, contentTypeOf, preferenceApplied } from '../headers';
import { buildReadPlan, returnedColumns, type ReadNode } from '../plan/read-plan';
import { parseQueryParams, type QueryParams } from '../query/params';
import type { Column, Table } from '../schema/introspect';
import { inTransaction, runStatement } from '../execute';
import { filterSql } from '../sql/conditions';
import { SqlParams } from '../sql/fragment';
import { qiSql, readQuery } from '../sql/read-query';
import { writeStatement, type ResultRow } from '../sql/statements';
import { deleteSql, insertSql, locationSql, updateSql, type JsonBody } from '../sql/write-query';
import { send } from '../response';
import { transactionOptions, type RequestContext } from '../context';
import { bodyShapeOf, explain, planWithFreshCache, queryContext } from './support';

type Write = 'insert' | 'update' | 'delete';

interface Payload {
  body: JsonBody;
  keys: string[];
}

async function readPayload(rc: RequestContext, query: QueryParams): Promise<Payload> {
  const body = await readRequestBody(rc.req, rc.config.maxBodyBytes, false);
  if (body.kind === 'form') {
    const object = Object.fromEntries(body.params);
    return { body: { json: JSON.stringify(object), isObject: true }, keys: Object.keys(object) };
  }
  if (body.kind === 'raw') throw invalidBody(`Content-Type not acceptable: ${body.mime}`);
  if (query.columns) return { body: { json: body.text, isObject: looksLikeObject(body.text) }, keys: query.columns };
  const payload = payloadOf(parseJson(body.text));
  return { body: { json: payload.json, isObject: payload.isObject }, keys: payload.keys };
}

/** The body's columns, sorted by name as PostgREST resolves them; PGRST204 for one the table lacks. */
async function typedColumns(rc: RequestContext, table: Table, keys: string[]): Promise<Column[]> {
  const fresh = await rc.cache.withColumns(table, keys);
  return [...new Set(keys)].sort().map((key) => {
    const column = fresh.columns.find((c) => c.name === key);
    if (!column) throw columnNotFound(table.name, key);
    return column;
  });
}

function rootConditions(rc: RequestContext, params: SqlParams, table: Table, query: QueryParams): string[] {
  const filters = query.modifiers.get('')?.filters ?? [];
  const target = { schema: rc.cache.schema, name: table.name };
  const ctx = queryContext(rc.cache, params);
  const qualifier = qiSql(target);
  const rootNode = { table: table.name, depth: 0 } as ReadNode;
  return filters.map((f) => filterSql({ params, qualifier, typeOf: (name) => ctx.typeOf(rootNode, name) }, f));
}

export async function writeTable(rc: RequestContext, table: Table, write: Write): Promise<void> {
  const query = parseQueryParams(rc.url.searchParams);
  const payload = write === 'delete' ? null : await readPayload(rc, query);
  const plan = await planWithFreshCache(rc.cache, () =>
    buildReadPlan({
      cache: rc.cache,
      root: { name: table.name, table: table.name, source: true },
      select: query.select,
      modifiers: query.modifiers,
      rootFiltersInPlan: false,
      rootRange: null,
      maxRows: null,
    }),
  );
  const columns = payload ? await typedColumns(rc, table, payload.keys) : [];
  checkStrictPreferences(rc.prefs);

  const params = new SqlParams();
  const representation = rc.prefs.return === 'representation';
  const headersOnly = rc.prefs.return === 'headers-only';
  const returning = representation || headersOnly ? returnedColumns(plan, table.primaryKey) : [];
  const target = { schema: rc.cache.schema, name: table.name };
  const defaults = rc.prefs.missing === 'default';
  const conflictColumns = query.onConflict ?? table.primaryKey;
  const merge = write === 'insert' && rc.prefs.resolution === 'merge-duplicates';
  let mutation: string;
  if (write === 'insert' && payload) {
    mutation = insertSql(params, {
      target,
      columns,
      body: payload.body,
      onConflict: rc.prefs.resolution
        ? { action: rc.prefs.resolution === 'merge-duplicates' ? 'merge' : 'ignore', columns: conflictColumns }
        : null,
      defaults,
      returning,
    });
  } else if (write === 'update' && payload) {
    mutation = updateSql(
      params,
      target,
      columns,
      payload.body,
      defaults,
      rootConditions(rc, params, table, query),
      returning,
    );
  } else {
    mutation = deleteSql(target, rootConditions(rc, params, table, query), returning);
  }
  const select = representation ? readQuery(queryContext(rc.cache, params), plan) : null;
  const location = write === 'insert' && headersOnly ? locationSql(table.primaryKey) : null;
  const statement = writeStatement(mutation, select, bodyShapeOf(rc.media, { none: !representation }), {
    location,
    countInserted: merge,
  });
  const media = rc.media;

  const result = await inTransaction(
    rc.sql,
    rc.config,
    rc.identity,
    rc.settings,
    transactionOptions(rc, false),
    async (tx) => {
      if (media.kind === 'plan')
        return { kind: 'plan' as const, plan: await explain(tx, media, statement, params.values) };
      const [row] = await runStatement<ResultRow>(tx, statement, params.values);
      const rows = Number(row?.page ?? 0);
      if (media.singular && rows !== 1) throw singularityError(rows);
      if (
        write !== 'insert' &&
        rc.prefs.handling === 'strict' &&
        rc.prefs.maxAffected !== null &&
        rows > rc.prefs.maxAffected
      ) {
        throw maxAffectedError(rows);
      }
      return { kind: 'rows' as const, row, rows };
    },
  );
  if (result.kind === 'plan') {
    send(rc.res, 200, result.plan, {}, false, contentTypeOf(media));
    return;
  }
  const counted = rc.prefs.count === 'exact' || rc.prefs.count === 'estimated';
  const headers: Record<string, string> = {};
  if (write === 'insert') {
    const resolutionApplies = table.primaryKey.length > 0 || query.onConflict !== null;
    Object.assign(
      headers,
      preferenceApplied(rc.prefs, [
        ...(resolutionApplies ? (['resolution'] as const) : []),
        'missing',
        'return',
        'count',
        'tx',
        'handling',
        'timezone',
      ]),
    );
    const location = result.row?.location ?? [];
    if (location.length > 0) {
      const pairs = location.map((kv) => {
        const eq = kv.indexOf('=');
        return `${encodeURIComponent(kv.slice(0, eq))}=${encodeURIComponent(kv.slice(eq + 1))}`;
      });
      headers.location = `/${table.name}?${pairs.join('&')}`;
    }
    headers['content-range'] = `*/${counted ? result.rows : '*'}`;
  } else {
    const applied =
      write === 'update'
        ? (['return', 'count', 'tx', 'missing', 'handling', 'timezone', 'maxAffected'] as const)
        : (['return', 'count', 'tx', 'handling', 'timezone', 'maxAffected'] as const);
    Object.assign(headers, preferenceApplied(rc.prefs, [...applied]));
    const total = counted ? result.rows : null;
    headers['content-range'] =
      write === 'update' && result.rows > 0 && total !== 0
        ? `0-${result.rows - 1}/${total ?? '*'}`
        : `*/${total ?? '*'}`;
  }
  const inserted = result.row?.inserted;
  const status = write === 'insert' ? (merge && (inserted ?? 0) <= 0 ? 200 : 201) : representation ? 200 : 204;
  if (representation) {
    send(rc.res, status, result.row?.body ?? '[]', headers, false, contentTypeOf(media));
    return;
  }
  send(rc.res, status, null, headers);
}
