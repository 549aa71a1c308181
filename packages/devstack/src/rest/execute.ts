// Runs one request the way PostgREST does: a single transaction that first
// takes the caller's role and request settings (so RLS and auth.uid() see
// them), then runs the statement; read-only for GET and HEAD.
import type { IncomingMessage } from 'node:http';
import type { Sql, TransactionSql } from 'postgres';
import type { RequestIdentity } from './auth';
import type { RestConfig } from './config';

export interface ResultRow {
  total: string | number | null;
  page: number;
  body: string;
}

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

export async function inTransaction<T>(
  sql: Sql,
  config: RestConfig,
  identity: RequestIdentity,
  settings: RequestSettings,
  readOnly: boolean,
  work: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  const result = await sql.begin(readOnly ? 'read only' : 'read write', async (tx) => {
    // Awaited before the statement, never pipelined with it: the client may
    // reorder a statement that needs a describe round trip ahead of this one,
    // which would run it without the caller's role.
    await tx.unsafe(
      `select set_config('search_path', $1, true), set_config('statement_timeout', $2, true),
              set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true),
              set_config('request.path', $5, true), set_config('request.headers', $6, true),
              set_config('request.cookies', '{}', true), set_config('role', $7, true)`,
      [
        config.searchPath,
        String(config.statementTimeoutMs),
        JSON.stringify(identity.claims),
        settings.method,
        settings.path,
        JSON.stringify(settings.headers),
        identity.role,
      ],
      { prepare: false },
    );
    return work(tx);
  });
  return result as T;
}

export async function runStatement(
  tx: TransactionSql,
  text: string,
  values: (string | null)[],
): Promise<{ rows: ResultRow[]; count: number }> {
  const result = await tx.unsafe(text, values, { prepare: false });
  return { rows: result as unknown as ResultRow[], count: result.count ?? 0 };
}
