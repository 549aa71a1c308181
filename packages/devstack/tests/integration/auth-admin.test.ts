import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminClient,
  anonClient,
  authFetch,
  signUpNew,
  startAuthGateway,
  uniqueEmail,
  type AuthTestStack,
} from './auth-helpers';

let stack: AuthTestStack;
let admin: SupabaseClient['auth']['admin'];

beforeAll(async () => {
  stack = await startAuthGateway();
  admin = adminClient(stack).auth.admin;
});
afterAll(async () => {
  await stack?.close();
});

describe('admin users API', () => {
  it('creates a confirmed user with metadata and a password that signs in', async () => {
    const email = uniqueEmail('admin-create');
    const { data, error } = await admin.createUser({
      email,
      password: 'admin-made-1',
      email_confirm: true,
      user_metadata: { full_name: 'Made By Admin' },
      app_metadata: { tier: 'gold' },
    });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({
      email,
      role: 'authenticated',
      aud: 'authenticated',
      app_metadata: { provider: 'email', providers: ['email'], tier: 'gold' },
      user_metadata: { full_name: 'Made By Admin', email_verified: true },
      email_confirmed_at: expect.any(String),
    });
    expect(data.user?.identities?.[0]).toMatchObject({ provider: 'email', identity_data: { email } });
    const signIn = await anonClient(stack).auth.signInWithPassword({ email, password: 'admin-made-1' });
    expect(signIn.error).toBeNull();
    expect(signIn.data.user?.app_metadata).toMatchObject({ tier: 'gold' });
  });

  it('creates an unconfirmed user who cannot sign in until confirmed', async () => {
    const email = uniqueEmail('admin-unconfirmed');
    const { data } = await admin.createUser({ email, password: 'admin-made-1' });
    expect(data.user?.email_confirmed_at).toBeUndefined();
    const client = anonClient(stack);
    const refused = await client.auth.signInWithPassword({ email, password: 'admin-made-1' });
    expect(refused.error).toMatchObject({ status: 400, code: 'email_not_confirmed' });
    await admin.updateUserById(data.user!.id, { email_confirm: true });
    expect((await client.auth.signInWithPassword({ email, password: 'admin-made-1' })).error).toBeNull();
  });

  it('honours a given id and refuses duplicates', async () => {
    const id = randomUUID();
    const email = uniqueEmail('admin-id');
    expect((await admin.createUser({ id, email, email_confirm: true })).data.user?.id).toBe(id);
    const again = await admin.createUser({ email: email.toUpperCase() });
    expect(again.error).toMatchObject({ status: 422, code: 'email_exists' });
    const bad = await admin.createUser({ id: 'not-a-uuid', email: uniqueEmail('admin-bad-id') });
    expect(bad.error).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('lists users newest first with GoTrue pagination headers', async () => {
    for (let i = 0; i < 3; i++) await admin.createUser({ email: uniqueEmail('admin-list'), email_confirm: true });
    // Other files add users concurrently, and auth-js reads only the first digit
    // of a page number from the link header: size pages so there are 3 to 9.
    const probe = await authFetch(stack, '/admin/users?per_page=1', { token: stack.serviceRoleKey });
    const perPage = Math.max(1, Math.floor(Number(probe.headers.get('x-total-count')) / 3));

    const raw = await authFetch(stack, `/admin/users?per_page=${perPage}&page=2`, { token: stack.serviceRoleKey });
    expect(raw.status).toBe(200);
    expect(raw.body?.users).toHaveLength(perPage);
    const total = Number(raw.headers.get('x-total-count'));
    const lastPage = Math.ceil(total / perPage);
    expect(raw.headers.get('link')).toBe(
      `</admin/users?page=3&per_page=${perPage}>; rel="next", </admin/users?page=${lastPage}&per_page=${perPage}>; rel="last"`,
    );
    expect(raw.headers.get('access-control-expose-headers')).toContain('x-total-count');

    const { data, error } = await admin.listUsers({ page: 1, perPage });
    expect(error).toBeNull();
    if (error) return;
    expect(data.users).toHaveLength(perPage);
    expect(data.aud).toBe('authenticated');
    expect(data.total).toBeGreaterThanOrEqual(3);
    expect(data.nextPage).toBe(2);
    expect(data.lastPage).toBe(Math.ceil(data.total / perPage));
    const created = data.users.map((u) => new Date(u.created_at).getTime());
    expect(created).toEqual([...created].sort((a, b) => b - a));

    const beyond = await admin.listUsers({ page: lastPage + 5, perPage });
    expect(beyond.data.users).toEqual([]);
    const bad = await authFetch(stack, '/admin/users?page=abc', { token: stack.serviceRoleKey });
    expect(bad).toMatchObject({ status: 400, body: { error_code: 'validation_failed' } });
  });

  it('reads, updates and deletes a user by id', async () => {
    const email = uniqueEmail('admin-crud');
    const created = (
      await admin.createUser({ email, password: 'first-pass', email_confirm: true, user_metadata: { a: 1, b: 2 } })
    ).data.user!;
    const client = anonClient(stack);
    await client.auth.signInWithPassword({ email, password: 'first-pass' });

    expect((await admin.getUserById(created.id)).data.user).toMatchObject({ id: created.id, email });

    const newEmail = uniqueEmail('admin-crud-moved');
    const updated = await admin.updateUserById(created.id, {
      email: newEmail,
      password: 'second-pass',
      user_metadata: { b: null, c: 3 },
      app_metadata: { plan: 'pro' },
    });
    expect(updated.error).toBeNull();
    expect(updated.data.user).toMatchObject({
      email: newEmail,
      user_metadata: { a: 1, c: 3 },
      app_metadata: { plan: 'pro', provider: 'email' },
    });
    expect(updated.data.user?.user_metadata).not.toHaveProperty('b');
    // A password set by an admin ends the user's sessions.
    expect((await client.auth.refreshSession()).error).toMatchObject({ code: 'refresh_token_not_found' });
    expect(
      (await anonClient(stack).auth.signInWithPassword({ email: newEmail, password: 'second-pass' })).error,
    ).toBeNull();
    const weak = await admin.updateUserById(created.id, { password: '123' });
    expect(weak.error).toMatchObject({ status: 422, code: 'weak_password' });

    expect((await admin.deleteUser(created.id)).error).toBeNull();
    expect((await admin.getUserById(created.id)).error).toMatchObject({ status: 404, code: 'user_not_found' });
    expect(await stack.sql`select 1 from auth.identities where user_id = ${created.id}`).toHaveLength(0);
    const notUuid = await authFetch(stack, '/admin/users/nope', { token: stack.serviceRoleKey });
    expect(notUuid).toMatchObject({ status: 404, body: { error_code: 'validation_failed' } });
  });

  it('bans a user from signing in, and lifts the ban', async () => {
    const email = uniqueEmail('admin-ban');
    const user = (await admin.createUser({ email, password: 'banned-pass', email_confirm: true })).data.user!;
    const banned = await admin.updateUserById(user.id, { ban_duration: '24h' });
    expect(banned.data.user?.banned_until).toEqual(expect.any(String));
    const refused = await anonClient(stack).auth.signInWithPassword({ email, password: 'banned-pass' });
    expect(refused.error).toMatchObject({ status: 400, code: 'user_banned' });
    await admin.updateUserById(user.id, { ban_duration: 'none' });
    expect((await anonClient(stack).auth.signInWithPassword({ email, password: 'banned-pass' })).error).toBeNull();
  });

  it('soft-deletes a user, keeping a tombstone row', async () => {
    const email = uniqueEmail('admin-soft');
    const user = (await admin.createUser({ email, password: 'soft-pass', email_confirm: true })).data.user!;
    expect((await admin.deleteUser(user.id, true)).error).toBeNull();
    const [row] = await stack.sql<{ email: string | null; deleted_at: Date | null }[]>`
      select email, deleted_at from auth.users where id = ${user.id}`;
    expect(row).toMatchObject({ email: null, deleted_at: expect.any(Date) });
    expect((await anonClient(stack).auth.signInWithPassword({ email, password: 'soft-pass' })).error).toMatchObject({
      code: 'invalid_credentials',
    });
  });
});

describe('admin authorization', () => {
  it('refuses the anon key and user tokens with not_admin, and no token with no_authorization', async () => {
    const anon = await authFetch(stack, '/admin/users', { token: stack.anonKey });
    expect(anon).toMatchObject({ status: 403, body: { error_code: 'not_admin', msg: 'User not allowed' } });
    const session = await signUpNew(anonClient(stack), 'not-admin');
    const user = await authFetch(stack, '/admin/users', {
      method: 'POST',
      token: session.access_token,
      body: { email: uniqueEmail('x') },
    });
    expect(user).toMatchObject({ status: 403, body: { error_code: 'not_admin' } });
    const none = await authFetch(stack, '/admin/users');
    expect(none).toMatchObject({ status: 401, body: { error_code: 'no_authorization' } });

    const asUser = createUserClientAdmin(session.access_token);
    const { error } = await asUser.listUsers();
    expect(error).toMatchObject({ status: 403, code: 'not_admin' });
  });
});

function createUserClientAdmin(accessToken: string): SupabaseClient['auth']['admin'] {
  const client = anonClient(stack);
  // The admin API sends the client's headers: make them carry the user's token.
  (client.auth.admin as unknown as { headers: Record<string, string> }).headers.Authorization = `Bearer ${accessToken}`;
  return client.auth.admin;
}
