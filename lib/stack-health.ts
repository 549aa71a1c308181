import 'server-only';
import { z } from 'zod';
import { publicEnv } from '@/lib/supabase/env';

// The dev stack's GET /devstack/v1/status answer (zod: it crosses a process boundary).
const serviceCheck = z.object({ ok: z.boolean(), detail: z.string() });
const reportSchema = z.object({
  database: z.object({
    serverVersion: z.string(),
    migrationsApplied: z.number(),
    latestMigration: z.string().nullable(),
    demoAccounts: z.array(z.string()),
  }),
  services: z.object({ auth: serviceCheck, rest: serviceCheck, realtime: serviceCheck }),
});

export type StackReport = z.infer<typeof reportSchema>;
export type StackHealth =
  { ok: true; apiUrl: string; report: StackReport } | { ok: false; apiUrl: string; error: string };

/**
 * Development diagnostics for /status: asks the dev stack at
 * NEXT_PUBLIC_SUPABASE_URL for its health report (database, migrations, demo
 * accounts, and a live check of auth, REST and Realtime). Over HTTP, so the app
 * never imports the dev stack. Never throws: an unreachable stack is a result.
 */
export async function readStackHealth(): Promise<StackHealth> {
  const { supabaseUrl: apiUrl, supabaseKey } = publicEnv();
  try {
    const res = await fetch(`${apiUrl}/devstack/v1/status`, {
      headers: { apikey: supabaseKey },
      cache: 'no-store',
      signal: AbortSignal.timeout(5000),
    });
    if (res.status === 404) {
      return { ok: false, apiUrl, error: 'no /devstack/v1/status here: this is not the dev stack (supabase start?)' };
    }
    if (!res.ok) return { ok: false, apiUrl, error: `HTTP ${res.status}` };
    return { ok: true, apiUrl, report: reportSchema.parse(await res.json()) };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { ok: false, apiUrl, error: `${err instanceof Error ? err.message : String(err)}${cause}` };
  }
}
