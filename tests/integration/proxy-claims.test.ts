// The app's proxy (lib/supabase/proxy.ts, run by proxy.ts on every page
// request) against a gateway of this file's own, counting the Auth requests it
// causes with the stack's /metrics (switchboard_http_requests_total{service}).
// With ES256 tokens getClaims() verifies locally: one JWKS fetch, then no Auth
// request at all. With legacy HS256 tokens every page request asks Auth.
import { createServerClient } from '@supabase/ssr';
import { privateApi, stack } from '@switchboard/devstack/testing';
import { SignJWT, generateKeyPair } from 'jose';
import { NextRequest } from 'next/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { updateSession } from '../../lib/supabase/proxy';

// Next's server gives supabase-js a WebSocket; plain Node 20 has none (see ENVIRONMENT.md).
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket;

let api: Awaited<ReturnType<typeof privateApi>>;
let cookieHeader: string;
let accessToken: string;
const jar = new Map<string, string>();

/** The session cookie @supabase/ssr wrote (maybe in chunks, base64-encoded), with another access token in it. */
function sessionCookieWith(token: string): string {
  const names = [...jar.keys()].sort();
  const base = names[0].replace(/\.\d+$/, '');
  const encoded = names.map((n) => jar.get(n)!).join('');
  const session = JSON.parse(Buffer.from(encoded.replace(/^base64-/, ''), 'base64url').toString()) as {
    access_token: string;
  };
  expect(session.access_token).toBe(accessToken);
  session.access_token = token;
  return `${base}=base64-${Buffer.from(JSON.stringify(session)).toString('base64url')}`;
}

const authRequests = async () => {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  let total = 0;
  for (const [, value] of text.matchAll(/^switchboard_http_requests_total\{[^}]*service="auth"[^}]*\} (\d+)$/gm))
    total += Number(value);
  return total;
};

/** What the proxy does with one page request carrying `cookie`: through, or a redirect to /login. */
async function pageRequest(cookie: string, path = '/board'): Promise<string> {
  const response = await updateSession(new NextRequest(`http://app.test${path}`, { headers: { cookie } }));
  const location = response.headers.get('location');
  return location ? `redirect ${new URL(location).pathname}` : 'through';
}

beforeAll(async () => {
  api = await privateApi({});
  process.env.NEXT_PUBLIC_SUPABASE_URL = api.url;
  process.env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY = stack().publishableKey;
  // Sign in the way the login action does, keeping the session cookies it sets.
  const supabase = createServerClient(api.url, stack().publishableKey, {
    cookies: {
      getAll: () => [...jar].map(([name, value]) => ({ name, value })),
      setAll: (cookies) => cookies.forEach(({ name, value }) => jar.set(name, value)),
    },
  });
  const { data, error } = await supabase.auth.signInWithPassword({
    email: 'dispatcher.north@example.com',
    password: 'password123',
  });
  if (error) throw error;
  accessToken = data.session.access_token;
  cookieHeader = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
});
afterAll(() => api?.close());

describe('the proxy on a signed-in page request', () => {
  it(`lets the user through, asking Auth ${stack().jwtAlgorithm === 'ES256' ? 'only for the JWKS, once' : 'every time (HS256)'}`, async () => {
    const first = await authRequests();
    for (let i = 0; i < 5; i++) expect(await pageRequest(cookieHeader)).toBe('through');
    const afterFirstBatch = await authRequests();
    for (let i = 0; i < 5; i++) expect(await pageRequest(cookieHeader)).toBe('through');
    const afterSecondBatch = await authRequests();
    if (stack().jwtAlgorithm === 'ES256') {
      // GET /auth/v1/.well-known/jwks.json, then every token verifies locally.
      expect(afterFirstBatch - first).toBe(1);
      expect(afterSecondBatch - afterFirstBatch).toBe(0);
    } else {
      // getClaims() falls back to GET /auth/v1/user for a symmetric token.
      expect(afterFirstBatch - first).toBe(5);
      expect(afterSecondBatch - afterFirstBatch).toBe(5);
    }
  });

  it('sends a forged token to /login (ES256 forged with the stack kid, verified locally)', async () => {
    const header = JSON.parse(Buffer.from(accessToken.split('.')[0], 'base64url').toString()) as Record<string, string>;
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const attacker = await generateKeyPair('ES256');
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', ...(header.kid ? { kid: header.kid } : {}) })
      .sign(attacker.privateKey);
    // The genuine session re-encoded the same way passes; the forged one does not.
    expect(await pageRequest(sessionCookieWith(accessToken))).toBe('through');
    expect(await pageRequest(sessionCookieWith(forged))).toBe('redirect /login');
  });

  it('sends a visitor without a session to /login and leaves public pages alone', async () => {
    expect(await pageRequest('')).toBe('redirect /login');
    expect(await pageRequest('', '/login')).toBe('through');
  });
});
