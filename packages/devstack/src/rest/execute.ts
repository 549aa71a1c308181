// Runs one request the way PostgREST does: a single transaction that first
// takes the caller's role and request settings (so RLS and auth.uid() see
// them), then runs the statement; read-only for GET and HEAD.
import type { IncomingMessage } from 'node:http';
import type { Sql, TransactionSql } from 'postgres';
import type { RequestIdentity } from './auth';
import type { RestConfig } from './config';

export interface RequestSettings {
  method: string;
  path: string;
  headers: Record<string, string>;
}

export function requestSettings(req: IncomingMessage, path: string): RequestSettings {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { method: req.method ?? 'GET', path, headers };
}

/** Thrown to end a transaction with ROLLBACK while still answering with what it did. */
class Rollback<T> extends Error {
  constructor(readonly result: T) {
    super('rolled back as requested');
  }
}

export interface TransactionOptions {
  readOnly: boolean;
  /** `Prefer: timezone=…` (already checked against pg_timezone_names). */
  timezone: string | null;
  /** End with ROLLBACK (Prefer: tx=rollback, or pgrst.db_tx_end = rollback). */
  rollback: boolean;
}

export async function inTransaction<T>(
  sql: Sql,
  config: RestConfig,
  identity: RequestIdentity,
  settings: RequestSettings,
  options: TransactionOptions,
  work: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  try {
    return await runInTransaction(sql, config, identity, settings, options, work);
  } catch (err) {
    if (err instanceof Rollback) return err.result as T;
    throw err;
  }
}

async function runInTransaction<T>(
  sql: Sql,
  config: RestConfig,
  identity: RequestIdentity,
  settings: RequestSettings,
  options: TransactionOptions,
  work: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  const result = await sql.begin(options.readOnly ? 'read only' : 'read write', async (tx) => {
    // Awaited before the statement, never pipelined with it: the client may
    // reorder a statement that needs a describe round trip ahead of this one,
    // which would run it without the caller's role.
    await tx.unsafe(
      `select set_config('search_path', $1, true), set_config('statement_timeout', $2, true),
              set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true),
              set_config('request.path', $5, true), set_config('request.headers', $6, true),
              set_config('request.cookies', '{}', true), set_config('role', $7, true),
              set_config('timezone', coalesce($8, current_setting('timezone')), true)`,
      [
        config.searchPath,
        String(config.statementTimeoutMs),
        JSON.stringify(identity.claims),
        settings.method,
        settings.path,
        JSON.stringify(settings.headers),
        identity.role,
        options.timezone,
      ],
      { prepare: false },
    );
    const done = await work(tx);
    if (options.rollback) {
      // As PostgREST: deferred constraints are checked before the rollback, so they still fail the request.
      await tx.unsafe('SET CONSTRAINTS ALL IMMEDIATE');
      throw new Rollback(done);
    }
    return done;
  });
  return result as T;
}

export async function runStatement<R>(tx: TransactionSql, text: string, values: (string | null)[]): Promise<R[]> {
  return (await tx.unsafe(text, values, { prepare: false })) as unknown as R[];
}
