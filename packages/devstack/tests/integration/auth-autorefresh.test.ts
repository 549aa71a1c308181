import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anonClient,
  authFetch,
  jwtPayload,
  nextAuthEvent,
  startAuthGateway,
  uniqueEmail,
  type AuthTestStack,
} from './auth-helpers';

let stack: AuthTestStack;

beforeAll(async () => {
  stack = await startAuthGateway({ DEVSTACK_JWT_EXPIRY: '5' });
});
afterAll(async () => {
  await stack?.close();
});

/** Resolves once the wall clock has passed `epochMs`: the point being proven is that a deadline passed. */
function until(epochMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));
}

describe('short-lived access tokens (DEVSTACK_JWT_EXPIRY=5)', () => {
  it('a client with autoRefreshToken keeps working for 20 seconds, refreshing as tokens expire', async () => {
    const client = anonClient(stack, { autoRefreshToken: true });
    const email = uniqueEmail('autorefresh');
    const signedUp = await client.auth.signUp({ email, password: 'keep-going-1' });
    expect(signedUp.error).toBeNull();
    let current = signedUp.data.session!;
    expect(current.expires_in).toBe(5);
    const sessionId = jwtPayload(current.access_token).session_id;
    const seen = new Set([current.access_token]);

    const started = Date.now();
    let rounds = 0;
    while (Date.now() - started < 20_000) {
      await until(current.expires_at! * 1000 + 50);
      // The server really refuses the token the client holds now...
      const stale = await authFetch(stack, '/user', { token: current.access_token });
      expect(stale).toMatchObject({ status: 403, body: { error_code: 'bad_jwt' } });
      // ...and the client refreshes before its next call and carries on.
      const refreshed = nextAuthEvent(client, 'TOKEN_REFRESHED');
      const { data, error } = await client.auth.getUser();
      expect(error).toBeNull();
      expect(data.user?.email).toBe(email);
      current = (await refreshed)!;
      expect(seen.has(current.access_token)).toBe(false);
      seen.add(current.access_token);
      expect(jwtPayload(current.access_token).session_id).toBe(sessionId);
      rounds++;
    }
    expect(rounds).toBeGreaterThanOrEqual(3);
    await client.auth.stopAutoRefresh();
    await client.auth.signOut();
  }, 60_000);
});
