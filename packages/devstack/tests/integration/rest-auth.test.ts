// Who sees what through REST: each request runs as the JWT's role with its
// claims, so RLS decides, exactly as on Supabase; bad tokens get PostgREST's 401s.
import { SignJWT } from 'jose';
import { signJwt } from '../../src/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPOT, USER } from '../support/fixture';
import {
  anonClient,
  rawRequest,
  serviceClient,
  startRestGateway,
  tokenClient,
  userClient,
  userToken,
  type RestTestStack,
} from './rest-helpers';

let stack: RestTestStack;

beforeAll(async () => {
  stack = await startRestGateway();
});

afterAll(async () => {
  await stack?.close();
});

async function visibleShipments(client: Awaited<ReturnType<typeof userClient>>) {
  const { data, error } = await client.from('shipments').select('depot_id, driver_id');
  expect(error).toBeNull();
  return data ?? [];
}

describe('row-level security through REST', () => {
  it('shows dispatcher.north the 30 North shipments and none of South', async () => {
    const rows = await visibleShipments(await userClient(stack, USER.dispatcherNorth));
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => r.depot_id === DEPOT.north)).toBe(true);
  });

  it('shows dispatcher.south only South shipments', async () => {
    const rows = await visibleShipments(await userClient(stack, USER.dispatcherSouth));
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => r.depot_id === DEPOT.south)).toBe(true);
  });

  it('shows HQ, a dispatcher of both depots, all 60', async () => {
    expect(await visibleShipments(await userClient(stack, USER.dispatcherHq))).toHaveLength(60);
  });

  it('shows a driver only the shipments assigned to them', async () => {
    const [{ count }] = await stack.sql<
      { count: number }[]
    >`select count(*)::int from public.shipments where driver_id = ${USER.driverNorth1}`;
    const rows = await visibleShipments(await userClient(stack, USER.driverNorth1));
    expect(rows).toHaveLength(count);
    expect(count).toBeGreaterThan(0);
    expect(rows.every((r) => r.driver_id === USER.driverNorth1)).toBe(true);
  });

  it('shows anon nothing', async () => {
    expect(await visibleShipments(anonClient(stack))).toEqual([]);
    const { data } = await anonClient(stack).from('depots').select('*');
    expect(data).toEqual([]);
  });

  it('lets the service role bypass RLS', async () => {
    // The seed's shipments only: other test files add rows of their own in parallel.
    const { count } = await serviceClient(stack)
      .from('shipments')
      .select('*', { count: 'exact', head: true })
      .in('depot_id', [DEPOT.north, DEPOT.south])
      .or('reference.like.NOR-*,reference.like.SOU-*');
    expect(count).toBe(60);
  });

  it('applies RLS inside embeds too: a driver sees their depot but not other drivers', async () => {
    const client = await userClient(stack, USER.driverNorth1);
    const { data } = await client.from('depots').select('name, depot_members(user_id)');
    expect(data).toHaveLength(1);
    expect(data?.[0].name).toBe('North Depot');
  });

  it('exposes the request to SQL: auth.uid(), request.method and request.path', async () => {
    const fn = `rest_auth_whoami_${Date.now()}`;
    await stack.sql.unsafe(`
      create function public.${fn}() returns json language sql stable as $$
        select json_build_object('uid', auth.uid(), 'role', current_user, 'method', current_setting('request.method', true),
          'path', current_setting('request.path', true), 'client', current_setting('request.headers', true)::json->>'x-client-info')
      $$`);
    try {
      const client = await userClient(stack, USER.dispatcherNorth);
      const { data, error } = await client.rpc(fn);
      expect(error).toBeNull();
      expect(data).toMatchObject({
        uid: USER.dispatcherNorth,
        role: 'authenticated',
        method: 'POST',
        path: `/rpc/${fn}`,
      });
      expect(String((data as { client: string }).client)).toContain('supabase-js');
    } finally {
      await stack.sql.unsafe(`drop function public.${fn}()`);
    }
  });

  it('answers 401 for writes RLS refuses as anon and 403 as a signed-in user', async () => {
    const row = { depot_id: DEPOT.north, reference: 'RLS-DENIED-1', recipient: 'x', address: 'y' };
    const anon = await anonClient(stack).from('shipments').insert(row);
    expect(anon.status).toBe(401);
    expect(anon.error?.code).toBe('42501');
    const south = await (await userClient(stack, USER.dispatcherSouth)).from('shipments').insert(row);
    expect(south.status).toBe(403);
    expect(south.error?.code).toBe('42501');
  });
});

describe('JWT verification', () => {
  const secret = () => new TextEncoder().encode(stack.keys.jwtSecret);
  const now = () => Math.floor(Date.now() / 1000);

  it('rejects an expired token with 401 PGRST303 "JWT expired", after PostgREST\'s 30 s of skew', async () => {
    const expired = await userToken(stack.keys, USER.dispatcherNorth, {}, -31);
    const { error, status } = await tokenClient(stack, expired).from('shipments').select('id');
    expect(status).toBe(401);
    expect(error).toMatchObject({ code: 'PGRST303', message: 'JWT expired' });
    // Within the skew PostgREST still accepts it (Auth and Realtime do not).
    const justExpired = await userToken(stack.keys, USER.dispatcherNorth, {}, -5);
    expect((await rawRequest(stack, '/shipments?select=id', { token: justExpired })).status).toBe(200);
  });

  it('refuses nbf and iat in the future beyond the skew with PGRST303', async () => {
    const notYet = await userToken(stack.keys, USER.dispatcherNorth, { nbf: now() + 120 });
    expect((await rawRequest(stack, '/shipments', { token: notYet })).body).toMatchObject({
      code: 'PGRST303',
      message: 'JWT not yet valid',
    });
    const future = await signJwt(stack.keys, { role: 'authenticated', iat: now() + 120, exp: now() + 3600 });
    expect((await rawRequest(stack, '/shipments', { token: future })).body).toMatchObject({
      code: 'PGRST303',
      message: 'JWT issued at future',
    });
  });

  it("rejects a token signed with another key, a tampered payload and alg:none with PostgREST 13's messages", async () => {
    const wrongSecret = await new SignJWT({ role: 'service_role' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret-that-is-at-least-32-characters'));
    const valid = await userToken(stack.keys, USER.driverNorth1);
    const [header, , signature] = valid.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ role: 'service_role' })).toString('base64url')}.${signature}`;
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"role":"service_role"}').toString('base64url')}.`;
    const cases: [string, string][] = [
      [wrongSecret, 'No suitable key or wrong key type'],
      [tampered, 'No suitable key or wrong key type'],
      [none, 'Wrong or unsupported encoding algorithm'],
      ['quifquirndsjagnrgniur.fonvoienqhhdj.iuqvnvhojah', 'JWT cryptographic operation failed'],
    ];
    for (const [token, message] of cases) {
      const res = await rawRequest(stack, '/shipments?select=id', { token });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'PGRST301', message });
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    }
  });

  it('accepts HS256 tokens signed with the legacy secret in both modes (the anon and service_role keys are such)', async () => {
    const legacy = await new SignJWT({ role: 'authenticated', sub: USER.dispatcherNorth })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime('1h')
      .sign(secret());
    const res = await rawRequest(stack, '/shipments?select=id&limit=1', { token: legacy });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
  });

  it('rejects a token that is not a JWT and a request without any key', async () => {
    const garbage = await rawRequest(stack, '/shipments', { token: 'not-a-jwt' });
    expect(garbage.status).toBe(401);
    expect((garbage.body as { message: string }).message).toBe('Expected 3 parts in JWT; got 1');
    const res = await fetch(`${stack.url}/rest/v1/shipments`);
    expect(res.status).toBe(401);
  });

  it('answers 401 for a role that does not exist and 403 for one the API may not take', async () => {
    const mint = (role: string) =>
      new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(secret());
    const missing = await rawRequest(stack, '/shipments', { token: await mint('nobody_here') });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ code: '22023', message: 'role "nobody_here" does not exist' });
    const superuser = await rawRequest(stack, '/shipments', { token: await mint('postgres') });
    expect(superuser.status).toBe(403);
    expect((superuser.body as { code: string }).code).toBe('42501');
  });

  it('runs a valid token without a role claim as anon', async () => {
    const token = await new SignJWT({ sub: USER.dispatcherHq })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(secret());
    const res = await rawRequest(stack, '/shipments?select=id', { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });
});
