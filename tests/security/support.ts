// Shared by the security suites: raw access to every entry point of the dev
// stack (REST, auth, realtime socket and REST broadcast) and the Pusher / Ably
// auth route logic, driven by a session the way the Next.js routes see it (a
// cookie holding whatever access token the browser sent).
import { createServerClient } from '@supabase/ssr';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { WebSocket } from 'ws';
import type { Database } from '../../lib/database.types';
import { ablyServerConfig } from '../../lib/realtime/server/ably-config';
import { createAblyTokenRequest } from '../../lib/realtime/server/ably-token';
import { authorizePusherChannel } from '../../lib/realtime/server/pusher-auth';
import { Inbox, stack } from '@switchboard/devstack/testing';

export { Inbox, stack };

export const PUSHER_KEYS = { appId: '901', key: 'security-key', secret: 'security-secret' };
export const ABLY_CONFIG = ablyServerConfig({ ABLY_API_KEY: 'securityApp.securityKey:security-secret-0123456789' });

export const EMAIL = {
  dispatcherNorth: 'dispatcher.north@example.com',
  dispatcherSouth: 'dispatcher.south@example.com',
} as const;

const noSocket = { transport: WebSocket as never };

/** A supabase-js client signed in with a demo user's password (a genuine session). */
export async function signIn(email: string, apiUrl = stack().apiUrl): Promise<SupabaseClient<Database>> {
  const client = createClient<Database>(apiUrl, stack().publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: noSocket,
  });
  const { error } = await client.auth.signInWithPassword({ email, password: 'password123' });
  if (error) throw error;
  return client;
}

/**
 * The server client a route handler builds from the request's cookies, with a
 * session cookie carrying `accessToken` (forged or not) that claims to be
 * valid for another hour, so only the server's verdict on the token counts.
 */
export function cookieSession(accessToken: string): SupabaseClient<Database> {
  const now = Math.floor(Date.now() / 1000);
  const session = {
    access_token: accessToken,
    refresh_token: 'forged-refresh-token',
    token_type: 'bearer',
    expires_in: 3600,
    expires_at: now + 3600,
    user: {
      id: 'a0000000-0000-4000-8000-000000000001',
      aud: 'authenticated',
      role: 'authenticated',
      app_metadata: {},
      user_metadata: {},
      created_at: new Date().toISOString(),
    },
  };
  const host = new URL(stack().apiUrl).hostname.split('.')[0];
  return createServerClient<Database>(stack().apiUrl, stack().publishableKey, {
    cookies: { getAll: () => [{ name: `sb-${host}-auth-token`, value: JSON.stringify(session) }], setAll: () => {} },
    realtime: noSocket,
  });
}

export const pusherAuth = (supabase: SupabaseClient<Database>, channel: string, socketId = '1234.5678') =>
  authorizePusherChannel(supabase, PUSHER_KEYS, { socket_id: socketId, channel_name: channel });

export const ablyToken = (supabase: SupabaseClient<Database>) => createAblyTokenRequest(supabase, ABLY_CONFIG);

export interface HttpAnswer {
  status: number;
  body: unknown;
}

async function answer(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  try {
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    return { status: res.status, body: text };
  }
}

/** Any HTTP call against the gateway; `token` goes in both apikey and Authorization unless apikey is given. */
export async function call(
  path: string,
  init: {
    method?: string;
    token?: string;
    apikey?: string;
    body?: unknown;
    headers?: Record<string, string>;
    apiUrl?: string;
  } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
  const apikey = init.apikey ?? init.token;
  if (apikey) headers.apikey = apikey;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const body =
    init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  return answer(
    await fetch(`${init.apiUrl ?? stack().apiUrl}${path}`, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
    }),
  );
}

export type Frame = [string | null, string | null, string, string, Record<string, unknown>];

export interface RawSocket {
  ws: WebSocket;
  inbox: Inbox<Frame>;
  closed: Promise<number>;
  send(frame: Frame): void;
  /** Joins `realtime:<topic>` and resolves with the phx_reply payload. */
  join(
    topic: string,
    config?: Record<string, unknown>,
    accessToken?: string,
  ): Promise<{ status: string; response: Record<string, unknown> }>;
}

let refs = 0;

/** A Phoenix socket (vsn 2.0.0 JSON frames) on /realtime/v1, or the HTTP refusal of the upgrade. */
export function rawSocket(apikey: string, apiUrl = stack().apiUrl): Promise<RawSocket | HttpAnswer> {
  const ws = new WebSocket(
    `${apiUrl.replace('http', 'ws')}/realtime/v1/websocket?apikey=${encodeURIComponent(apikey)}&vsn=2.0.0`,
  );
  const inbox = new Inbox<Frame>();
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data, isBinary) => {
    if (!isBinary) inbox.push(JSON.parse(data.toString()) as Frame);
  });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || 'null') }));
    });
    ws.once('error', (err) => (err.message.startsWith('Unexpected server response') ? undefined : reject(err)));
    ws.once('open', () => {
      const send = (frame: Frame) => ws.send(JSON.stringify(frame));
      resolve({
        ws,
        inbox,
        closed,
        send,
        async join(topic, config = {}, accessToken) {
          const ref = `j${++refs}`;
          send([
            ref,
            ref,
            `realtime:${topic}`,
            'phx_join',
            {
              config: {
                broadcast: { self: false, ack: false },
                presence: { key: '', enabled: false },
                postgres_changes: [],
                private: false,
                ...config,
              },
              ...(accessToken ? { access_token: accessToken } : {}),
            },
          ]);
          const reply = await inbox.next((m) => m[1] === ref && m[3] === 'phx_reply');
          return reply[4] as { status: string; response: Record<string, unknown> };
        },
      });
    });
  });
}

export function isSocket(x: RawSocket | HttpAnswer): x is RawSocket {
  return 'ws' in x;
}

export async function openSocket(apikey = stack().publishableKey, apiUrl = stack().apiUrl): Promise<RawSocket> {
  const result = await rawSocket(apikey, apiUrl);
  if (!isSocket(result)) throw new Error(`socket refused: ${result.status} ${JSON.stringify(result.body)}`);
  return result;
}
