import { SignJWT } from 'jose';
import { signJwt } from '../../src/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonClient, authFetch, jwtPayload, signUpNew, startAuthGateway, type AuthTestStack } from './auth-helpers';

let stack: AuthTestStack;
/** Same database, but a rotated refresh token may never be reused (interval 0). */
let strict: AuthTestStack;

beforeAll(async () => {
  [stack, strict] = await Promise.all([
    startAuthGateway(),
    startAuthGateway({ DEVSTACK_REFRESH_TOKEN_REUSE_INTERVAL: '0' }),
  ]);
});
afterAll(async () => {
  await Promise.all([stack?.close(), strict?.close()]);
});

const refresh = (on: AuthTestStack, refreshToken: string) =>
  authFetch(on, '/token?grant_type=refresh_token', { body: { refresh_token: refreshToken } });

describe('refresh token rotation', () => {
  it('rotates: a new refresh token, the old one revoked, the same session', async () => {
    const client = anonClient(stack);
    const first = await signUpNew(client, 'rotate');
    const { data, error } = await client.auth.refreshSession();
    expect(error).toBeNull();
    expect(data.session!.refresh_token).not.toBe(first.refresh_token);
    expect(jwtPayload(data.session!.access_token).session_id).toBe(jwtPayload(first.access_token).session_id);
    const rows = await stack.sql<{ token: string; revoked: boolean; parent: string }[]>`
      select token, revoked, parent from auth.refresh_tokens
      where token in ${stack.sql([first.refresh_token, data.session!.refresh_token])} order by id`;
    expect(rows).toEqual([
      { token: first.refresh_token, revoked: true, parent: '' },
      { token: data.session!.refresh_token, revoked: false, parent: first.refresh_token },
    ]);
  });

  it('gives the active token back when its parent is presented again (a lost response)', async () => {
    const a = await signUpNew(anonClient(stack), 'lost');
    const b = await refresh(stack, a.refresh_token);
    const again = await refresh(stack, a.refresh_token);
    expect(again.status).toBe(200);
    expect(again.body?.refresh_token).toBe(b.body?.refresh_token);
  });

  it('serializes concurrent refreshes of one token: both get the same new token', async () => {
    const a = await signUpNew(anonClient(strict), 'concurrent');
    const [x, y] = await Promise.all([refresh(strict, a.refresh_token), refresh(strict, a.refresh_token)]);
    expect([x.status, y.status]).toEqual([200, 200]);
    expect(x.body?.refresh_token).toBe(y.body?.refresh_token);
  });

  it('accepts an older rotated token within the reuse interval (default 10 s)', async () => {
    const a = await signUpNew(anonClient(stack), 'reuse');
    const b = await refresh(stack, a.refresh_token);
    await refresh(stack, b.body?.refresh_token as string);
    const reused = await refresh(stack, a.refresh_token);
    expect(reused.status).toBe(200);
  });

  it('after the reuse interval fails with refresh_token_already_used and ends the session', async () => {
    const a = await signUpNew(anonClient(strict), 'stolen');
    const b = await refresh(strict, a.refresh_token);
    const c = await refresh(strict, b.body?.refresh_token as string);
    expect(c.status).toBe(200);

    const reused = await refresh(strict, a.refresh_token);
    expect(reused).toMatchObject({
      status: 400,
      body: { error_code: 'refresh_token_already_used', msg: 'Invalid Refresh Token: Already Used' },
    });
    // Every token of the session is gone with it, and so is the session for access tokens.
    const current = await refresh(strict, c.body?.refresh_token as string);
    expect(current).toMatchObject({ status: 400, body: { error_code: 'refresh_token_not_found' } });
    const user = await authFetch(strict, '/user', { token: c.body?.access_token as string });
    expect(user).toMatchObject({ status: 403, body: { error_code: 'session_not_found' } });
  });

  it('reports a reused token to supabase-js as an AuthApiError with the code', async () => {
    const client = anonClient(strict);
    const a = await signUpNew(client, 'client-reuse');
    const b = await refresh(strict, a.refresh_token);
    await refresh(strict, b.body?.refresh_token as string);
    const { error } = await client.auth.refreshSession({ refresh_token: a.refresh_token });
    expect(error).toMatchObject({ name: 'AuthApiError', status: 400, code: 'refresh_token_already_used' });
  });

  it('rejects malformed and unknown refresh tokens', async () => {
    expect(await refresh(stack, 'short')).toMatchObject({ status: 400, body: { error_code: 'validation_failed' } });
    expect(await refresh(stack, 'zzzzzzzzzzzz')).toMatchObject({
      status: 400,
      body: { error_code: 'refresh_token_not_found' },
    });
    const missing = await authFetch(stack, '/token?grant_type=refresh_token', { body: {} });
    expect(missing).toMatchObject({ status: 400, body: { error_code: 'validation_failed' } });
  });
});

describe('access token verification on /user', () => {
  const wrong = new TextEncoder().encode('a-completely-different-secret-of-32-chars!!');
  let valid: string;
  let claims: Record<string, unknown>;

  beforeAll(async () => {
    valid = (await signUpNew(anonClient(stack), 'forged')).access_token;
    claims = jwtPayload(valid);
  });

  const expectBadJwt = async (token: string) => {
    const res = await authFetch(stack, '/user', { token });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error_code: 'bad_jwt' });
  };

  it('accepts the genuine token', async () => {
    expect((await authFetch(stack, '/user', { token: valid })).status).toBe(200);
  });

  it('rejects alg: none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    await expectBadJwt(`${header}.${body}.`);
  });

  it('rejects a token signed with another secret', async () => {
    await expectBadJwt(await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(wrong));
  });

  it('rejects an expired token', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = await signJwt(stack.keys, { ...claims, iat: past - 3600, exp: past });
    await expectBadJwt(expired);
    const { data, error } = await anonClient(stack).auth.getUser(expired);
    expect(data.user).toBeNull();
    expect(error).toMatchObject({ status: 403, code: 'bad_jwt' });
  });

  it('rejects garbage and a tampered payload', async () => {
    await expectBadJwt('not-a-jwt');
    const [h, , s] = valid.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })).toString(
      'base64url',
    );
    await expectBadJwt(`${h}.${tampered}.${s}`);
  });

  it('asks for a bearer token when there is none, and refuses the service key (no sub)', async () => {
    expect(await authFetch(stack, '/user')).toMatchObject({ status: 401, body: { error_code: 'no_authorization' } });
    await expectBadJwt(stack.serviceRoleKey);
  });
});

describe('error format and robustness', () => {
  it('answers in the 2024-01-01 shape when asked, and echoes the version', async () => {
    const res = await authFetch(stack, '/token?grant_type=password', {
      body: { email: 'nobody@example.com', password: 'whatever' },
      headers: { 'x-supabase-api-version': '2024-01-01' },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    expect(res.body).toEqual({ code: 'invalid_credentials', message: 'Invalid login credentials' });
    const legacy = await authFetch(stack, '/token?grant_type=password', {
      body: { email: 'nobody@example.com', password: 'x' },
    });
    expect(legacy.headers.get('x-supabase-api-version')).toBeNull();
    expect(legacy.body).toEqual({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });
  });

  it('turns malformed requests into 4xx answers and keeps serving', async () => {
    const cases: [string, { method?: string; body?: string | object }, number, string][] = [
      ['/signup', { body: '{"email": ' }, 400, 'bad_json'],
      ['/signup', { body: '[1,2]' }, 400, 'bad_json'],
      ['/signup', { body: 'null' }, 400, 'bad_json'],
      ['/signup', { body: { email: ['a'], password: 5 } }, 400, 'bad_json'],
      [
        '/signup',
        { body: { data: 'not an object', email: 'x@example.com', password: 'secret-pass' } },
        400,
        'bad_json',
      ],
      ['/token?grant_type=password', { body: '' }, 400, 'bad_json'],
      ['/token?grant_type=magic', { body: {} }, 400, 'invalid_credentials'],
      ['/token?grant_type=password', { body: { password: 'x' } }, 400, 'validation_failed'],
      ['/signup', { body: { email: 'x@example.com', password: 'p'.repeat(73) } }, 400, 'validation_failed'],
      ['/signup', { body: {} }, 422, 'anonymous_provider_disabled'],
      ['/signup', { body: { phone: '+15555550100', password: 'secret-pass' } }, 400, 'phone_provider_disabled'],
      [
        '/signup',
        { body: { email: 'big@example.com', password: 'secret-pass', data: { blob: 'x'.repeat(2 * 1024 * 1024) } } },
        413,
        'request_entity_too_large',
      ],
      ['/does-not-exist', {}, 404, 'not_found'],
      ['/signup', { method: 'GET' }, 405, 'not_found'],
      ['/admin/users/%E0%A4%A', { method: 'GET' }, 401, 'no_authorization'],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await authFetch(stack, path, init);
      expect({ path, status: res.status, code: res.body?.error_code }).toEqual({ path, status, code });
    }
    expect((await authFetch(stack, '/health')).status).toBe(200);
  });
});
