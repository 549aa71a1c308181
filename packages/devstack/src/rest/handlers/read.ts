// GET and HEAD on a table or view: select, filters, order, paging (limit and
// offset intersected with the Range header), exact counts, single objects.
import { RestError, singularityError } from '../errors';
import { parseRangeHeader, preferenceApplied } from '../headers';
import type { Modifiers } from '../query/params';
import { parseQueryParams } from '../query/params';
import type { Table } from '../schema/introspect';
import { inTransaction, runStatement, type ResultRow } from '../execute';
import { SqlParams } from '../sql/fragment';
import { assertModifiersEmbedded, buildShape, newShapeContext } from '../sql/shape';
import { readStatement } from '../sql/statements';
import { rangeOf, send } from '../response';
import type { RequestContext } from '../context';

/** The rows to return: PostgREST intersects limit/offset with the Range header, capped by max rows. */
export function pageOf(rc: RequestContext, mods: Modifiers): { offset: number; limit: number } {
  const range = parseRangeHeader(rc.req);
  const queryFrom = mods.offset ?? 0;
  const queryTo = mods.limit === null ? null : queryFrom + mods.limit - 1;
  const from = Math.max(queryFrom, range?.from ?? 0);
  const ends = [queryTo, range?.to ?? null].filter((n): n is number => n !== null);
  const to = ends.length > 0 ? Math.min(...ends) : null;
  const wanted = to === null ? rc.config.maxRows : Math.max(0, to - from + 1);
  return { offset: from, limit: Math.min(wanted, rc.config.maxRows) };
}

export function totalOf(row: ResultRow | undefined): number | null {
  return row?.total === null || row?.total === undefined ? null : Number(row.total);
}

export async function readTable(rc: RequestContext, table: Table): Promise<void> {
  const query = parseQueryParams(rc.url.searchParams);
  const params = new SqlParams();
  const shapeCtx = newShapeContext(rc.cache, params, query.modifiers);
  const shape = await buildShape(shapeCtx, table, query.select);
  assertModifiersEmbedded(shapeCtx);
  const root = query.modifiers.get('') ?? { filters: [], order: [], limit: null, offset: null };
  const page = pageOf(rc, root);
  shape.limit = page.limit;
  shape.offset = page.offset;
  const statement = readStatement(shape, rc.cache.schema, {
    count: rc.prefs.count !== null,
    stripNulls: rc.accept.stripNulls,
  });

  const row = await inTransaction(rc.sql, rc.config, rc.identity, rc.settings, true, async (tx) => {
    const { rows } = await runStatement(tx, statement.text, params.values);
    return rows[0];
  });
  const total = totalOf(row);
  const rows = row?.page ?? 0;
  const headers = preferenceApplied(rc.prefs, ['count']);
  if (rc.accept.singular) {
    if (rows !== 1) throw singularityError(rows);
    send(rc.res, 200, row.body.slice(1, -1).trim(), { ...headers, 'content-range': `0-0/${total ?? '*'}` }, rc.head);
    return;
  }
  const { status, contentRange } = rangeOf(page.offset, rows, total);
  if (status === 416) {
    throw new RestError(
      416,
      'PGRST103',
      'Requested range not satisfiable',
      `An offset of ${page.offset} was requested, but there are only ${total} rows.`,
      null,
      {
        'content-range': contentRange,
      },
    );
  }
  send(rc.res, status, row?.body ?? '[]', { ...headers, 'content-range': contentRange }, rc.head);
}
