import { AuthWeakPasswordError, createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import {
  anonClient,
  authFetch,
  jwtPayload,
  signUpNew,
  startAuthGateway,
  uniqueEmail,
  type AuthTestStack,
} from './auth-helpers';

let stack: AuthTestStack;
let client: SupabaseClient;

beforeAll(async () => {
  stack = await startAuthGateway();
  client = anonClient(stack);
});
afterAll(async () => {
  await stack?.close();
});

describe('auth service basics', () => {
  it('is wired into the shared test gateway under /auth/v1', async () => {
    const { apiUrl, anonKey } = inject('stack');
    const shared = createClient(apiUrl, anonKey, {
      realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const { data, error } = await shared.auth.signUp({ email: uniqueEmail('shared'), password: 'secret-pass' });
    expect(error).toBeNull();
    expect(jwtPayload(data.session!.access_token).iss).toBe(`${apiUrl}/auth/v1`);
  });

  it('reports health and settings like GoTrue', async () => {
    const health = await authFetch(stack, '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ name: 'GoTrue', version: expect.any(String), description: expect.any(String) });
    const settings = await authFetch(stack, '/settings');
    expect(settings.status).toBe(200);
    expect(settings.body).toMatchObject({
      disable_signup: false,
      mailer_autoconfirm: true,
      external: { email: true, phone: false },
    });
  });
});

describe('sign-up', () => {
  it('creates a confirmed user with an email identity and returns a session', async () => {
    const email = uniqueEmail('signup');
    const { data, error } = await client.auth.signUp({
      email,
      password: 'secret-pass',
      options: { data: { full_name: 'Ada' } },
    });
    expect(error).toBeNull();
    expect(data.session).toMatchObject({
      token_type: 'bearer',
      expires_in: 3600,
      refresh_token: expect.stringMatching(/^[a-z0-9]{12}$/),
    });
    expect(data.user).toMatchObject({ email, aud: 'authenticated', role: 'authenticated', is_anonymous: false });
    expect(data.user?.user_metadata).toMatchObject({ full_name: 'Ada', email_verified: true });
    expect(data.user?.app_metadata).toEqual({ provider: 'email', providers: ['email'] });
    expect(data.user?.identities).toHaveLength(1);
    expect(data.user?.identities?.[0]).toMatchObject({
      provider: 'email',
      id: data.user?.id,
      identity_data: { email, sub: data.user?.id },
    });

    const [row] = await stack.sql<
      {
        instance_id: string;
        encrypted_password: string;
        email_confirmed_at: Date | null;
        confirmation_token: string;
        last_sign_in_at: Date | null;
      }[]
    >`
      select instance_id, encrypted_password, email_confirmed_at, confirmation_token, last_sign_in_at from auth.users where id = ${data.user!.id}`;
    expect(row.instance_id).toBe('00000000-0000-0000-0000-000000000000');
    expect(row.encrypted_password).toMatch(/^\$2[ab]\$10\$/);
    expect(row.email_confirmed_at).toBeInstanceOf(Date);
    expect(row.confirmation_token).toBe('');
    expect(row.last_sign_in_at).toBeInstanceOf(Date);
    const [types] = await stack.sql<{ app: string; meta: string; identity: string }[]>`
      select jsonb_typeof(u.raw_app_meta_data) as app, jsonb_typeof(u.raw_user_meta_data) as meta,
             jsonb_typeof(i.identity_data) as identity
      from auth.users u join auth.identities i on i.user_id = u.id where u.id = ${data.user!.id}`;
    expect(types).toEqual({ app: 'object', meta: 'object', identity: 'object' });
    const sessions = await stack.sql`select id from auth.sessions where user_id = ${data.user!.id}`;
    expect(sessions).toHaveLength(1);
    expect(jwtPayload(data.session!.access_token).session_id).toBe(sessions[0].id);
  });

  it('refuses a second sign-up with the same email, whatever its case', async () => {
    const email = uniqueEmail('dupe');
    await client.auth.signUp({ email, password: 'secret-pass' });
    const { data, error } = await client.auth.signUp({ email: email.toUpperCase(), password: 'other-pass' });
    expect(data.session).toBeNull();
    expect(error).toMatchObject({ status: 422, code: 'user_already_exists', message: 'User already registered' });
  });

  it('refuses passwords shorter than 6 characters with weak_password', async () => {
    const { error } = await client.auth.signUp({ email: uniqueEmail('weak'), password: '12345' });
    expect(error).toBeInstanceOf(AuthWeakPasswordError);
    expect(error).toMatchObject({ status: 422, code: 'weak_password', reasons: ['length'] });
  });

  it('refuses an invalid email address', async () => {
    const { error } = await client.auth.signUp({ email: 'not-an-email', password: 'secret-pass' });
    expect(error).toMatchObject({ status: 400, code: 'validation_failed' });
  });
});

describe('password sign-in', () => {
  it('accepts the seed users, whose hashes pgcrypto made, and issues GoTrue claims', async () => {
    const before = new Date(Date.now() - 1000);
    const { data, error } = await client.auth.signInWithPassword({
      email: 'driver.south1@example.com',
      password: 'password123',
    });
    expect(error).toBeNull();
    const claims = jwtPayload(data.session!.access_token);
    expect(claims).toMatchObject({
      iss: `${stack.url}/auth/v1`,
      sub: 'a0000000-0000-4000-8000-000000000021',
      aud: 'authenticated',
      role: 'authenticated',
      email: 'driver.south1@example.com',
      phone: '',
      aal: 'aal1',
      is_anonymous: false,
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: { full_name: 'Sol Mendes' },
      amr: [{ method: 'password', timestamp: expect.any(Number) }],
      session_id: expect.any(String),
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    expect(data.session!.expires_at).toBe(claims.exp);
    expect(new Date(data.user!.last_sign_in_at!).getTime()).toBeGreaterThan(before.getTime());
    await client.auth.signOut({ scope: 'local' });
  });

  it('answers wrong passwords and unknown emails alike with invalid_credentials', async () => {
    for (const credentials of [
      { email: 'driver.south1@example.com', password: 'wrong-password' },
      { email: uniqueEmail('nobody'), password: 'password123' },
    ]) {
      const { data, error } = await client.auth.signInWithPassword(credentials);
      expect(data.session).toBeNull();
      expect(error).toMatchObject({ status: 400, code: 'invalid_credentials', message: 'Invalid login credentials' });
    }
  });
});

describe('the signed-in user', () => {
  it('reads and updates user_metadata, merging keys and dropping nulls', async () => {
    const user = anonClient(stack);
    const session = await signUpNew(user, 'meta');
    await user.auth.setSession(session);
    const first = await user.auth.updateUser({ data: { theme: 'dark', lang: 'en' } });
    expect(first.error).toBeNull();
    const second = await user.auth.updateUser({ data: { lang: null, tz: 'UTC' } });
    expect(second.data.user?.user_metadata).toMatchObject({ theme: 'dark', tz: 'UTC' });
    expect(second.data.user?.user_metadata).not.toHaveProperty('lang');
    const { data } = await user.auth.getUser();
    expect(data.user?.user_metadata).toMatchObject({ theme: 'dark', tz: 'UTC' });
  });

  it('changes the password, keeping this session and signing out the others', async () => {
    const email = uniqueEmail('pw');
    const first = anonClient(stack);
    await first.auth.signUp({ email, password: 'old-password' });
    const second = anonClient(stack);
    const other = await second.auth.signInWithPassword({ email, password: 'old-password' });
    expect(other.error).toBeNull();

    const same = await first.auth.updateUser({ password: 'old-password' });
    expect(same.error).toMatchObject({ status: 422, code: 'same_password' });
    const weak = await first.auth.updateUser({ password: 'abc' });
    expect(weak.error).toMatchObject({ status: 422, code: 'weak_password' });
    const changed = await first.auth.updateUser({ password: 'new-password' });
    expect(changed.error).toBeNull();

    expect((await first.auth.getUser()).error).toBeNull();
    const orphan = await authFetch(stack, '/user', { token: other.data.session!.access_token });
    expect(orphan).toMatchObject({ status: 403, body: { error_code: 'session_not_found' } });
    const old = await client.auth.signInWithPassword({ email, password: 'old-password' });
    expect(old.error).toMatchObject({ code: 'invalid_credentials' });
    const fresh = await client.auth.signInWithPassword({ email, password: 'new-password' });
    expect(fresh.error).toBeNull();
  });

  it('changes the email at once (no mail in the dev stack) and refuses a taken one', async () => {
    const user = anonClient(stack);
    await signUpNew(user, 'mail');
    const taken = uniqueEmail('taken');
    await anonClient(stack).auth.signUp({ email: taken, password: 'secret-pass' });
    const refused = await user.auth.updateUser({ email: taken });
    expect(refused.error).toMatchObject({ status: 422, code: 'email_exists' });
    const wanted = uniqueEmail('moved');
    const moved = await user.auth.updateUser({ email: wanted });
    expect(moved.error).toBeNull();
    expect(moved.data.user?.email).toBe(wanted);
    expect(moved.data.user?.identities?.[0].identity_data).toMatchObject({ email: wanted });
    const signIn = await client.auth.signInWithPassword({ email: wanted, password: 'correct-horse-1' });
    expect(signIn.error).toBeNull();
  });

  it('refuses app_metadata changes from the user', async () => {
    const session = await signUpNew(anonClient(stack), 'appmeta');
    const res = await authFetch(stack, '/user', {
      method: 'PUT',
      token: session.access_token,
      body: { app_metadata: { role: 'boss' } },
    });
    expect(res).toMatchObject({ status: 403, body: { error_code: 'not_admin' } });
  });
});

describe('logout scopes', () => {
  async function threeSessions(): Promise<{ email: string; clients: SupabaseClient[] }> {
    const email = uniqueEmail('logout');
    const clients = [anonClient(stack), anonClient(stack), anonClient(stack)];
    await clients[0].auth.signUp({ email, password: 'secret-pass' });
    for (const c of clients.slice(1))
      expect((await c.auth.signInWithPassword({ email, password: 'secret-pass' })).error).toBeNull();
    return { email, clients };
  }
  const refreshWorks = async (c: SupabaseClient) => !(await c.auth.refreshSession()).error;

  it('local ends only this session', async () => {
    const { clients } = await threeSessions();
    const token = (await clients[0].auth.getSession()).data.session!.access_token;
    expect((await clients[0].auth.signOut({ scope: 'local' })).error).toBeNull();
    expect(await authFetch(stack, '/user', { token })).toMatchObject({
      status: 403,
      body: { error_code: 'session_not_found' },
    });
    expect(await refreshWorks(clients[1])).toBe(true);
    expect(await refreshWorks(clients[2])).toBe(true);
  });

  it('others ends every session but this one', async () => {
    const { clients } = await threeSessions();
    const stale = (await clients[1].auth.getSession()).data.session!.refresh_token;
    expect((await clients[0].auth.signOut({ scope: 'others' })).error).toBeNull();
    expect(await refreshWorks(clients[0])).toBe(true);
    const res = await authFetch(stack, '/token?grant_type=refresh_token', { body: { refresh_token: stale } });
    expect(res).toMatchObject({ status: 400, body: { error_code: 'refresh_token_not_found' } });
  });

  it('global (the default) ends every session of the user', async () => {
    const { email, clients } = await threeSessions();
    const userId = (await clients[0].auth.getUser()).data.user!.id;
    expect((await clients[0].auth.signOut()).error).toBeNull();
    expect(await stack.sql`select 1 from auth.sessions where user_id = ${userId}`).toHaveLength(0);
    expect(await stack.sql`select 1 from auth.refresh_tokens where user_id = ${userId}`).toHaveLength(0);
    expect(await refreshWorks(clients[1])).toBe(false);
    expect((await client.auth.signInWithPassword({ email, password: 'secret-pass' })).error).toBeNull();
  });

  it('rejects an unknown scope with validation_failed', async () => {
    const session = await signUpNew(anonClient(stack), 'scope');
    const res = await authFetch(stack, '/logout?scope=everyone', { method: 'POST', token: session.access_token });
    expect(res).toMatchObject({ status: 400, body: { error_code: 'validation_failed' } });
  });
});
