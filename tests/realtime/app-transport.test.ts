// The app's realtime transport (lib/realtime/supabase.ts) against the dev
// stack's realtime server, through supabase-js: one channel per topic, safe
// under a StrictMode-style unmount/remount, messages delivered once.
import { afterAll, describe, expect, it } from 'vitest';
import { joinedTopics, subscribeToTopic } from '../../lib/realtime/adapters/supabase';
import { DEPOT, USER } from '../support/db';
import { closeClients, mintToken, realtimeClient } from '@switchboard/devstack/testing';

afterAll(() => closeClients());

const liveTopic = `depot:${DEPOT.north}:live`;

function subscribed(client: Awaited<ReturnType<typeof realtimeClient>>, received: unknown[]) {
  return new Promise<ReturnType<typeof subscribeToTopic>>((resolve) => {
    const sub = subscribeToTopic(client, liveTopic, {
      events: { ping: (payload) => received.push(payload) },
      onSubscribed: () => resolve(sub),
    });
  });
}

describe('app realtime transport', () => {
  it('a StrictMode double mount leaves exactly one joined channel and one delivery per message', async () => {
    const listener = await realtimeClient({ token: await mintToken({ sub: USER.dispatcherNorth }) });
    const sender = await realtimeClient({ token: await mintToken({ sub: USER.dispatcherHq }) });
    const received: unknown[] = [];

    // Mount, unmount, mount again in the same tick, as React StrictMode does.
    const first = subscribeToTopic(listener, liveTopic, { events: { ping: (p) => received.push(['stale', p]) } });
    first.unsubscribe();
    const second = await subscribed(listener, received);

    expect(listener.getChannels().filter((c) => c.topic === `realtime:${liveTopic}`)).toHaveLength(1);
    expect(joinedTopics(listener)).toEqual([liveTopic]);

    const senderSub = await new Promise<ReturnType<typeof subscribeToTopic>>((resolve) => {
      const sub = subscribeToTopic(sender, liveTopic, { events: {}, onSubscribed: () => resolve(sub) });
    });
    senderSub.publish('ping', { n: 1 });
    await expect.poll(() => received.length).toBe(1);
    expect(received).toEqual([{ n: 1 }]);

    second.unsubscribe();
    senderSub.unsubscribe();
    await expect.poll(() => listener.getChannels().length).toBe(0);
  });
});
