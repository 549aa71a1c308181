import type { SupabaseClient } from '@supabase/supabase-js';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import type { Database } from '@/lib/database.types';
import type { LiveList, LiveRow } from './merge';
import { registerLivePrimaryKey } from './registry';
import { liveChangeSchema, liveHistorySchema, type LiveChange, type VersionedRow } from './schema';

// A live table's definition: one place for its query keys, fetchers, topics
// and message schemas, used by the server prefetch and the client hooks alike,
// so SSR hydration and live updates always agree on a key.

export type Supabase = SupabaseClient<Database>;

/** The untyped client inside: table names are data here, and zod validates every row. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- internal only, never at the boundary
type AnySupabase = SupabaseClient<any, any, any>;
const untyped = (supabase: Supabase) => supabase as unknown as AnySupabase;

export interface LiveTableConfig<Row extends VersionedRow> {
  /** The table's name in `public`: the topic prefix (`<name>:<scope>`), as given to live.publish. */
  name: string;
  /** Validates every row that arrives (REST, realtime, history). */
  row: z.ZodType<Row>;
  primaryKey: keyof Row & string;
  scopeColumn: keyof Row & string;
  /** The audience column given to live.publish, if any. */
  audienceColumn?: keyof Row & string;
  /** The PostgREST select list (defaults to every column of `row`). */
  columns?: string;
  /** List order (PostgREST columns); the primary key is always the last tie-breaker. */
  order?: { column: keyof Row & string; ascending?: boolean; nullsFirst?: boolean }[];
  /** Rows per page when reading a list (Supabase caps a read at max_rows, 1000 by default). */
  pageSize?: number;
}

export interface LiveTable<Row extends VersionedRow> {
  readonly config: LiveTableConfig<Row>;
  readonly keys: {
    all: readonly ['live', string];
    list: (scope: string) => readonly ['live', string, 'list', string];
    row: (id: string) => readonly ['live', string, 'row', string];
    audience: (userId: string) => readonly ['live', string, 'audience', string];
  };
  /** The private topic of a scope: `<table>:<scope>`. */
  topic(scope: string): string;
  /** The private topic of a person's rows: `<table>:@<user id>`. */
  audienceTopic(userId: string): string;
  /** The row's primary key as text (the form changes carry). */
  keyOf(row: Row): string;
  readonly changeSchema: z.ZodType<LiveChange<Row>>;
  fetchList(supabase: Supabase, scope: string): Promise<LiveList<Row>>;
  fetchAudienceList(supabase: Supabase, userId: string): Promise<LiveList<Row>>;
  fetchRow(supabase: Supabase, scope: string, id: string): Promise<LiveRow<Row>>;
  /** Committed changes of a scope after `afterSeq`, in seq order, read as the caller (public.live_changes_after). */
  fetchChangesAfter(supabase: Supabase, scope: string, afterSeq: number, limit: number): Promise<LiveChange<Row>[]>;
  listQuery(supabase: Supabase, scope: string): ReturnType<typeof listOptions<Row>>;
  audienceQuery(supabase: Supabase, userId: string): ReturnType<typeof listOptions<Row>>;
  rowQuery(supabase: Supabase, scope: string, id: string): ReturnType<typeof rowOptions<Row>>;
}

/** Turns a Supabase error into an Error whose message a person can act on, keeping its code. */
export function liveFailure(what: string, error: { message: string; code?: string }): Error {
  return Object.assign(new Error(`${what}: ${error.message}`), { code: error.code });
}

function listOptions<Row>(queryKey: readonly unknown[], queryFn: () => Promise<LiveList<Row>>) {
  return queryOptions({
    queryKey,
    queryFn,
    // Live deltas keep it fresh; after a reconnect the seq catch-up brings it
    // up to date incrementally, so a refetch is never needed.
    staleTime: Number.POSITIVE_INFINITY,
    // The merge functions already keep unchanged rows' identity; a deep
    // comparison of thousands of rows on every delta would only cost time.
    structuralSharing: false,
  });
}

function rowOptions<Row>(queryKey: readonly unknown[], queryFn: () => Promise<LiveRow<Row>>) {
  return queryOptions({ queryKey, queryFn, staleTime: Number.POSITIVE_INFINITY, structuralSharing: false });
}

function columnsOf<Row extends VersionedRow>(config: LiveTableConfig<Row>): string {
  if (config.columns) return config.columns;
  const shape = (config.row as unknown as { shape?: Record<string, unknown> }).shape;
  if (!shape) throw new Error(`live table ${config.name}: give \`columns\` (its row schema is not a z.object)`);
  return Object.keys(shape).join(', ');
}

/**
 * Defines a live table (one made live with `select live.publish('public.<name>', '<scope column>')`).
 * Query keys start with `['live', name]`, which is how LiveHydrationBoundary
 * recognizes the caches it must merge by seq and version instead of by time.
 */
export function defineLiveTable<Row extends VersionedRow>(config: LiveTableConfig<Row>): LiveTable<Row> {
  const { name } = config;
  const columns = columnsOf(config);
  const pageSize = config.pageSize ?? 1000;
  const rows = z.array(config.row);
  const history = z.array(liveHistorySchema(config.row));
  const keyOf = (row: Row) => String(row[config.primaryKey]);
  registerLivePrimaryKey(name, config.primaryKey);

  async function readRows(supabase: Supabase, column: string, value: string, what: string): Promise<Row[]> {
    const out: Row[] = [];
    for (let from = 0; ; from += pageSize) {
      let query = untyped(supabase).from(name).select(columns).eq(column, value);
      for (const o of config.order ?? [])
        query = query.order(o.column as string, { ascending: o.ascending ?? true, nullsFirst: o.nullsFirst });
      const page = await query.order(config.primaryKey).range(from, from + pageSize - 1);
      if (page.error) throw liveFailure(what, page.error);
      out.push(...rows.parse(page.data));
      if (page.data.length < pageSize) return out;
    }
  }

  async function watermarkOf(supabase: Supabase, scope: string): Promise<number | null> {
    const { data, error } = await supabase.rpc('live_watermark', { live_table: name, scope });
    if (error) throw liveFailure(`Could not read the ${name} watermark`, error);
    return data === null ? null : Number(data);
  }

  const table: LiveTable<Row> = {
    config,
    keys: {
      all: ['live', name] as const,
      list: (scope) => ['live', name, 'list', scope] as const,
      row: (id) => ['live', name, 'row', id] as const,
      audience: (userId) => ['live', name, 'audience', userId] as const,
    },
    topic: (scope) => `${name}:${scope}`,
    audienceTopic: (userId) => `${name}:@${userId}`,
    keyOf,
    changeSchema: liveChangeSchema(name, config.row) as unknown as z.ZodType<LiveChange<Row>>,

    // The watermark is read FIRST: rows read after it include at least every
    // change up to it, so catching up from it can only re-apply (harmless), never miss.
    async fetchList(supabase, scope) {
      const watermark = await watermarkOf(supabase, scope);
      const list = await readRows(supabase, config.scopeColumn, scope, `Could not load ${name}`);
      return { watermark: watermark ?? 0, rows: list };
    },
    async fetchAudienceList(supabase, userId) {
      if (!config.audienceColumn) throw new Error(`live table ${name} has no audience column`);
      return {
        watermark: null,
        rows: await readRows(supabase, config.audienceColumn, userId, `Could not load ${name}`),
      };
    },
    async fetchRow(supabase, scope, id) {
      const watermark = await watermarkOf(supabase, scope);
      const { data, error } = await untyped(supabase)
        .from(name)
        .select(columns)
        .eq(config.primaryKey as string, id)
        .maybeSingle();
      if (error) throw liveFailure(`Could not load ${name} ${id}`, error);
      return { watermark: watermark ?? 0, row: data === null ? null : config.row.parse(data) };
    },
    async fetchChangesAfter(supabase, scope, afterSeq, limit) {
      const { data, error } = await supabase.rpc('live_changes_after', {
        live_table: name,
        scope,
        after_seq: afterSeq,
        max_rows: limit,
      });
      if (error) throw liveFailure(`Could not catch up on ${name} changes`, error);
      return history.parse(data).map((h) => ({
        seq: h.seq,
        scope,
        id: h.row_id,
        version: h.version,
        operation: h.operation,
        changed: Object.keys(h.changes),
        record: h.record,
      }));
    },
    listQuery: (supabase, scope) => listOptions(table.keys.list(scope), () => table.fetchList(supabase, scope)),
    audienceQuery: (supabase, userId) =>
      listOptions(table.keys.audience(userId), () => table.fetchAudienceList(supabase, userId)),
    rowQuery: (supabase, scope, id) => rowOptions(table.keys.row(id), () => table.fetchRow(supabase, scope, id)),
  };
  return table;
}
