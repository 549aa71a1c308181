// The doctor's API checks: does a key work for REST, Auth and Realtime at the
// project URL? Each goes through what the app uses (fetch with the headers
// supabase-js sends; supabase-js' own Realtime client over a real socket).
import { createClient } from '@supabase/supabase-js';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { apiKeyKind, type ApiKeyKind } from '../../lib/supabase/keys';
import type { CheckResult } from './report';

const KIND_LABEL: Record<ApiKeyKind, string> = {
  publishable: 'publishable key',
  secret: 'secret key',
  anon: 'legacy anon key',
  service_role: 'legacy service_role key',
  malformed: 'not a Supabase key',
};

/** How a key is shown: its kind and first characters only. */
export function describeKey(key: string): string {
  return `${KIND_LABEL[apiKeyKind(key)]} ${key.slice(0, 14)}…`;
}

/** The headers supabase-js sends with a key: apikey always, and the key as Bearer when it is a JWT. */
function headersFor(key: string): Record<string, string> {
  const kind = apiKeyKind(key);
  return kind === 'anon' || kind === 'service_role' ? { apikey: key, authorization: `Bearer ${key}` } : { apikey: key };
}

const errorBody = z.looseObject({
  code: z.union([z.string(), z.number()]).optional(),
  message: z.string().optional(),
  msg: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});

async function call(url: string, key: string, init: RequestInit = {}) {
  const response = await fetch(url, {
    ...init,
    headers: { ...headersFor(key), accept: 'application/json', ...(init.headers as Record<string, string>) },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: z.infer<typeof errorBody> | null = null;
  try {
    const parsed = errorBody.safeParse(JSON.parse(text));
    body = parsed.success ? parsed.data : null;
  } catch {
    body = null;
  }
  const message = body?.message ?? body?.msg ?? body?.error_description ?? body?.error ?? text.slice(0, 200);
  return { status: response.status, code: body?.code === undefined ? null : String(body.code), message };
}

const unreachable = (what: string, url: string, err: unknown) =>
  `cannot reach ${what} at ${url}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`;

const keyFix = (kind: ApiKeyKind) =>
  kind === 'malformed'
    ? 'Copy a key from the dashboard, Project Settings → API Keys (locally: `npm run stack` or `npx supabase status` prints them).'
    : 'Use a key of this project: Project Settings → API Keys (the legacy ones under "Legacy API keys"); locally `npm run stack` or `npx supabase status` prints them. A rotated or deleted key stops working at once.';

/**
 * REST: a one-row read of `table` (a table the anon role may read, or the
 * API root). The key works when PostgREST answers as a role; a permission
 * error (42501) still proves that, and is RLS's or the grants' business.
 */
export async function checkRest(
  apiUrl: string,
  key: string,
  index: number,
  table: string | null,
): Promise<CheckResult> {
  const base = { id: `key:rest:${index}`, title: `REST with the ${describeKey(key)}` };
  const url = `${apiUrl}/rest/v1/${table ? `${encodeURIComponent(table)}?select=*&limit=1` : ''}`;
  try {
    const answer = await call(url, key);
    if (answer.status < 300 || answer.code === '42501')
      return { ...base, status: 'pass', detail: `${url.replace(apiUrl, '')} answered ${answer.status}` };
    return {
      ...base,
      status: 'fail',
      detail: `${url.replace(apiUrl, '')} answered ${answer.status}${answer.code ? ` ${answer.code}` : ''}: ${answer.message}`,
      fix: answer.status === 401 || answer.status === 403 ? keyFix(apiKeyKind(key)) : undefined,
    };
  } catch (err) {
    return { ...base, status: 'fail', detail: unreachable('REST', url, err), fix: 'Check --url (the project URL).' };
  }
}

/** Auth: GoTrue's public settings, through the gateway that checks the key. */
export async function checkAuth(apiUrl: string, key: string, index: number): Promise<CheckResult> {
  const base = { id: `key:auth:${index}`, title: `Auth with the ${describeKey(key)}` };
  const url = `${apiUrl}/auth/v1/settings`;
  try {
    const answer = await call(url, key);
    if (answer.status === 200) return { ...base, status: 'pass', detail: '/auth/v1/settings answered 200' };
    return {
      ...base,
      status: 'fail',
      detail: `/auth/v1/settings answered ${answer.status}: ${answer.message}`,
      fix: keyFix(apiKeyKind(key)),
    };
  } catch (err) {
    return { ...base, status: 'fail', detail: unreachable('Auth', url, err), fix: 'Check --url (the project URL).' };
  }
}

/**
 * Realtime: supabase-js joins a public channel over a real socket. A project
 * that allows private channels only refuses the join, but only after the key
 * was accepted: that passes too.
 */
export async function checkRealtime(
  apiUrl: string,
  key: string,
  index: number,
  timeoutMs = 10_000,
): Promise<CheckResult> {
  const base = { id: `key:realtime:${index}`, title: `Realtime with the ${describeKey(key)}` };
  const client = createClient(apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never, reconnectAfterMs: () => 60_000 },
  });
  const topic = `doctor-${Math.random().toString(36).slice(2, 10)}`;
  try {
    const outcome = await new Promise<{ ok: boolean; detail: string }>((resolve) => {
      const timer = setTimeout(
        () => resolve({ ok: false, detail: `no answer to a channel join within ${timeoutMs / 1000} s` }),
        timeoutMs,
      );
      client.channel(topic).subscribe((status, error) => {
        if (status === 'SUBSCRIBED') {
          clearTimeout(timer);
          resolve({ ok: true, detail: `joined ${topic}` });
        } else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') {
          clearTimeout(timer);
          const message = error?.message ?? status.toLowerCase();
          resolve(
            /private/i.test(message)
              ? { ok: true, detail: `key accepted; public channels are off (${message})` }
              : { ok: false, detail: `the join failed: ${message}` },
          );
        }
      });
    });
    return outcome.ok
      ? { ...base, status: 'pass', detail: outcome.detail }
      : { ...base, status: 'fail', detail: outcome.detail, fix: `${keyFix(apiKeyKind(key))} Also check --url.` };
  } finally {
    await client.removeAllChannels().catch(() => {});
    await client.realtime.disconnect().catch(() => {});
  }
}
