import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import * as Ably from 'ably';
import { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAblyProvider, RealtimeLimitError, type AblyProvider } from '../../lib/realtime/adapters/ably';
import { ConnectionStatusStore, type ConnectionState } from '../../lib/realtime/connection-status';
import { ablyRestOptions, ablyServerConfig, type AblyServerConfig } from '../../lib/realtime/server/ably-config';
import { capabilityFor, createAblyTokenRequest } from '../../lib/realtime/server/ably-token';
import type { PresenceState } from '../../lib/realtime/types';
import type { Database } from '../../lib/database.types';
import { startFakeAbly, type FakeAbly } from '../fakes/ably-server';
import { DEPOT, USER } from '../support/seed-ids';
import { Inbox, stack } from '@switchboard/devstack/testing';

// The ably adapter in Node against the fake Ably server, with tokens from the
// real token helper for demo users signed in through the test stack.

const API_KEY = 'switchboardTest.adapterKey:adapter-secret-0123456789';
const EMAIL: Partial<Record<keyof typeof USER, string>> = {
  dispatcherNorth: 'dispatcher.north@example.com',
  dispatcherSouth: 'dispatcher.south@example.com',
  dispatcherHq: 'dispatcher.hq@example.com',
  driverNorth1: 'driver.north1@example.com',
};
type DemoUser = keyof typeof EMAIL;

let server: FakeAbly;
let config: AblyServerConfig;
const sessions = new Map<DemoUser, SupabaseClient<Database>>();
const providers: AblyProvider[] = [];

function supabaseClient(): SupabaseClient<Database> {
  return createClient<Database>(stack().apiUrl, stack().anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    // Node 20 has no global WebSocket; supabase-js' realtime client (unused here) needs one.
    realtime: { transport: WebSocket as never },
  });
}

async function signedIn(user: DemoUser): Promise<SupabaseClient<Database>> {
  let client = sessions.get(user);
  if (!client) {
    client = supabaseClient();
    const { error } = await client.auth.signInWithPassword({ email: EMAIL[user]!, password: 'password123' });
    if (error) throw error;
    sessions.set(user, client);
  }
  return client;
}

interface Harness {
  provider: AblyProvider;
  status: ConnectionStatusStore;
  states: Inbox<ConnectionState>;
  warnings: Inbox<string>;
}

async function providerFor(
  user: DemoUser,
  messagesPerSecond?: number,
  target: () => FakeAbly = () => server,
  retryDelays?: { disconnectedMs: number; suspendedMs: number },
): Promise<Harness> {
  const supabase = await signedIn(user);
  const status = new ConnectionStatusStore();
  const states = new Inbox<ConnectionState>();
  status.subscribe(() => states.push(status.getSnapshot().state));
  const warnings = new Inbox<string>();
  const provider = createAblyProvider({
    host: target().host,
    port: target().port,
    retryDelays,
    status,
    log: { warn: (message: string) => warnings.push(message) },
    messagesPerSecond,
    fetchTokenRequest: async () => {
      const outcome = await createAblyTokenRequest(supabase, config);
      if (!outcome.ok) throw new Error(outcome.reason);
      return outcome.tokenRequest;
    },
  });
  providers.push(provider);
  return { provider, status, states, warnings };
}

/** Subscribes and records what the adapter reports. */
function watch(provider: AblyProvider, channel: string, events: string[] = ['shipment.changed'], presenceKey?: string) {
  const received = new Inbox<{ event: string; payload: unknown }>();
  const subscribed = new Inbox<number>();
  const refused = new Inbox<string>();
  const presence = new Inbox<PresenceState>();
  let count = 0;
  const subscription = provider.subscribe(channel, {
    events: Object.fromEntries(events.map((event) => [event, (payload: unknown) => received.push({ event, payload })])),
    onSubscribed: () => subscribed.push((count += 1)),
    onRefused: refused.push,
    ...(presenceKey ? { presence: { key: presenceKey, onSync: presence.push } } : {}),
  });
  return { subscription, received, subscribed, refused, presence };
}

/** Waits for a condition the fake server exposes (it has no events to await). */
async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const depot = (id: string) => `shipments:${id}`;
const live = (id: string) => `depot:${id}:live`;

beforeAll(async () => {
  server = await startFakeAbly({ apiKey: API_KEY });
  config = ablyServerConfig({
    ABLY_API_KEY: API_KEY,
    ABLY_REST_HOST: server.host,
    ABLY_REST_PORT: String(server.port),
    ABLY_REST_TLS: 'false',
  });
});
afterEach(() => {
  for (const provider of providers.splice(0)) provider.close();
});
afterAll(async () => {
  await Promise.all([...sessions.values()].map((client) => client.auth.signOut()));
  await server.close();
});

describe('ably server config', () => {
  it('names what is missing or malformed', () => {
    expect(() => ablyServerConfig({})).toThrow(/ABLY_API_KEY is not set/);
    expect(() => ablyServerConfig({ ABLY_API_KEY: 'no-secret' })).toThrow(/appId\.keyId:secret/);
    expect(() => ablyServerConfig({ ABLY_API_KEY: API_KEY, ABLY_REST_PORT: '8080' })).toThrow(/ABLY_REST_HOST is not/);
    expect(() => ablyServerConfig({ ABLY_API_KEY: API_KEY, ABLY_REST_HOST: 'h', ABLY_REST_TLS: 'maybe' })).toThrow(
      /ABLY_REST_TLS/,
    );
    expect(ablyServerConfig({ ABLY_API_KEY: API_KEY })).toEqual({ apiKey: API_KEY, tls: true });
  });
});

describe('ably token helper', () => {
  it('grants exactly the channels realtime_channel_grants() lists, as the user, with the user id as clientId', async () => {
    const supabase = await signedIn('dispatcherNorth');
    const outcome = await createAblyTokenRequest(supabase, config);
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.tokenRequest.clientId).toBe(USER.dispatcherNorth);
    const capability = JSON.parse(outcome.tokenRequest.capability) as Record<string, string[]>;
    // The app's channels (other test files make throw-away tables live meanwhile).
    const app = Object.fromEntries(
      Object.entries(capability).filter(([name]) => /^(shipments|shipment_notes|depot):/.test(name)),
    );
    expect(app).toEqual({
      [depot(DEPOT.north)]: ['subscribe'],
      [`shipment_notes:${DEPOT.north}`]: ['subscribe'],
      [live(DEPOT.north)]: ['presence', 'publish', 'subscribe'],
      [`shipments:@${USER.dispatcherNorth}`]: ['subscribe'],
      [`shipment_notes:@${USER.dispatcherNorth}`]: ['subscribe'],
    });
  });

  it('says 401 without a session', async () => {
    const outcome = await createAblyTokenRequest(supabaseClient(), config);
    expect(outcome).toMatchObject({ ok: false, status: 401 });
  });

  it('maps grants to operations and ignores names that are not Switchboard channels', () => {
    expect(
      capabilityFor([
        { channel: live(DEPOT.north), read: true, presence: true, write: false },
        { channel: '*', read: true, presence: true, write: true },
      ]),
    ).toEqual({ [live(DEPOT.north)]: ['presence', 'subscribe'] });
  });
});

describe('ably adapter', () => {
  it("refuses North's dispatcher on the South depot channel, with the reason", async () => {
    const { provider } = await providerFor('dispatcherNorth');
    const south = watch(provider, depot(DEPOT.south));
    expect(await south.refused.next()).toMatch(/Not allowed to join shipments:/);
    expect(south.subscribed.items).toEqual([]);
    const north = watch(provider, depot(DEPOT.north));
    await north.subscribed.next();
    expect(server.attachments(depot(DEPOT.south))).toBe(0);
  });

  it('lets HQ attach both depots', async () => {
    const { provider } = await providerFor('dispatcherHq');
    const north = watch(provider, depot(DEPOT.north));
    const south = watch(provider, depot(DEPOT.south));
    await Promise.all([north.subscribed.next(), south.subscribed.next()]);
    expect(north.refused.items.concat(south.refused.items)).toEqual([]);
  });

  it('delivers events published with ably Rest in order, and none after unsubscribe', async () => {
    const { provider } = await providerFor('dispatcherNorth');
    const { provider: hq } = await providerFor('dispatcherHq');
    const channel = depot(DEPOT.north);
    const north = watch(provider, channel);
    const witness = watch(hq, channel);
    await Promise.all([north.subscribed.next(), witness.subscribed.next()]);
    const publisher = new Ably.Rest(ablyRestOptions(config)).channels.get(channel);
    for (let seq = 1; seq <= 20; seq += 1) await publisher.publish('shipment.changed', { seq });
    const got = await north.received.count(20);
    expect(got.map((m) => (m.payload as { seq: number }).seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    north.subscription.unsubscribe();
    await publisher.publish('shipment.changed', { seq: 21 });
    await witness.received.next((m) => (m.payload as { seq: number }).seq === 21);
    expect(north.received.items).toHaveLength(20);
  });

  it('reports presence join, update and leave keyed by clientId, one meta per connection', async () => {
    const { provider: dispatcher } = await providerFor('dispatcherNorth');
    const { provider: driver } = await providerFor('driverNorth1');
    const channel = live(DEPOT.north);
    const board = watch(dispatcher, channel, [], USER.dispatcherNorth);
    const phone = watch(driver, channel, [], USER.driverNorth1);
    await Promise.all([board.subscribed.next(), phone.subscribed.next()]);

    phone.subscription.track({ status: 'on_route' });
    expect(await board.presence.next((s) => USER.driverNorth1 in s)).toEqual({
      [USER.driverNorth1]: [{ status: 'on_route' }],
    });
    board.subscription.track({ viewing: 'SHP-1' });
    await board.presence.next((s) => s[USER.driverNorth1]?.[0]?.status === 'on_route' && USER.dispatcherNorth in s);
    phone.subscription.track({ status: 'delivering' });
    await board.presence.next((s) => s[USER.driverNorth1]?.[0]?.status === 'delivering');
    phone.subscription.untrack();
    expect(await board.presence.next((s) => !(USER.driverNorth1 in s) && USER.dispatcherNorth in s)).toEqual({
      [USER.dispatcherNorth]: [{ viewing: 'SHP-1' }],
    });
  });

  it('ignores presence data that is not an object, with a warning', async () => {
    const { provider, warnings } = await providerFor('dispatcherNorth');
    const channel = live(DEPOT.north);
    const board = watch(provider, channel, [], USER.dispatcherNorth);
    await board.subscribed.next();
    const intruder = new Ably.Realtime({
      key: API_KEY,
      clientId: 'odd-client',
      endpoint: server.host,
      port: server.port,
      tls: false,
      useBinaryProtocol: false,
      fallbackHosts: [],
      disableConnectivityCheck: true,
    });
    try {
      await intruder.channels.get(channel).presence.enter('just a string');
      expect(await warnings.next((w) => w.includes('odd-client'))).toMatch(/not an object/);
      expect(board.presence.items.some((s) => 'odd-client' in s)).toBe(false);
    } finally {
      intruder.close();
    }
  });

  it('goes reconnecting → connected after the server drops every socket, and calls onSubscribed again', async () => {
    const { provider, states } = await providerFor('dispatcherNorth');
    const channel = depot(DEPOT.north);
    const north = watch(provider, channel);
    await north.subscribed.next();
    await states.next((s) => s === 'connected');
    const before = states.items.length;

    server.dropAllConnections();
    await states.next((s) => s === 'reconnecting');
    await states.next((s) => s === 'connected' && states.items.lastIndexOf('connected') > before);
    expect(await north.subscribed.next((n) => n === 2)).toBe(2);

    const publisher = new Ably.Rest(ablyRestOptions(config)).channels.get(channel);
    await publisher.publish('shipment.changed', { seq: 1 });
    await north.received.next();
  });

  it('after a suspension (no connection for longer than the state TTL) re-attaches and calls onSubscribed to catch up', async () => {
    const short = await startFakeAbly({ apiKey: API_KEY, connectionStateTtlMs: 600 });
    try {
      const { provider, status, states } = await providerFor('dispatcherNorth', undefined, () => short, {
        disconnectedMs: 100,
        suspendedMs: 300,
      });
      const channel = depot(DEPOT.north);
      const north = watch(provider, channel);
      await north.subscribed.next();

      short.refuseConnections(true);
      short.dropAllConnections();
      await states.next(
        (s) => s === 'reconnecting' && (status.getSnapshot().reason ?? '').startsWith('connection suspended'),
      );
      expect(north.subscribed.items).toEqual([1]);

      short.refuseConnections(false);
      expect(await north.subscribed.next((n) => n === 2)).toBe(2);
      expect(status.getSnapshot().state).toBe('connected');
      const publisher = new Ably.Rest({ ...ablyRestOptions({ ...config, restPort: short.port }) }).channels.get(
        channel,
      );
      await publisher.publish('shipment.changed', { seq: 1 });
      await north.received.next();
    } finally {
      await short.close();
    }
  });

  it('keeps one attachment through a StrictMode unmount/remount', async () => {
    const { provider } = await providerFor('dispatcherNorth');
    const channel = depot(DEPOT.north);
    const first = watch(provider, channel);
    first.subscription.unsubscribe();
    const second = watch(provider, channel);
    await second.subscribed.next();
    await new Promise((resolve) => setTimeout(resolve, 0)); // past the release tick
    expect(provider.activeChannels()).toEqual([channel]);
    expect(server.attachments(channel)).toBe(1);
    expect(first.subscribed.items).toEqual([]);

    second.subscription.unsubscribe();
    await until(() => server.attachments(channel) === 0, 'the channel to detach');
    expect(provider.activeChannels()).toEqual([]);
  });

  it('throws a clear error for a message over 64 KiB', async () => {
    const { provider } = await providerFor('dispatcherNorth');
    const { subscription } = watch(provider, live(DEPOT.north));
    expect(() => subscription.publish('position', { blob: 'x'.repeat(70_000) })).toThrow(RealtimeLimitError);
    expect(() => subscription.publish('position', { blob: 'x'.repeat(70_000) })).toThrow(/at most 65536/);
  });

  it('stays under the message rate: over budget, it coalesces to the latest per event and warns', async () => {
    const { provider: driver, warnings } = await providerFor('driverNorth1', 10);
    const { provider: dispatcher } = await providerFor('dispatcherNorth');
    const channel = live(DEPOT.north);
    const phone = watch(driver, channel, ['position']);
    const board = watch(dispatcher, channel, ['position']);
    await Promise.all([phone.subscribed.next(), board.subscribed.next()]);
    for (let i = 1; i <= 30; i += 1) phone.subscription.publish('position', { i });
    await board.received.next((m) => (m.payload as { i: number }).i === 30);
    const seen = board.received.items.map((m) => (m.payload as { i: number }).i);
    expect(seen.slice(0, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen).toHaveLength(11);
    expect(await warnings.next((w) => w.includes('dropped'))).toMatch(/dropped 19 superseded/);
  });
});
