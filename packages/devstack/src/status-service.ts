import { WebSocket } from 'ws';
import type { GatewayContext, Service } from './gateway/server';
import { sendJson } from './gateway/http';
import { readStackStatus, type StackStatus } from './status';

/** What GET /devstack/v1/status answers: the database's state and a live check of each service. */
export interface StackHealthReport {
  database: StackStatus;
  services: Record<'auth' | 'rest' | 'realtime', { ok: boolean; detail: string }>;
}

const PROBE_TIMEOUT_MS = 3000;

/**
 * Joins a public channel over the stack's own Realtime WebSocket (Phoenix
 * protocol, serializer 1.0.0) and resolves once the join is acknowledged: a
 * real end-to-end check of the realtime service, not a flag.
 */
function probeRealtime(apiUrl: string, anonKey: string): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const ws = new WebSocket(`${apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${anonKey}&vsn=1.0.0`);
    const done = (ok: boolean, detail: string) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve({ ok, detail });
    };
    const timer = setTimeout(() => done(false, `no join reply within ${PROBE_TIMEOUT_MS} ms`), PROBE_TIMEOUT_MS);
    ws.on('open', () =>
      ws.send(
        JSON.stringify({ topic: 'realtime:devstack-status', event: 'phx_join', payload: { config: {} }, ref: '1' }),
      ),
    );
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { event?: string; ref?: string; payload?: { status?: string } };
      if (message.event !== 'phx_reply' || message.ref !== '1') return;
      if (message.payload?.status === 'ok')
        done(true, `channel joined in ${Math.round(performance.now() - started)} ms`);
      else done(false, `join refused: ${JSON.stringify(message.payload)}`);
    });
    ws.on('error', (err) => done(false, err.message));
  });
}

/** One GET against a sibling service on the gateway; any 2xx counts as up. */
async function probeHttp(url: string, anonKey: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await fetch(url, { headers: { apikey: anonKey }, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return { ok: res.ok, detail: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * GET /devstack/v1/status: the dev stack's own health report (no counterpart on
 * Supabase), read by the app's /status page over HTTP so the app never imports
 * the dev stack. Database state from SQL; auth, REST and Realtime each checked
 * through their public endpoints.
 */
export function statusService(ctx: GatewayContext): Service {
  return {
    prefix: '/devstack/v1',
    async handle(req, res, path) {
      if (path !== '/status' || req.method !== 'GET') return sendJson(res, 404, { message: 'Not found' });
      const [database, auth, rest, realtime] = await Promise.all([
        readStackStatus(ctx.sql),
        probeHttp(`${ctx.apiUrl}/auth/v1/health`, ctx.keys.anonKey),
        probeHttp(`${ctx.apiUrl}/rest/v1/`, ctx.keys.anonKey),
        probeRealtime(ctx.apiUrl, ctx.keys.anonKey),
      ]);
      const report: StackHealthReport = { database, services: { auth, rest, realtime } };
      sendJson(res, 200, report);
    },
  };
}
