// Anonymous sign-ins through supabase-js, as GoTrue serves them when
// [auth] enable_anonymous_sign_ins is on: an authenticated role told apart by the
// is_anonymous claim (which RLS can read), amr "anonymous", GoTrue's errors when
// the feature or sign-ups are off, and the way to a permanent user.
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { findProjectRoot } from '../../src/config';
import { startGateway, type RunningGateway } from '../../src/gateway/server';
import { freePort } from '../../src/postgres';
import { createRestService } from '../../src/rest';
import { readSupabaseConfig } from '../../src/supabase-config';
import { adminClient, anonClient, jwtPayload, startAuthGateway, uniqueEmail, type AuthTestStack } from './auth-helpers';

let stack: AuthTestStack;
beforeAll(async () => {
  stack = await startAuthGateway({ DEVSTACK_ENABLE_ANONYMOUS_SIGN_INS: 'true' });
});
afterAll(() => stack.close());

describe('signInAnonymously', () => {
  it('creates an anonymous user: role authenticated, is_anonymous claim, amr "anonymous", no email or identity', async () => {
    const { data, error } = await anonClient(stack).auth.signInAnonymously({
      options: { data: { nickname: 'guest' } },
    });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({
      aud: 'authenticated',
      role: 'authenticated',
      email: '',
      phone: '',
      is_anonymous: true,
      identities: [],
      app_metadata: {},
      user_metadata: { nickname: 'guest' },
    });
    const claims = jwtPayload(data.session!.access_token);
    expect(claims).toMatchObject({
      sub: data.user!.id,
      role: 'authenticated',
      aud: 'authenticated',
      is_anonymous: true,
      email: '',
      aal: 'aal1',
      session_id: expect.any(String),
    });
    expect((claims.amr as { method: string }[]).map((a) => a.method)).toEqual(['anonymous']);

    const [row] = await stack.sql`
      select is_anonymous, email, encrypted_password, raw_app_meta_data,
             (select count(*)::int from auth.identities where user_id = u.id) as identities
      from auth.users u where id = ${data.user!.id}`;
    expect(row).toEqual({
      is_anonymous: true,
      email: null,
      encrypted_password: '',
      raw_app_meta_data: {},
      identities: 0,
    });

    // The session works like any other: the user reads itself, and a refresh keeps the method.
    const signedIn = anonClient(stack);
    await signedIn.auth.setSession(data.session!);
    const me = await signedIn.auth.getUser();
    expect(me.data.user?.is_anonymous).toBe(true);
    const refreshed = await signedIn.auth.refreshSession();
    expect((jwtPayload(refreshed.data.session!.access_token).amr as { method: string }[])[0].method).toBe('anonymous');
  });

  it('lets RLS tell anonymous users apart through auth.jwt() ->> is_anonymous (the REST service)', async () => {
    // A table readable by signed-in, non-anonymous users only, read through a REST
    // service that verifies this auth service's tokens (the same keys).
    const table = `anonymous_probe_${process.pid}`;
    await stack.sql.unsafe(`
      create table public.${table} (id int);
      insert into public.${table} values (1);
      alter table public.${table} enable row level security;
      create policy "Permanent users read" on public.${table} for select to authenticated
        using ((select (auth.jwt() ->> 'is_anonymous')::boolean) is false);`);
    let rest: RunningGateway | undefined;
    try {
      const anonymous = await anonClient(stack).auth.signInAnonymously();
      const email = uniqueEmail('permanent');
      const permanent = await anonClient(stack).auth.signUp({ email, password: 'correct-horse-1' });
      const port = await freePort();
      const apiUrl = `http://127.0.0.1:${port}`;
      const config = readSupabaseConfig(findProjectRoot());
      rest = await startGateway(port, [
        createRestService({ sql: stack.sql, keys: stack.keys, apiUrl, env: process.env, config }),
      ]);
      const client = (token: string) =>
        createClient(apiUrl, stack.anonKey, {
          accessToken: async () => token,
          realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
        });
      // The REST schema cache picks up the new table on its first lookup miss.
      const read = async (token: string) => {
        const { data, error } = await client(token).from(table).select('id');
        if (error) throw new Error(error.message);
        return data;
      };
      expect(await read(permanent.data.session!.access_token)).toEqual([{ id: 1 }]);
      expect(await read(anonymous.data.session!.access_token)).toEqual([]);
    } finally {
      await rest?.close();
      await stack.sql.unsafe(`drop table public.${table}`);
    }
  });

  it("answers GoTrue's anonymous_provider_disabled when [auth] enable_anonymous_sign_ins is off (the default)", async () => {
    const off = await startAuthGateway();
    try {
      const { data, error } = await anonClient(off).auth.signInAnonymously();
      expect(data.session).toBeNull();
      expect(error).toMatchObject({
        status: 422,
        code: 'anonymous_provider_disabled',
        message: 'Anonymous sign-ins are disabled',
      });
    } finally {
      await off.close();
    }
  });

  it('answers signup_disabled when anonymous sign-ins are on but sign-ups are off', async () => {
    const closed = await startAuthGateway({
      DEVSTACK_ENABLE_ANONYMOUS_SIGN_INS: 'true',
      DEVSTACK_ENABLE_SIGNUP: 'false',
    });
    try {
      const { error } = await anonClient(closed).auth.signInAnonymously();
      expect(error).toMatchObject({
        status: 422,
        code: 'signup_disabled',
        message: 'Signups not allowed for this instance',
      });
      // Admins may still create users, as in GoTrue.
      const created = await adminClient(closed).auth.admin.createUser({ email: uniqueEmail('admin-made') });
      expect(created.error).toBeNull();
    } finally {
      await closed.close();
    }
  });
});

describe('an anonymous user becoming permanent', () => {
  it('needs an email before a password; an email makes it permanent with an email identity; then a password signs in', async () => {
    const client = anonClient(stack);
    const { data } = await client.auth.signInAnonymously();
    const anonymousSession = data.session!;

    const passwordFirst = await client.auth.updateUser({ password: 'correct-horse-1' });
    expect(passwordFirst.error).toMatchObject({
      status: 422,
      code: 'validation_failed',
      message: 'Updating password of an anonymous user without an email or phone is not allowed',
    });

    const email = uniqueEmail('converted');
    const withEmail = await client.auth.updateUser({ email });
    expect(withEmail.error).toBeNull();
    expect(withEmail.data.user).toMatchObject({ id: data.user!.id, email, is_anonymous: false });
    expect(withEmail.data.user!.identities).toEqual([
      expect.objectContaining({
        provider: 'email',
        identity_data: expect.objectContaining({ email, email_verified: true }),
      }),
    ]);

    const withPassword = await client.auth.updateUser({ password: 'correct-horse-1' });
    expect(withPassword.error).toBeNull();
    const signedIn = await anonClient(stack).auth.signInWithPassword({ email, password: 'correct-horse-1' });
    expect(signedIn.data.user?.id).toBe(data.user!.id);
    const claims = jwtPayload(signedIn.data.session!.access_token);
    expect(claims).toMatchObject({ is_anonymous: false, email });
    expect((claims.amr as { method: string }[])[0].method).toBe('password');

    // The first session keeps its "anonymous" sign-in method (GoTrue keeps AMR per session).
    const refreshed = await anonClient(stack).auth.refreshSession({ refresh_token: anonymousSession.refresh_token });
    const again = jwtPayload(refreshed.data.session!.access_token);
    expect(again.is_anonymous).toBe(false);
    expect((again.amr as { method: string }[])[0].method).toBe('anonymous');
  });

  it("may not enrol MFA factors while anonymous (GoTrue's requireNotAnonymous)", async () => {
    const client = anonClient(stack);
    await client.auth.signInAnonymously();
    const { error } = await client.auth.mfa.enroll({ factorType: 'totp' });
    expect(error).toMatchObject({
      status: 403,
      code: 'no_authorization',
      message: 'Anonymous user not allowed to perform these actions',
    });
  });
});
