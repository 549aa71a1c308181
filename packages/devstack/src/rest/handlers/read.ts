// GET and HEAD on a table or view: select, filters, order, paging (limit and
// offset intersected with the Range header, capped by max rows), counts,
// single objects and EXPLAIN plans, as PostgREST 13 answers them.
import { singularityError } from '../errors';
import { checkStrictPreferences, contentTypeOf, preferenceApplied } from '../headers';
import { buildReadPlan } from '../plan/read-plan';
import { parseQueryParams } from '../query/params';
import type { Table } from '../schema/introspect';
import { inTransaction, runStatement } from '../execute';
import { SqlParams } from '../sql/fragment';
import { countQuery, readQuery } from '../sql/read-query';
import { readStatement, type ResultRow } from '../sql/statements';
import { send } from '../response';
import { transactionOptions, type RequestContext } from '../context';
import {
  bodyShapeOf,
  explain,
  outOfRange,
  pageOf,
  planWithFreshCache,
  plannedRows,
  queryContext,
  rangeOf,
} from './support';

export async function readTable(rc: RequestContext, table: Table): Promise<void> {
  const query = parseQueryParams(rc.url.searchParams);
  const page = pageOf(rc, query.modifiers.get(''));
  const plan = await planWithFreshCache(rc.cache, () =>
    buildReadPlan({
      cache: rc.cache,
      root: { name: table.name, table: table.name, source: false },
      select: query.select,
      modifiers: query.modifiers,
      rootFiltersInPlan: true,
      rootRange: page,
      maxRows: rc.config.maxRows,
    }),
  );
  checkStrictPreferences(rc.prefs);
  const params = new SqlParams();
  const ctx = queryContext(rc.cache, params);
  const main = readQuery(ctx, plan);
  const counting = rc.prefs.count === 'exact' || rc.prefs.count === 'estimated';
  const countCte = !counting
    ? null
    : rc.prefs.count === 'estimated'
      ? `${countQuery(ctx, plan)} LIMIT ${rc.config.maxRows + 1}`
      : countQuery(ctx, plan);
  // The planner's estimate (count=planned, or estimated past max rows) is asked for separately.
  const estimateParams = new SqlParams();
  const estimate =
    rc.prefs.count === 'planned' || rc.prefs.count === 'estimated'
      ? countQuery(queryContext(rc.cache, estimateParams), plan)
      : null;
  const statement = readStatement(main, countCte, bodyShapeOf(rc.media, { none: rc.head }));
  const media = rc.media;

  const result = await inTransaction(
    rc.sql,
    rc.config,
    rc.identity,
    rc.settings,
    transactionOptions(rc, true),
    async (tx) => {
      if (media.kind === 'plan')
        return { kind: 'plan' as const, plan: await explain(tx, media, statement, params.values) };
      const [row] = await runStatement<ResultRow>(tx, statement, params.values);
      const rows = Number(row?.page ?? 0);
      if (media.singular && rows !== 1) throw singularityError(rows);
      let total = row?.total === null || row?.total === undefined ? null : Number(row.total);
      if (estimate !== null && rc.prefs.count === 'planned')
        total = await plannedRows(tx, estimate, estimateParams.values);
      else if (estimate !== null && total !== null && total > rc.config.maxRows) {
        total = Math.max(total, (await plannedRows(tx, estimate, estimateParams.values)) ?? 0);
      }
      return { kind: 'rows' as const, row, rows, total };
    },
  );
  if (result.kind === 'plan') {
    send(rc.res, 200, result.plan, {}, rc.head, contentTypeOf(media));
    return;
  }
  const headers = preferenceApplied(rc.prefs, ['count', 'tx', 'handling', 'timezone']);
  const { status, contentRange } = rangeOf(page.offset, result.rows, result.total);
  if (status === 416) throw outOfRange(page.offset, result.total, contentRange);
  send(
    rc.res,
    status,
    result.row?.body ?? '[]',
    { ...headers, 'content-range': contentRange },
    rc.head,
    contentTypeOf(media),
  );
}
