import { afterAll, expect, test } from 'vitest';
import {
  closeClients,
  Inbox,
  mintToken,
  realtimeClient,
  subscribeFailure,
  subscribed,
} from '../../src/testing/realtime';

afterAll(closeClients);

test('an expired token is refused at join with the reason', async () => {
  const client = await realtimeClient({
    token: await mintToken({ sub: 'a0000000-0000-4000-8000-000000000001', expiresIn: -5 }),
  });
  const failure = await subscribeFailure(client.channel('expired-join'));
  expect(failure.status).toBe('CHANNEL_ERROR');
  expect(failure.error?.message).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
});

test(
  'with 5-second tokens: refreshed keeps receiving for 20 s, not refreshed is closed with the expiry message',
  { timeout: 40_000 },
  async () => {
    const sub = 'a0000000-0000-4000-8000-000000000001';
    const refreshed = await realtimeClient({
      heartbeatIntervalMs: 1000,
      accessToken: () => mintToken({ sub, expiresIn: 5 }),
    });
    const stale = await realtimeClient({ heartbeatIntervalMs: 1000, token: await mintToken({ sub, expiresIn: 5 }) });
    const sender = await realtimeClient();

    const got = new Inbox<number>();
    const statuses = new Inbox<string>();
    refreshed
      .channel('token-room')
      .on('broadcast', { event: 'tick' }, (m) => got.push(m.payload.n as number))
      .subscribe((s) => statuses.push(s));
    await statuses.next((s) => s === 'SUBSCRIBED');

    const staleSystem = new Inbox<{ status: string; message: string }>();
    const staleStatus = new Inbox<string>();
    stale
      .channel('token-room')
      .on('system', {}, (m) => staleSystem.push(m))
      .subscribe((s) => staleStatus.push(s));
    await staleStatus.next((s) => s === 'SUBSCRIBED');

    const tx = await subscribed(sender.channel('token-room'));
    const started = Date.now();
    let n = 0;
    const timer = setInterval(() => void tx.send({ type: 'broadcast', event: 'tick', payload: { n: n++ } }), 250);
    try {
      const expiry = await staleSystem.next((m) => m.status === 'error', 10_000);
      expect(expiry.message).toMatch(/^Token has expired \d+ seconds ago$/);
      await staleStatus.next((s) => s === 'CLOSED');
      await got.next(() => Date.now() - started >= 20_000, 25_000);
    } finally {
      clearInterval(timer);
    }
    expect(statuses.items).not.toContain('CLOSED');
    expect(statuses.items).not.toContain('CHANNEL_ERROR');
    expect(got.items.length).toBeGreaterThan(60);
  },
);
