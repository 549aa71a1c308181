import { isAuthRetryableFetchError, type SupabaseClient } from '@supabase/supabase-js';
import type { QueuedWrite, WriteResult } from './queued-writes';
import type { VersionedRow } from './schema';
import type { LiveTable, Supabase } from './table';
import { explainWriteError } from './use-live-mutation';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- internal only: table names are data, zod validates rows
type AnySupabase = SupabaseClient<any, any, any>;

/** PostgREST answers that mean "try again later", not "no" (postgrest-js reports a failed fetch as status 0). */
const isTransient = (status: number) => status === 0 || status === 408 || status === 429 || status >= 500;

/**
 * Sends one queued write: `update <table> set <patch> where <pk> = rowId and
 * version = baseVersion`, as the signed-in person (RLS and the table's
 * triggers decide). When no row matched, reads the row again to tell a newer
 * version (`stale`, with the row now) from a row that is gone or no longer
 * visible (`gone`). Network failures, 5xx, 408 and 429 are `unreachable`
 * (keep it, retry later); any other refusal is final (`refused`, with the
 * database's reason in plain words). Without a session, or with another
 * person's (`expectedUserId`), nothing is sent: `signed-out`.
 */
export async function writeVersioned<Row extends VersionedRow>(
  supabase: Supabase,
  table: LiveTable<Row>,
  write: QueuedWrite,
  expectedUserId?: string,
): Promise<WriteResult<Row>> {
  const { data: auth, error: authError } = await supabase.auth.getSession();
  if (authError && isAuthRetryableFetchError(authError)) return { kind: 'unreachable', message: authError.message };
  const session = auth.session;
  if (!session || (expectedUserId && session.user.id !== expectedUserId)) return { kind: 'signed-out' };

  const { name, primaryKey, columns } = table.config;
  const untyped = supabase as unknown as AnySupabase;
  const response = await untyped
    .from(name)
    .update(write.patch)
    .eq(primaryKey as string, write.rowId)
    .eq('version', write.baseVersion)
    .select(columns ?? '*')
    .maybeSingle();
  if (response.error) {
    if (isTransient(response.status)) return { kind: 'unreachable', message: response.error.message };
    return { kind: 'refused', message: explainWriteError(response.error).message };
  }
  if (response.data) return { kind: 'saved', row: table.config.row.parse(response.data) };

  // No row at that version: someone changed it first, or it is gone for this person.
  try {
    const { row } = await table.fetchRow(supabase, write.scope, write.rowId);
    return row ? { kind: 'stale', latest: row } : { kind: 'gone' };
  } catch (error) {
    return { kind: 'unreachable', message: error instanceof Error ? error.message : String(error) };
  }
}
