'use client';

import type { SupabaseClient } from '@supabase/supabase-js';
import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { createClient } from '@/lib/supabase/client';
import { upsertRow, type LiveList, type LiveRow } from './merge';
import type { VersionedRow } from './schema';
import type { LiveTable, Supabase } from './table';

/** Why the database refused a write, for people (message) and programs (kind). */
export type LiveMutationErrorKind = 'conflict' | 'forbidden' | 'invalid' | 'gone' | 'network';

export class LiveMutationError extends Error {
  constructor(
    message: string,
    readonly kind: LiveMutationErrorKind,
  ) {
    super(message);
    this.name = 'LiveMutationError';
  }
}

/** A PostgREST error in plain words: a check (23514) says what rule, a permission (42501) says so. */
export function explainWriteError(error: { message: string; code?: string; hint?: string | null }): LiveMutationError {
  const hint = error.hint ? ` ${error.hint}.` : '';
  if (error.code === '23514') return new LiveMutationError(`${error.message}.${hint}`, 'invalid');
  if (error.code === '42501') return new LiveMutationError(`Not allowed: ${error.message}.`, 'forbidden');
  return new LiveMutationError(error.message || 'The change could not be saved.', error.code ? 'invalid' : 'network');
}

/** Writes one row into every cache of the table that holds it (lists, audience lists, the row cache). */
export function writeRowEverywhere<Row extends VersionedRow>(
  queryClient: QueryClient,
  table: LiveTable<Row>,
  row: Row,
  force: boolean,
): void {
  const id = table.keyOf(row);
  for (const query of queryClient.getQueryCache().findAll({ queryKey: table.keys.all })) {
    const kind = query.queryKey[2];
    if (kind === 'row') {
      if (query.queryKey[3] !== id) continue;
      queryClient.setQueryData<LiveRow<Row>>(query.queryKey, (cached) =>
        cached && (force || !cached.row || cached.row.version <= row.version) ? { ...cached, row } : cached,
      );
    } else {
      queryClient.setQueryData<LiveList<Row>>(query.queryKey, (list) =>
        list?.rows.some((r) => table.keyOf(r) === id) ? upsertRow(list, row, table.keyOf, force) : list,
      );
    }
  }
}

/** The copy of a row the caches hold now (the highest version). */
export function heldRow<Row extends VersionedRow>(
  queryClient: QueryClient,
  table: LiveTable<Row>,
  id: string,
): Row | undefined {
  let best: Row | undefined;
  for (const query of queryClient.getQueryCache().findAll({ queryKey: table.keys.all })) {
    const data = query.state.data as LiveList<Row> | LiveRow<Row> | undefined;
    const found = data && 'rows' in data ? data.rows.find((r) => table.keyOf(r) === id) : (data?.row ?? undefined);
    if (found && (!best || found.version > best.version)) best = found;
  }
  return best;
}

export interface LiveUpdate<Row> {
  /** The row as the person saw it: its version guards the write. */
  row: Row;
  patch: Partial<Row>;
}

export interface LiveMutationOptions<Row> {
  /** The message when someone else changed the row first; `latest` is the row now. */
  describeConflict?: (seen: Row, latest: Row) => string;
  /** The message when the row is gone or no longer visible. */
  goneMessage?: string;
}

/**
 * Updates a live row optimistically: every cache shows the change at once,
 * the write is guarded by the version the person saw (`update … where
 * version = n`), and a refusal rolls the row back and carries the database's
 * reason (a check, a permission, or someone else's newer change) as a
 * LiveMutationError. A live delta that arrived meanwhile always wins over a
 * rollback.
 */
export function useLiveMutation<Row extends VersionedRow>(
  table: LiveTable<Row>,
  options: LiveMutationOptions<Row> = {},
) {
  const queryClient = useQueryClient();
  const { primaryKey, scopeColumn } = table.config;

  return useMutation({
    mutationFn: async ({ row, patch }: LiveUpdate<Row>): Promise<Row> => {
      const supabase: Supabase = createClient();
      const id = table.keyOf(row);
      // Table names are data here; zod validates the row that comes back.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- internal only
      const untyped = supabase as unknown as SupabaseClient<any, any, any>;
      const { data, error } = await untyped
        .from(table.config.name)
        .update(patch as Record<string, unknown>)
        .eq(primaryKey as string, id)
        .eq('version', row.version)
        .select(table.config.columns ?? '*')
        .maybeSingle();
      if (error) throw explainWriteError(error);
      if (data) return table.config.row.parse(data);
      // No row updated: either RLS hides it now or someone changed it first.
      const latest = await table
        .fetchRow(supabase, String(row[scopeColumn]), id)
        .then((r) => r.row)
        .catch(() => null);
      if (!latest)
        throw new LiveMutationError(
          options.goneMessage ?? 'You can no longer change this (it was removed or you lost access).',
          'gone',
        );
      writeRowEverywhere(queryClient, table, latest, false);
      throw new LiveMutationError(
        options.describeConflict?.(row, latest) ??
          `Someone else changed this first (now version ${latest.version}). Review the latest state and try again.`,
        'conflict',
      );
    },
    onMutate: async ({ row, patch }: LiveUpdate<Row>) => {
      writeRowEverywhere(queryClient, table, { ...row, ...patch }, true);
      return { previous: row };
    },
    onError: (_error, { row }, context) => {
      // Roll back only if nothing newer arrived meanwhile (a live delta wins).
      const held = heldRow(queryClient, table, table.keyOf(row));
      if (context && held && held.version === context.previous.version) {
        writeRowEverywhere(queryClient, table, context.previous, true);
      }
    },
    onSuccess: (saved) => writeRowEverywhere(queryClient, table, saved, false),
  });
}

/** Puts a new row into the list caches it belongs to (its scope's list, its audience's list). */
export function insertRowIntoCaches<Row extends VersionedRow>(
  queryClient: QueryClient,
  table: LiveTable<Row>,
  row: Row,
): void {
  const { scopeColumn, audienceColumn } = table.config;
  queryClient.setQueryData<LiveList<Row>>(table.keys.list(String(row[scopeColumn])), (list) =>
    upsertRow(list, row, table.keyOf),
  );
  if (audienceColumn && row[audienceColumn] !== null && row[audienceColumn] !== undefined) {
    queryClient.setQueryData<LiveList<Row>>(table.keys.audience(String(row[audienceColumn])), (list) =>
      upsertRow(list, row, table.keyOf),
    );
  }
}

/**
 * Inserts a row and shows it at once in the caches it belongs to (the live
 * change that follows is then a duplicate, dropped by version). A refusal
 * carries the database's reason as a LiveMutationError.
 */
export function useLiveInsert<Row extends VersionedRow>(table: LiveTable<Row>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (values: Partial<Row>): Promise<Row> => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- internal only; zod validates the row
      const untyped = createClient() as unknown as SupabaseClient<any, any, any>;
      const { data, error } = await untyped
        .from(table.config.name)
        .insert(values as Record<string, unknown>)
        .select(table.config.columns ?? '*')
        .single();
      if (error) throw explainWriteError(error);
      return table.config.row.parse(data);
    },
    onSuccess: (row) => insertRowIntoCaches(queryClient, table, row),
  });
}
