// The Pusher adapter in Node (pusher-js' node build) against the fake Pusher
// server, authorized by the real route logic with demo users signed in to the
// dev stack.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import PusherServer from 'pusher';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Database } from '../../lib/database.types';
import { ChannelRefusedError, createPusherProvider, type PusherProvider } from '../../lib/realtime/adapters/pusher';
import { RealtimeLimitError } from '../../lib/realtime/adapters/pusher-limits';
import { ConnectionStatusStore, type ConnectionState } from '../../lib/realtime/connection-status';
import { authorizePusherChannel } from '../../lib/realtime/server/pusher-auth';
import type { PresenceState } from '../../lib/realtime/types';
import { startFakePusher, type FakePusher } from '../fakes/pusher-server';
import { DEPOT, USER } from '../support/seed-ids';
import { Inbox, stack } from '@switchboard/devstack/testing';

const APP = { appId: '777', key: 'adapter-key', secret: 'adapter-secret' };
// supabase-js builds a realtime client even for REST/auth use; Node 20 has no global WebSocket.
const supabaseOptions = {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: WebSocket as never },
};
const depotChannel = (id: string) => `shipments:${id}`;
const liveChannel = (id: string) => `depot:${id}:live`;

let fake: FakePusher;
let sdk: PusherServer;
const users = new Map<string, SupabaseClient<Database>>();
const providers: PusherProvider[] = [];

async function signIn(email: string): Promise<SupabaseClient<Database>> {
  const cached = users.get(email);
  if (cached) return cached;
  const client = createClient<Database>(stack().apiUrl, stack().anonKey, supabaseOptions);
  const { error } = await client.auth.signInWithPassword({ email, password: 'password123' });
  if (error) throw error;
  users.set(email, client);
  return client;
}

/** A tab of `email`: the adapter, authorized through the route's logic. */
async function tab(email: string) {
  const supabase = await signIn(email);
  const status = new ConnectionStatusStore();
  const warnings: string[] = [];
  const provider = createPusherProvider({
    key: APP.key,
    cluster: 'fake',
    host: fake.host,
    port: fake.port,
    status,
    warn: (message) => warnings.push(message),
    authorize: async ({ socketId, channelName }) => {
      const result = await authorizePusherChannel(supabase, APP, { socket_id: socketId, channel_name: channelName });
      if (result.status === 200) return result.body;
      throw new ChannelRefusedError(result.body.error);
    },
  });
  providers.push(provider);
  return { provider, status, warnings };
}

function statusReaches(status: ConnectionStatusStore, state: ConnectionState, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (status.getSnapshot().state === state) return resolve();
    const timer = setTimeout(
      () => reject(new Error(`status never reached ${state} (is ${status.getSnapshot().state})`)),
      timeoutMs,
    );
    const stop = status.subscribe(() => {
      if (status.getSnapshot().state !== state) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

beforeAll(async () => {
  fake = await startFakePusher(APP);
  sdk = new PusherServer({ ...APP, host: fake.host, port: String(fake.port), useTLS: false });
});
afterEach(() => {
  for (const provider of providers.splice(0)) provider.disconnect();
});
afterAll(async () => {
  await fake.close();
  await Promise.all([...users.values()].map((c) => c.auth.signOut()));
});

describe('pusher-auth (route logic)', () => {
  const socketId = '123.456';
  const ask = async (email: string | null, channel: string, id = socketId) => {
    const client = email
      ? await signIn(email)
      : createClient<Database>(stack().apiUrl, stack().anonKey, supabaseOptions);
    return authorizePusherChannel(client, APP, { socket_id: id, channel_name: channel });
  };

  it("refuses North's dispatcher South's depot channel with 403, and signs North's", async () => {
    const refused = await ask('dispatcher.north@example.com', `private-shipments-${DEPOT.south}`);
    expect(refused).toEqual({ status: 403, body: { error: expect.stringContaining(`shipments:${DEPOT.south}`) } });
    const allowed = await ask('dispatcher.north@example.com', `private-shipments-${DEPOT.north}`);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual(sdk.authorizeChannel(socketId, `private-shipments-${DEPOT.north}`));
  });

  it('lets a driver into their depot presence and their own feed, with identity from the session', async () => {
    const live = await ask('driver.north1@example.com', `presence-depot-${DEPOT.north}-live`);
    expect(live.status).toBe(200);
    const body = live.body as { auth: string; channel_data: string };
    expect(JSON.parse(body.channel_data)).toEqual({
      user_id: USER.driverNorth1,
      user_info: { name: 'Niko Rivera', role: 'driver' },
    });
    expect((await ask('driver.north1@example.com', `private-shipments-@${USER.driverNorth1}`)).status).toBe(200);
    expect((await ask('driver.north1@example.com', `private-shipments-@${USER.driverNorth2}`)).status).toBe(403);
    expect((await ask('driver.north1@example.com', `private-shipments-${DEPOT.north}`)).status).toBe(403);
    expect((await ask('driver.north1@example.com', `presence-depot-${DEPOT.south}-live`)).status).toBe(403);
  });

  it('answers 401 without a session, 403 for foreign channels, 400 for bad input', async () => {
    expect(await ask(null, `private-shipments-${DEPOT.north}`)).toMatchObject({ status: 401 });
    expect(await ask('dispatcher.north@example.com', 'private-anything')).toMatchObject({
      status: 403,
      body: { error: expect.stringContaining('not a Switchboard channel') },
    });
    expect(await ask('dispatcher.north@example.com', `private-shipments-${DEPOT.north}`, 'not-a-socket')).toMatchObject(
      {
        status: 400,
      },
    );
  });
});

describe('pusher adapter', () => {
  it('reports a refused channel through onRefused with the reason', async () => {
    const { provider } = await tab('dispatcher.north@example.com');
    const refusals = new Inbox<string>();
    provider.subscribe(depotChannel(DEPOT.south), { events: {}, onRefused: refusals.push });
    expect(await refusals.next()).toContain(`shipments:${DEPOT.south}`);
  });

  it('delivers server events in order, and stops after unsubscribe', async () => {
    const { provider, status } = await tab('dispatcher.north@example.com');
    const changes = new Inbox<unknown>();
    const subscribed = new Inbox<true>();
    const sub = provider.subscribe(depotChannel(DEPOT.north), {
      events: { changed: changes.push },
      onSubscribed: () => subscribed.push(true),
    });
    await subscribed.next();
    expect(status.getSnapshot().state).toBe('connected');
    for (let seq = 1; seq <= 25; seq++) await sdk.trigger(`private-shipments-${DEPOT.north}`, 'changed', { seq });
    expect((await changes.count(25)).map((c) => (c as { seq: number }).seq)).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    expect(status.getSnapshot().lastMessageAt).not.toBeNull();

    sub.unsubscribe();
    await until(() => (fake.occupancy()[`private-shipments-${DEPOT.north}`] ?? 0) === 0, 'the subscription to end');
    // Another tab proves the next event went out; the first one never sees it.
    const other = await tab('dispatcher.north@example.com');
    const otherChanges = new Inbox<unknown>();
    const otherSubscribed = new Inbox<true>();
    other.provider.subscribe(depotChannel(DEPOT.north), {
      events: { changed: otherChanges.push },
      onSubscribed: () => otherSubscribed.push(true),
    });
    await otherSubscribed.next();
    await sdk.trigger(`private-shipments-${DEPOT.north}`, 'changed', { seq: 26 });
    await otherChanges.next();
    expect(changes.items).toHaveLength(25);
  });

  it('shows presence join, update and leave with the signed name and role', async () => {
    const nora = await tab('dispatcher.north@example.com');
    const niko = await tab('driver.north1@example.com');
    const noraSub = nora.provider.subscribe(liveChannel(DEPOT.north), {
      events: {},
      presence: { key: USER.dispatcherNorth, onSync: () => {} },
    });
    noraSub.track({ viewing: 'SHP-1' });
    const seen = new Inbox<PresenceState>();
    const nikoSub = niko.provider.subscribe(liveChannel(DEPOT.north), {
      events: {},
      presence: { key: USER.driverNorth1, onSync: seen.push },
    });

    // Joining later, Niko learns Nora's meta (she answers his hello).
    await seen.next((s) => s[USER.dispatcherNorth]?.[0]?.viewing === 'SHP-1');
    expect(seen.items.at(-1)?.[USER.dispatcherNorth]).toEqual([
      { viewing: 'SHP-1', name: 'Nora Quinn', role: 'dispatcher' },
    ]);
    // A tab cannot claim another name: the signed user_info wins.
    noraSub.track({ viewing: 'SHP-2', name: 'Someone Else' });
    await seen.next((s) => s[USER.dispatcherNorth]?.[0]?.viewing === 'SHP-2');
    expect(seen.items.at(-1)?.[USER.dispatcherNorth]).toEqual([
      { viewing: 'SHP-2', name: 'Nora Quinn', role: 'dispatcher' },
    ]);

    nikoSub.track({ driving: true });
    const before = seen.items.length;
    noraSub.untrack();
    await seen.next((s) => seen.items.indexOf(s) >= before && !(USER.dispatcherNorth in s) && USER.driverNorth1 in s);

    noraSub.track({ viewing: 'SHP-3' });
    await seen.next((s) => s[USER.dispatcherNorth]?.[0]?.viewing === 'SHP-3');
    const mark = seen.items.length;
    noraSub.unsubscribe();
    await seen.next((s) => seen.items.indexOf(s) >= mark && !(USER.dispatcherNorth in s));
  });

  it('publishes ephemeral events to the others only, within Pusher limits', async () => {
    const nora = await tab('dispatcher.north@example.com');
    const niko = await tab('driver.north1@example.com');
    const noraPositions = new Inbox<unknown>();
    const nikoPositions = new Inbox<unknown>();
    const ready = new Inbox<string>();
    const noraSub = nora.provider.subscribe(liveChannel(DEPOT.north), {
      events: { position: noraPositions.push },
      onSubscribed: () => ready.push('nora'),
    });
    const nikoSub = niko.provider.subscribe(liveChannel(DEPOT.north), {
      events: { position: nikoPositions.push, marker: nikoPositions.push },
      onSubscribed: () => ready.push('niko'),
    });
    await ready.count(2);

    nikoSub.publish('position', { lat: 1, lng: 2 });
    expect(await noraPositions.next()).toEqual({ lat: 1, lng: 2 });
    noraSub.publish('marker', { done: true });
    await nikoPositions.next();
    expect(nikoPositions.items).toEqual([{ done: true }]);

    expect(() => nikoSub.publish('position', { blob: 'x'.repeat(11_000) })).toThrow(RealtimeLimitError);
    const feed = niko.provider.subscribe(`shipments:@${USER.driverNorth1}`, { events: {} });
    expect(() => feed.publish('position', {})).toThrow(/:live/);

    // A burst over 10/s: the extra positions are dropped with a warning, never refused by the server.
    for (let i = 0; i < 15; i++) nikoSub.publish('position', { i });
    const dropped = niko.warnings.filter((w) => w.includes('client events per second')).length;
    expect(dropped).toBeGreaterThanOrEqual(5);
    await noraPositions.count(1 + 15 - dropped);
    await sdk.trigger(`presence-depot-${DEPOT.north}-live`, 'position', { marker: true });
    await noraPositions.next((p) => (p as { marker?: boolean }).marker === true);
    expect(noraPositions.items).toHaveLength(1 + 15 - dropped + 1);
    expect(niko.warnings.some((w) => w.includes('4301'))).toBe(false);
  });

  it('goes reconnecting → connected after an outage and calls onSubscribed again', async () => {
    const { provider, status } = await tab('dispatcher.north@example.com');
    const subscribed = new Inbox<number>();
    const changes = new Inbox<unknown>();
    provider.subscribe(depotChannel(DEPOT.north), {
      events: { changed: changes.push },
      onSubscribed: () => subscribed.push(Date.now()),
    });
    await subscribed.next();
    const states: ConnectionState[] = [];
    status.subscribe(() => states.push(status.getSnapshot().state));

    fake.dropAllConnections();
    await statusReaches(status, 'reconnecting');
    expect(status.getSnapshot()).toMatchObject({ attempt: 1, reason: expect.any(String) });
    expect(status.getSnapshot().nextRetryAt).toBeGreaterThan(0);
    await statusReaches(status, 'connected');
    await subscribed.count(2);
    expect(states).toContain('reconnecting');
    await sdk.trigger(`private-shipments-${DEPOT.north}`, 'changed', { seq: 'after' });
    expect(await changes.next()).toEqual({ seq: 'after' });
  });

  it('keeps one Pusher subscription through a StrictMode unmount/remount', async () => {
    const { provider } = await tab('dispatcher.north@example.com');
    const first = new Inbox<unknown>();
    const second = new Inbox<unknown>();
    const subscribed = new Inbox<true>();
    const channel = depotChannel(DEPOT.north);
    provider.subscribe(channel, { events: { changed: first.push } }).unsubscribe();
    provider.subscribe(channel, {
      events: { changed: second.push },
      onSubscribed: () => subscribed.push(true),
    });
    await subscribed.next();
    expect(provider.channelNames()).toEqual([`private-shipments-${DEPOT.north}`]);
    await until(() => fake.occupancy()[`private-shipments-${DEPOT.north}`] === 1, 'one server-side subscription');
    await sdk.trigger(`private-shipments-${DEPOT.north}`, 'changed', { once: true });
    expect(await second.next()).toEqual({ once: true });
    expect(first.items).toEqual([]);
  });
});
