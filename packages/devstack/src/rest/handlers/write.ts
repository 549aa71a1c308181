// POST (insert, upsert), PATCH and DELETE on a table, with Prefer return=
// minimal | representation | headers-only, count=exact and single-object checks
// (a failed check rolls the change back, as PostgREST does).
import type { TransactionSql } from 'postgres';
import { isJsonObject, readJsonBody, type JsonObject } from '../body';
import { invalidBody, RestError, singularityError } from '../errors';
import { preferenceApplied, type Preferences } from '../headers';
import { parseQueryParams, type QueryParams } from '../query/params';
import type { SelectItem } from '../query/select';
import type { Table } from '../schema/introspect';
import { inTransaction, runStatement } from '../execute';
import { SqlParams } from '../sql/fragment';
import { assertModifiersEmbedded, buildShape, newShapeContext } from '../sql/shape';
import {
  deleteCommand,
  insertCommand,
  mutationConditions,
  mutationStatement,
  returningAll,
  returningAllInsert,
  updateCommand,
} from '../sql/statements';
import { send } from '../response';
import type { RequestContext } from '../context';

function columnMissing(table: Table, column: string): RestError {
  return new RestError(400, 'PGRST204', `Could not find the '${column}' column of '${table.name}' in the schema cache`);
}

async function checkColumns(rc: RequestContext, table: Table, columns: string[]): Promise<Table> {
  const checked = await rc.cache.ensureColumns(table, columns);
  if (checked.missing.length > 0) throw columnMissing(table, checked.missing[0]);
  return checked.table;
}

interface Outcome {
  rows: number;
  body: string | null;
}

/** Runs the command, shaped by the select when a representation is wanted. */
async function runMutation(
  rc: RequestContext,
  table: Table,
  query: QueryParams,
  params: SqlParams,
  command: (returning: string) => string,
  returningStar: string,
): Promise<Outcome> {
  const wantsBody = rc.prefs.return === 'representation';
  const wantsKeys = rc.prefs.return === 'headers-only' && table.primaryKey.length > 0;
  let text: string;
  if (wantsBody || wantsKeys) {
    const select: SelectItem[] = wantsBody
      ? query.select
      : table.primaryKey.map((name) => ({ kind: 'column', field: { name, path: [] }, alias: null, cast: null }));
    const shapeCtx = newShapeContext(
      rc.cache,
      params,
      new Map([
        ['', { filters: [], order: [], limit: null, offset: null }],
        ...[...query.modifiers].filter(([path]) => path !== ''),
      ]),
    );
    const shape = await buildShape(shapeCtx, table, select);
    assertModifiersEmbedded(shapeCtx);
    text = mutationStatement(command(returningStar), shape, { count: false, stripNulls: rc.accept.stripNulls }).text;
  } else {
    text = command('');
  }
  return inTransaction(rc.sql, rc.config, rc.identity, rc.settings, false, async (tx: TransactionSql) => {
    const result = await runStatement(tx, text, params.values);
    const outcome: Outcome =
      wantsBody || wantsKeys
        ? { rows: result.rows[0]?.page ?? 0, body: result.rows[0]?.body ?? '[]' }
        : { rows: result.count, body: null };
    if (rc.accept.singular && outcome.rows !== 1) throw singularityError(outcome.rows);
    return outcome;
  });
}

function respond(rc: RequestContext, table: Table, outcome: Outcome, created: boolean): void {
  const headers: Record<string, string> = {
    ...preferenceApplied(rc.prefs, ['return', 'count', 'resolution', 'missing'] as (keyof Preferences)[]),
    'content-range': `*/${rc.prefs.count ? outcome.rows : '*'}`,
  };
  if (rc.prefs.return === 'representation' && outcome.body !== null) {
    const body = rc.accept.singular ? outcome.body.slice(1, -1).trim() : outcome.body;
    send(rc.res, created ? 201 : 200, body, headers);
    return;
  }
  if (rc.prefs.return === 'headers-only' && outcome.body !== null) {
    const [first] = JSON.parse(outcome.body) as JsonObject[];
    if (first) {
      const filters = table.primaryKey.map(
        (k) => `${encodeURIComponent(k)}=eq.${encodeURIComponent(String(first[k]))}`,
      );
      headers.location = `/${encodeURIComponent(table.name)}?${filters.join('&')}`;
    }
  }
  send(rc.res, created ? 201 : 204, null, headers);
}

export async function insertRows(rc: RequestContext, table: Table): Promise<void> {
  const query = parseQueryParams(rc.url.searchParams);
  const body = await readJsonBody(rc.req, rc.config.maxBodyBytes);
  const rows = Array.isArray(body) ? body : [body];
  if (body === undefined || !rows.every(isJsonObject)) throw invalidBody('Empty or invalid json');
  const objects = rows as JsonObject[];
  let columns = query.columns;
  if (!columns) {
    columns = Object.keys(objects[0] ?? {});
    const signature = [...columns].sort().join('\u0000');
    if (objects.some((o) => Object.keys(o).sort().join('\u0000') !== signature))
      throw invalidBody('All object keys must match');
  }
  table = await checkColumns(rc, table, columns);

  let onConflict: { columns: string[]; action: 'merge' | 'ignore' } | null = null;
  if (rc.prefs.resolution) {
    const keys = query.onConflict ?? table.primaryKey;
    if (keys.length === 0)
      throw new RestError(
        400,
        'PGRST100',
        '"failed to parse on_conflict parameter"',
        `'${table.name}' has no primary key; name the conflict columns with on_conflict`,
      );
    table = await checkColumns(rc, table, keys);
    onConflict = { columns: keys, action: rc.prefs.resolution === 'merge-duplicates' ? 'merge' : 'ignore' };
  }
  const params = new SqlParams();
  const spec = { table, columns, missingDefault: rc.prefs.missing === 'default', onConflict };
  const bodyJson = JSON.stringify(objects);
  const outcome = await runMutation(
    rc,
    table,
    query,
    params,
    (returning) => insertCommand(rc.cache.schema, params, spec, bodyJson, returning),
    returningAllInsert,
  );
  respond(rc, table, outcome, true);
}

export async function updateRows(rc: RequestContext, table: Table): Promise<void> {
  const query = parseQueryParams(rc.url.searchParams);
  const body = await readJsonBody(rc.req, rc.config.maxBodyBytes);
  if (!isJsonObject(body)) throw invalidBody('Empty or invalid json');
  const columns = Object.keys(body);
  table = await checkColumns(rc, table, columns);
  if (columns.length === 0) {
    respond(rc, table, { rows: 0, body: '[]' }, false);
    return;
  }
  const params = new SqlParams();
  const root = query.modifiers.get('') ?? { filters: [], order: [], limit: null, offset: null };
  const conditions = await mutationConditions(rc.cache, params, table, root);
  const bodyJson = JSON.stringify(body);
  const outcome = await runMutation(
    rc,
    table,
    query,
    params,
    (returning) => updateCommand(rc.cache.schema, params, table, columns, bodyJson, conditions, returning),
    returningAll,
  );
  respond(rc, table, outcome, false);
}

export async function deleteRows(rc: RequestContext, table: Table): Promise<void> {
  const query = parseQueryParams(rc.url.searchParams);
  const params = new SqlParams();
  const root = query.modifiers.get('') ?? { filters: [], order: [], limit: null, offset: null };
  const conditions = await mutationConditions(rc.cache, params, table, root);
  const outcome = await runMutation(
    rc,
    table,
    query,
    params,
    (returning) => deleteCommand(rc.cache.schema, table, conditions, returning),
    returningAll,
  );
  respond(rc, table, outcome, false);
}
