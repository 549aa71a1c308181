import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { closeClients, Inbox, privateApi, realtimeClient, subscribed } from '../../src/testing/realtime';

// Presence on a gateway whose heartbeat timeout is 1.5 s, so an abruptly
// killed socket is noticed quickly.

let api: Awaited<ReturnType<typeof privateApi>>;
beforeAll(async () => {
  api = await privateApi({
    DEVSTACK_REALTIME_HEARTBEAT_TIMEOUT_MS: '1500',
    DEVSTACK_REALTIME_MAX_PRESENCE_CALLS: '50',
  });
});
afterAll(async () => {
  await closeClients();
  await api?.close();
});

type Sync = {
  key: string;
  newPresences?: Array<Record<string, unknown>>;
  leftPresences?: Array<Record<string, unknown>>;
};

async function watcher(topic: string) {
  const client = await realtimeClient({ apiUrl: api.url });
  const joins = new Inbox<Sync>();
  const leaves = new Inbox<Sync>();
  const channel = client
    .channel(topic, { config: { presence: { key: 'watcher' } } })
    .on('presence', { event: 'join' }, (e) => joins.push(e as Sync))
    .on('presence', { event: 'leave' }, (e) => leaves.push(e as Sync));
  await subscribed(channel);
  return { client, channel, joins, leaves };
}

async function tracker(topic: string, key: string, meta: Record<string, unknown>): Promise<RealtimeChannel> {
  const client = await realtimeClient({ apiUrl: api.url });
  const channel = await subscribed(client.channel(topic, { config: { presence: { key } } }));
  expect(await channel.track(meta)).toBe('ok');
  return channel;
}

test('track, several metas per key, untrack; the state lists every tab', async () => {
  const w = await watcher('room-presence');
  const tab1 = await tracker('room-presence', 'user-1', { tab: 1 });
  const tab2 = await tracker('room-presence', 'user-1', { tab: 2 });
  await w.joins.count(2, (e) => e.key === 'user-1');
  const state = w.channel.presenceState() as Record<string, Array<{ tab: number; presence_ref: string }>>;
  expect(state['user-1'].map((m) => m.tab).sort()).toEqual([1, 2]);
  expect(state['user-1'][0].presence_ref).toEqual(expect.any(String));

  expect(await tab1.untrack()).toBe('ok');
  const left = await w.leaves.next((e) => e.key === 'user-1');
  expect(left.leftPresences?.map((m) => m.tab)).toEqual([1]);
  expect((w.channel.presenceState() as Record<string, unknown[]>)['user-1']).toHaveLength(1);
  expect(tab2).toBeDefined();
});

test('a late joiner gets presence_state with everyone already there', async () => {
  await tracker('room-state', 'early', { at: 'start' });
  const w = await watcher('room-state');
  await w.joins.next((e) => e.key === 'early');
  expect(Object.keys(w.channel.presenceState())).toContain('early');
});

test('a socket killed without a close frame leaves presence within the heartbeat window', async () => {
  const w = await watcher('room-kill');
  const channel = await tracker('room-kill', 'doomed', { v: 1 });
  await w.joins.next((e) => e.key === 'doomed');
  // Stop the client's heartbeats and cut the TCP stream under the WebSocket: no close frame.
  const socket = channel.socket;
  (
    socket as unknown as {
      socketAdapter: { getSocket(): { heartbeatTimer: unknown; conn: { _socket: { pause(): void } } } };
    }
  ).socketAdapter
    .getSocket()
    .conn._socket.pause();
  clearInterval(
    (
      socket as unknown as { socketAdapter: { getSocket(): { heartbeatTimer: NodeJS.Timeout } } }
    ).socketAdapter.getSocket().heartbeatTimer,
  );
  const started = Date.now();
  const left = await w.leaves.next((e) => e.key === 'doomed', 10_000);
  expect(left.leftPresences?.[0]).toMatchObject({ v: 1 });
  expect(Date.now() - started).toBeLessThan(5_000);
});
