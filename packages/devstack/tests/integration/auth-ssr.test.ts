import { createServerClient } from '@supabase/ssr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { jwtPayload, startAuthGateway, uniqueEmail, type AuthTestStack } from './auth-helpers';

let stack: AuthTestStack;

beforeAll(async () => {
  stack = await startAuthGateway({ DEVSTACK_JWT_EXPIRY: '5' });
});
afterAll(async () => {
  await stack?.close();
});

/** One browser's cookies, as a Next.js request/response pair would carry them between requests. */
class CookieJar {
  readonly cookies = new Map<string, string>();
  writes = 0;
  methods = {
    getAll: () => [...this.cookies].map(([name, value]) => ({ name, value })),
    setAll: (list: { name: string; value: string; options: { maxAge?: number } }[]) => {
      this.writes++;
      for (const { name, value, options } of list) {
        if (!value || options.maxAge === 0) this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
    },
  };
}

/** A fresh server client per "request", like @supabase/ssr's docs require. */
function serverClient(jar: CookieJar) {
  return createServerClient(stack.url, stack.anonKey, {
    cookies: jar.methods,
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });
}

describe('@supabase/ssr server clients', () => {
  it('sign in, read the user from cookies, refresh an expired session, sign out', async () => {
    const jar = new CookieJar();
    const email = uniqueEmail('ssr');
    const signUp = await serverClient(jar).auth.signUp({ email, password: 'cookie-pass' });
    expect(signUp.error).toBeNull();
    expect([...jar.cookies.keys()].some((name) => name.startsWith('sb-127-auth-token'))).toBe(true);

    const first = await serverClient(jar).auth.getUser();
    expect(first.error).toBeNull();
    expect(first.data.user?.email).toBe(email);

    // Let the 5-second access token in the cookie expire; the next request refreshes it.
    const { data: before } = await serverClient(jar).auth.getSession();
    const oldToken = before.session!.access_token;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, before.session!.expires_at! * 1000 + 50 - Date.now())),
    );
    const writesBefore = jar.writes;
    const later = await serverClient(jar).auth.getUser();
    expect(later.error).toBeNull();
    expect(later.data.user?.email).toBe(email);
    expect(jar.writes).toBeGreaterThan(writesBefore);
    const { data: after } = await serverClient(jar).auth.getSession();
    expect(after.session!.access_token).not.toBe(oldToken);
    expect(jwtPayload(after.session!.access_token).session_id).toBe(jwtPayload(oldToken).session_id);

    expect((await serverClient(jar).auth.signOut()).error).toBeNull();
    expect([...jar.cookies.keys()].some((name) => name.startsWith('sb-127-auth-token'))).toBe(false);
    const gone = await serverClient(jar).auth.getUser();
    expect(gone.data.user).toBeNull();
  }, 30_000);
});
