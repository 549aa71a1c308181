import 'server-only';
import postgres from 'postgres';
import { readStackStatus, type StackStatus } from '@/devstack/status';

export const LOCAL_DATABASE_URL = 'postgresql://postgres:postgres@127.0.0.1:54322/postgres';

export type StackHealth =
  { ok: true; databaseUrl: string; status: StackStatus } | { ok: false; databaseUrl: string; error: string };

/**
 * Development diagnostics for the home page: is the dev stack's database up,
 * migrated and seeded? Reads Postgres directly, so it never runs in production
 * builds pointed at hosted Supabase (the page hides it there).
 */
export async function readStackHealth(): Promise<StackHealth> {
  const databaseUrl = process.env.DATABASE_URL ?? LOCAL_DATABASE_URL;
  const redacted = databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  const sql = postgres(databaseUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    return { ok: true, databaseUrl: redacted, status: await readStackStatus(sql) };
  } catch (err) {
    return { ok: false, databaseUrl: redacted, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await sql.end({ timeout: 1 });
  }
}
