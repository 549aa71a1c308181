// Editing supabase/config.toml changes what the dev stack does, as it changes
// what `supabase start` does: a throw-away project is served once with one
// config.toml, then again after the file was edited, and supabase-js sees the
// difference in sign-ups, anonymous sign-ins, passwords, token lifetime, refresh
// token rotation, REST's max_rows and Realtime's header limit.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi, type RunningApi } from '../../src/api';
import { readKeys, type StackKeys } from '../../src/keys';
import { freePort } from '../../src/postgres';
import { startStack, type RunningStack } from '../../src/stack';
import {
  throwawayDatabase,
  throwawayProject,
  type ThrowawayDatabase,
  type ThrowawayProject,
} from '../support/throwaway';

const MIGRATION = `
create table public.items (id int primary key);
insert into public.items values (1), (2), (3);
alter table public.items enable row level security;
create policy "Anyone can read items" on public.items for select using (true);
`;

const FIRST = `
project_id = "config-test"
[api]
max_rows = 2
[realtime]
max_header_length = 256
[auth]
jwt_expiry = 120
enable_signup = true
enable_anonymous_sign_ins = true
minimum_password_length = 10
password_requirements = "lower_upper_letters_digits"
enable_refresh_token_rotation = true
refresh_token_reuse_interval = 0
`;

const EDITED = `
project_id = "config-test"
[api]
max_rows = 3
[auth]
jwt_expiry = 600
enable_signup = false
enable_anonymous_sign_ins = false
enable_refresh_token_rotation = false
refresh_token_reuse_interval = 0
`;

let project: ThrowawayProject;
let database: ThrowawayDatabase;
let stack: RunningStack;
let keys: StackKeys;

beforeAll(async () => {
  project = throwawayProject({
    'supabase/config.toml': FIRST,
    'supabase/migrations/20260101000000_items.sql': MIGRATION,
  });
  database = await throwawayDatabase('config_toml');
  stack = await startStack({ databaseUrl: database.url, dbPort: await freePort(), projectDir: project.root });
  keys = await readKeys({});
});
afterAll(async () => {
  await stack?.stop();
  await database?.drop();
  project?.remove();
});

/** The API as `npm run stack` starts it for this project: config.toml read from DEVSTACK_WORKDIR, no DEVSTACK_* overrides. */
async function serve(): Promise<RunningApi> {
  const env: NodeJS.ProcessEnv = { ...process.env, DEVSTACK_WORKDIR: project.root };
  for (const name of Object.keys(env))
    if (name.startsWith('DEVSTACK_') && name !== 'DEVSTACK_WORKDIR') delete env[name];
  return startApi({ dbUrl: stack.dbUrl, port: await freePort(), keys, env });
}

function client(api: RunningApi): SupabaseClient {
  return createClient(api.url, keys.anonKey, {
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
}

/** Status of a WebSocket upgrade to Realtime carrying one header of `length` characters. */
function upgradeStatus(api: RunningApi, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      `${api.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${keys.anonKey}&vsn=1.0.0`,
      {
        headers: { 'x-client-note': 'n'.repeat(length) },
      },
    );
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', reject);
  });
}

/** Refreshes with `token`; the new refresh token, or the error code. */
async function refresh(api: RunningApi, token: string): Promise<{ token?: string; code?: string }> {
  const { data, error } = await client(api).auth.refreshSession({ refresh_token: token });
  return error ? { code: error.code } : { token: data.session!.refresh_token };
}

describe('config.toml drives the dev stack', () => {
  const email = `config.${Date.now()}@config-test.example.com`;
  const password = 'Correct-Horse-7';

  it('serves the first config.toml: anonymous sign-ins, its password rules, token lifetime, max_rows, header limit', async () => {
    const api = await serve();
    try {
      const anonymous = await client(api).auth.signInAnonymously();
      expect(anonymous.error).toBeNull();
      expect(anonymous.data.user?.is_anonymous).toBe(true);
      expect(anonymous.data.session?.expires_in).toBe(120);

      const short = await client(api).auth.signUp({ email: `short.${email}`, password: 'Short-1' });
      expect(short.error).toMatchObject({ code: 'weak_password', reasons: ['length'] });
      const plain = await client(api).auth.signUp({ email: `plain.${email}`, password: 'alllowercase123' });
      expect(plain.error).toMatchObject({ code: 'weak_password', reasons: ['characters'] });
      const signedUp = await client(api).auth.signUp({ email, password });
      expect(signedUp.error).toBeNull();
      expect(signedUp.data.session?.expires_in).toBe(120);

      const { data: items } = await client(api).from('items').select('id').order('id');
      expect(items).toEqual([{ id: 1 }, { id: 2 }]);

      expect(await upgradeStatus(api, 200)).toBe(101);
      expect(await upgradeStatus(api, 300)).toBe(431);

      // Rotation on, reuse interval 0: reusing an older rotated token ends the session.
      // (Its direct parent would give the active token back: a client that lost a response.)
      const first = signedUp.data.session!.refresh_token;
      const second = await refresh(api, first);
      const third = await refresh(api, second.token!);
      expect(third.token).toBeDefined();
      expect(await refresh(api, first)).toEqual({ code: 'refresh_token_already_used' });
      expect((await refresh(api, third.token!)).code).toMatch(/^(refresh_token_not_found|session_not_found)$/);
    } finally {
      await api.close();
    }
  });

  it('serves the edited config.toml after a restart: sign-ups off, anonymous off, new lifetime and max_rows, rotation off', async () => {
    project.write('supabase/config.toml', EDITED);
    const api = await serve();
    try {
      const anonymous = await client(api).auth.signInAnonymously();
      expect(anonymous.error).toMatchObject({ code: 'anonymous_provider_disabled', status: 422 });
      const signUp = await client(api).auth.signUp({ email: `late.${email}`, password });
      expect(signUp.error).toMatchObject({
        code: 'signup_disabled',
        status: 422,
        message: 'Signups not allowed for this instance',
      });

      const signedIn = await client(api).auth.signInWithPassword({ email, password });
      expect(signedIn.error).toBeNull();
      expect(signedIn.data.session?.expires_in).toBe(600);

      const { data: items } = await client(api).from('items').select('id').order('id');
      expect(items).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);

      // Back to the CLI's 4096-byte header limit.
      expect(await upgradeStatus(api, 300)).toBe(101);

      // Rotation off: reuse still fails, but the session and its newest token live on.
      const first = signedIn.data.session!.refresh_token;
      const second = await refresh(api, first);
      const third = await refresh(api, second.token!);
      expect(await refresh(api, first)).toEqual({ code: 'refresh_token_already_used' });
      expect((await refresh(api, third.token!)).token).toBeDefined();

      const settings = await (await fetch(`${api.url}/auth/v1/settings`, { headers: { apikey: keys.anonKey } })).json();
      expect(settings).toMatchObject({ disable_signup: true, external: { anonymous_users: false, email: true } });
    } finally {
      await api.close();
    }
  });
});
