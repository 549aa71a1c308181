// Asymmetric JWT signing on a running stack: the JWKS endpoint, the tokens Auth
// issues, supabase-js' getClaims() verifying them without asking Auth, and key
// rotation across gateways on the test database (both keys of a set verify;
// once a key is removed, every service refuses its tokens).
import { createClient } from '@supabase/supabase-js';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi, type RunningApi } from '../../src/api';
import { readKeys, type StackKeys } from '../../src/keys';
import { freePort } from '../../src/postgres';
import { metricValue } from '../../src/testing/prometheus-text';
import { privateApi, stack } from '../../src/testing/realtime';
import { generateSigningKey, type PrivateSigningJwk } from '../../src/signing-keys';
import { DEPOT } from '../support/fixture';

const DISPATCHER = { email: 'dispatcher.north@example.com', password: 'password123' };

const supabase = (url: string, key: string) =>
  createClient(url, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });

async function signIn(url: string, key: string): Promise<string> {
  const { data, error } = await supabase(url, key).auth.signInWithPassword(DISPATCHER);
  if (error) throw error;
  return data.session.access_token;
}

async function jwks(url: string) {
  const res = await fetch(`${url}/auth/v1/.well-known/jwks.json`);
  return {
    status: res.status,
    cache: res.headers.get('cache-control'),
    body: (await res.json()) as { keys: object[] },
  };
}

/** Each service's verdict on a token: REST, Auth's /user, the Realtime socket and a private join. */
async function verdicts(url: string, apikey: string, token: string) {
  const rest = await fetch(`${url}/rest/v1/depots?select=id`, {
    headers: { apikey, authorization: `Bearer ${token}` },
  });
  const restBody = (await rest.json()) as { message?: string } | unknown[];
  const auth = await fetch(`${url}/auth/v1/user`, { headers: { apikey, authorization: `Bearer ${token}` } });
  const authBody = (await auth.json()) as { msg?: string };
  const socket = await new Promise<string>((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${token}&vsn=1.0.0`);
    ws.once('open', () => {
      ws.send(
        JSON.stringify({
          topic: `realtime:shipments:${DEPOT.north}`,
          event: 'phx_join',
          payload: { config: { private: true }, access_token: token },
          ref: '1',
          join_ref: '1',
        }),
      );
    });
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { event: string; payload: { status?: string } };
      if (msg.event === 'phx_reply') {
        ws.close();
        resolve(`joined: ${msg.payload.status}`);
      }
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${(JSON.parse(body) as { error: string }).error}`));
    });
  });
  return {
    rest:
      rest.status === 200
        ? `200 ${(restBody as unknown[]).length} depot(s)`
        : `${rest.status} ${(restBody as { message: string }).message}`,
    auth: auth.status === 200 ? '200' : `${auth.status} ${authBody.msg}`,
    socket,
  };
}

describe('the test stack', () => {
  it('serves its public keys at /auth/v1/.well-known/jwks.json (none in legacy HS256 mode)', async () => {
    const { status, cache, body } = await jwks(stack().apiUrl);
    expect(status).toBe(200);
    expect(cache).toBe('public, max-age=600');
    if (stack().jwtAlgorithm === 'HS256') {
      expect(body).toEqual({ keys: [] });
      return;
    }
    const [signing] = stack().keys.signingKeys;
    expect(body.keys).toEqual([
      {
        alg: 'ES256',
        crv: 'P-256',
        ext: true,
        key_ops: ['verify'],
        kid: signing.kid,
        kty: 'EC',
        use: 'sig',
        x: signing.x,
        y: signing.y,
      },
    ]);
  });

  it('issues access tokens in its mode; an ES256 token verifies against the published JWKS alone', async () => {
    const token = await signIn(stack().apiUrl, stack().publishableKey);
    if (stack().jwtAlgorithm === 'HS256') {
      expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
      return;
    }
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: stack().keys.signingKeys[0].kid, typ: 'JWT' });
    const { body } = await jwks(stack().apiUrl);
    const { payload } = await jwtVerify(token, createLocalJWKSet(body as never), {
      issuer: `${stack().apiUrl}/auth/v1`,
      audience: 'authenticated',
    });
    expect(payload).toMatchObject({ role: 'authenticated', email: DISPATCHER.email, aal: 'aal1' });
  });
});

describe("supabase-js getClaims() on the stack's tokens", () => {
  let api: RunningApi;
  beforeAll(async () => {
    // A gateway of this file's own, so its /metrics count only these requests.
    api = await privateApi({});
  });
  afterAll(() => api?.close());

  const authRequests = async () =>
    metricValue(await (await fetch(`${api.url}/metrics`)).text(), 'switchboard_http_requests_total', {
      service: 'auth',
    });

  it('verifies ES256 tokens locally after one JWKS fetch; HS256 tokens cost an Auth request each', async () => {
    const client = supabase(api.url, stack().publishableKey);
    const { error } = await client.auth.signInWithPassword(DISPATCHER);
    expect(error).toBeNull();
    const before = await authRequests();
    for (let i = 0; i < 3; i++) {
      const { data, error: claimsError } = await client.auth.getClaims();
      expect(claimsError).toBeNull();
      expect(data?.claims).toMatchObject({ email: DISPATCHER.email, role: 'authenticated' });
    }
    const made = (await authRequests()) - before;
    // ES256: GET /.well-known/jwks.json once, then nothing. HS256: GET /user for every call.
    expect(made).toBe(stack().jwtAlgorithm === 'ES256' ? 1 : 3);
  });
});

describe('key rotation', () => {
  let oldKey: PrivateSigningJwk;
  let newKey: PrivateSigningJwk;
  const apis: RunningApi[] = [];
  const gateway = async (keys: StackKeys) => {
    const api = await startApi({ dbUrl: stack().dbUrl, port: await freePort(), keys });
    apis.push(api);
    return api;
  };
  const withKeys = (list: object[]) => readKeys({ DEVSTACK_JWT_KEYS: JSON.stringify(list) });

  beforeAll(async () => {
    [oldKey, newKey] = [await generateSigningKey(), await generateSigningKey()];
  });
  afterAll(() => Promise.all(apis.map((a) => a.close())));

  it('both keys of the set verify; a removed key’s tokens are refused by every service', async () => {
    const before = await gateway(await withKeys([oldKey]));
    const oldToken = await signIn(before.url, stack().publishableKey);
    expect(decodeProtectedHeader(oldToken).kid).toBe(oldKey.kid);

    // Rotation: the new key signs, the old one still verifies and is still published.
    const during = await gateway(await withKeys([newKey, { ...oldKey, key_ops: ['verify'] }]));
    const newToken = await signIn(during.url, stack().publishableKey);
    expect(decodeProtectedHeader(newToken).kid).toBe(newKey.kid);
    expect((await jwks(during.url)).body.keys.map((k) => (k as { kid: string }).kid)).toEqual([newKey.kid, oldKey.kid]);
    const accepted = { rest: '200 1 depot(s)', auth: '200', socket: 'joined: ok' };
    expect(await verdicts(during.url, stack().publishableKey, oldToken)).toEqual(accepted);
    expect(await verdicts(during.url, stack().publishableKey, newToken)).toEqual(accepted);

    // The old key is removed: its tokens stop working everywhere, the new ones keep working.
    const after = await gateway(await withKeys([newKey]));
    expect(await verdicts(after.url, stack().publishableKey, newToken)).toEqual(accepted);
    expect(await verdicts(after.url, stack().publishableKey, oldToken)).toEqual({
      rest: '401 No suitable key or wrong key type',
      auth: `403 invalid JWT: unable to parse or verify signature, token is unverifiable: error while executing keyfunc: unrecognized JWT kid ${oldKey.kid} for algorithm ES256`,
      socket: `401 JwtSignerError: Failed to generate JWT signer for key ID (kid) "${oldKey.kid}", check your JWT secret or JWKS configuration`,
    });
  });
});
