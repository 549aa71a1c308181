// The publishable and secret API keys of Supabase CLI 2.117, next to the legacy
// anon / service_role JWTs, at every entry point of the test stack's gateway:
// REST, Auth (admin included), the Realtime socket and channels, and the
// Realtime REST broadcast API. Plus hosted Supabase's two refusals: an unknown
// sb_ key, and a secret key sent by a browser.
import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeClients, Inbox, realtimeClient, stack, subscribeFailure, subscribed } from '../../src/testing/realtime';
import { DEPOT } from '../support/fixture';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const whoami = `api_keys_whoami_${Date.now()}`;
let sql: postgres.Sql;

beforeAll(async () => {
  sql = postgres(stack().dbUrl, { max: 2, onnotice: () => {} });
  await sql.unsafe(
    `create function public.${whoami}() returns text language sql stable as $$ select current_user::text $$`,
  );
  await sql.unsafe(`grant execute on function public.${whoami}() to anon, authenticated, service_role`);
});
afterAll(async () => {
  await closeClients();
  await sql.unsafe(`drop function if exists public.${whoami}()`);
  await sql.end();
});

/** The four keys a developer may hold, and the Postgres role each stands for. */
const KEYS = () =>
  [
    ['publishable key', stack().publishableKey, 'anon'],
    ['secret key', stack().secretKey, 'service_role'],
    ['legacy anon key', stack().anonKey, 'anon'],
    ['legacy service_role key', stack().serviceRoleKey, 'service_role'],
  ] as const;

const client = (key: string, headers: Record<string, string> = {}): SupabaseClient =>
  createClient(stack().apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
    global: { headers },
  });

async function http(path: string, headers: Record<string, string>, init: RequestInit = {}) {
  const res = await fetch(`${stack().apiUrl}${path}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}

/** The HTTP answer to a Realtime socket upgrade, or 'open'. */
function connect(
  apikey: string,
  headers: Record<string, string> = {},
): Promise<string | { status: number; body: unknown }> {
  return new Promise((resolve) => {
    const url = `${stack().apiUrl.replace('http', 'ws')}/realtime/v1/websocket?apikey=${encodeURIComponent(apikey)}&vsn=2.0.0`;
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as unknown }));
    });
  });
}

const broadcast = (headers: Record<string, string>, topic: string, isPrivate: boolean) =>
  http(
    '/realtime/v1/api/broadcast',
    { 'content-type': 'application/json', ...headers },
    {
      method: 'POST',
      body: JSON.stringify({ messages: [{ topic, event: 'probe', payload: { at: Date.now() }, private: isPrivate }] }),
    },
  );

describe('each key at each entry point', () => {
  it.each(KEYS())(
    'REST runs the %s as its role, through supabase-js and a bare apikey header',
    async (_n, key, role) => {
      const { data, error } = await client(key).rpc(whoami);
      expect(error).toBeNull();
      expect(data).toBe(role);
      expect(await http(`/rest/v1/rpc/${whoami}`, { apikey: key })).toEqual({ status: 200, body: role });
    },
  );

  it.each(KEYS())('Auth: the %s signs in; only the elevated keys reach the admin API', async (_n, key, role) => {
    const c = client(key);
    const { data, error } = await c.auth.signInWithPassword({
      email: 'dispatcher.north@example.com',
      password: 'password123',
    });
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeTruthy();
    const admin = await client(key).auth.admin.listUsers({ perPage: 1 });
    if (role === 'service_role') {
      expect(admin.error).toBeNull();
      expect(admin.data.users).toHaveLength(1);
    } else {
      expect(admin.error).toMatchObject({ status: 403, code: 'not_admin' });
    }
  });

  it.each(KEYS())('Realtime: the %s connects; private channels follow its role', async (_n, key, role) => {
    const c = await realtimeClient({ apiKey: key });
    await subscribed(c.channel(`keys-public-${randomUUID()}`));
    const depot = c.channel(`shipments:${DEPOT.north}`, { config: { private: true } });
    if (role === 'service_role') await subscribed(depot);
    else
      expect((await subscribeFailure(depot)).error?.message).toBe(
        `Unauthorized: You do not have permissions to read from this Channel topic: shipments:${DEPOT.north}`,
      );
  });

  it('REST broadcast: every key sends to public topics; only elevated keys reach private ones', async () => {
    const topic = `keys-private-${randomUUID()}`;
    const listener = await realtimeClient({ apiKey: stack().secretKey });
    const inbox = new Inbox<{ payload: { from: string } }>();
    await subscribed(
      listener
        .channel(topic, { config: { private: true } })
        .on('broadcast', { event: 'probe' }, (m) => inbox.push(m as never)),
    );
    for (const [name, key, role] of KEYS()) {
      expect((await broadcast({ apikey: key }, `keys-open-${randomUUID()}`, false)).status).toBe(202);
      const res = await http(
        '/realtime/v1/api/broadcast',
        { apikey: key, 'content-type': 'application/json' },
        {
          method: 'POST',
          body: JSON.stringify({ messages: [{ topic, event: 'probe', payload: { from: name }, private: true }] }),
        },
      );
      expect(res.status).toBe(202);
      if (role === 'service_role') await inbox.next((m) => m.payload.from === name);
    }
    // Sent in order on one hub: had the anon-role messages been delivered, they would be in by now.
    expect(inbox.items.map((m) => m.payload.from)).toEqual(['secret key', 'legacy service_role key']);
  });
});

describe("hosted Supabase's refusals", () => {
  const refused = { message: 'Forbidden use of secret API key in browser' };

  it('refuses the secret key from a browser (User-Agent) at every entry point, with 401', async () => {
    const { secretKey } = stack();
    const fromBrowser = { apikey: secretKey, 'user-agent': CHROME };
    expect(await http(`/rest/v1/rpc/${whoami}`, fromBrowser)).toEqual({ status: 401, body: refused });
    expect(await http('/auth/v1/admin/users', fromBrowser)).toEqual({ status: 401, body: refused });
    expect(await broadcast(fromBrowser, 'anything', false)).toEqual({ status: 401, body: refused });
    expect(await connect(secretKey, { 'user-agent': CHROME })).toEqual({ status: 401, body: refused });
    // supabase-js in a browser sends the key as apikey and bearer: same answer.
    const { error } = await client(secretKey, { 'User-Agent': CHROME }).rpc(whoami);
    expect(error).toMatchObject({ message: refused.message });
  });

  it('lets the same browser use the publishable key, and servers use the secret key', async () => {
    expect(await http(`/rest/v1/rpc/${whoami}`, { apikey: stack().publishableKey, 'user-agent': CHROME })).toEqual({
      status: 200,
      body: 'anon',
    });
    expect(await connect(stack().publishableKey, { 'user-agent': CHROME })).toBe('open');
    for (const ua of ['node', 'curl/8.5.0', 'Deno/2.1.4', 'supabase-py/2.10.0']) {
      expect(await http(`/rest/v1/rpc/${whoami}`, { apikey: stack().secretKey, 'user-agent': ua })).toEqual({
        status: 200,
        body: 'service_role',
      });
    }
  });

  it('answers an sb_ key the project does not have with 401 Invalid API key, everywhere', async () => {
    const unknown = 'sb_publishable_qeYe4rySmAAAAAAAAAAAAA_zzzzzzzz';
    const invalid = {
      message: 'Invalid API key',
      hint: 'Double check your Supabase `anon` or `service_role` API key.',
    };
    expect(await http(`/rest/v1/rpc/${whoami}`, { apikey: unknown })).toEqual({ status: 401, body: invalid });
    expect(await http('/auth/v1/user', { apikey: unknown })).toEqual({ status: 401, body: invalid });
    expect(await http('/auth/v1/admin/users', { apikey: 'sb_secret_notTheProjectsKey_000000' })).toEqual({
      status: 401,
      body: invalid,
    });
    expect(await broadcast({ apikey: unknown }, 'anything', false)).toEqual({ status: 401, body: invalid });
    expect(await connect(unknown)).toEqual({ status: 401, body: invalid });
  });

  it('never takes a key from the Authorization header: a secret key there elevates nothing', async () => {
    const { secretKey, publishableKey } = stack();
    expect(
      await http(`/rest/v1/rpc/${whoami}`, { apikey: publishableKey, authorization: `Bearer ${secretKey}` }),
    ).toEqual({ status: 200, body: 'anon' });
    // Only in Authorization, no apikey: no key at all (Supabase's "No API key found in request").
    expect(await http(`/rest/v1/rpc/${whoami}`, { authorization: `Bearer ${secretKey}` })).toMatchObject({
      status: 401,
      body: { message: 'No API key found in request' },
    });
    expect(await http('/auth/v1/admin/users', { authorization: `Bearer ${secretKey}` })).toMatchObject({
      status: 401,
      body: { error_code: 'no_authorization' },
    });
  });
});
