// One status truth per provider (issue 17, item 3): through each adapter's
// official client, a channel that fails and then recovers leaves the tab's
// status — and the badge rendered from it — at "Live", with no attempt, no
// reason and no retry time left over from the error.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import PusherServer from 'pusher';
import postgres from 'postgres';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ConnectionBadgeView } from '../../components/connection-badge';
import type { Database } from '../../lib/database.types';
import { createAblyProvider } from '../../lib/realtime/adapters/ably';
import { createPusherProvider } from '../../lib/realtime/adapters/pusher';
import { createSupabaseProvider, realtimeSocketOptions } from '../../lib/realtime/adapters/supabase';
import { ConnectionStatusStore, type ConnectionStatus } from '../../lib/realtime/connection-status';
import { ablyServerConfig } from '../../lib/realtime/server/ably-config';
import { createAblyTokenRequest } from '../../lib/realtime/server/ably-token';
import { authorizePusherChannel } from '../../lib/realtime/server/pusher-auth';
import { createPerson, PASSWORD } from '../contract/fixtures';
import { startFakeAbly, type FakeAbly } from '../fakes/ably-server';
import { startFakePusher, type FakePusher } from '../fakes/pusher-server';
import { DEPOT } from '../support/seed-ids';
import { Inbox, privateApi, stack } from '@switchboard/devstack/testing';

const sql = postgres(stack().dbUrl, { max: 2, onnotice: () => {} });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => sql.end());

async function signIn(email: string, password = 'password123', options = {}): Promise<SupabaseClient<Database>> {
  const client = createClient<Database>(stack().apiUrl, stack().anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
    ...options,
  });
  const { error } = await client.auth.signInWithPassword({ email, password });
  if (error) throw error;
  cleanups.push(() => client.auth.signOut());
  return client;
}

/** An HTTP route that answers 503 to its first `failures` requests, then lets `handle` answer. */
async function flakyRoute(
  failures: number,
  handle: (body: URLSearchParams) => Promise<{ status: number; body: unknown }>,
): Promise<{ url: string; requests: number[] }> {
  const requests: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer =
        requests.length < failures
          ? Promise.resolve({ status: 503, body: { error: 'the auth service is restarting' } })
          : handle(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      void answer.then(({ status, body }) => {
        requests.push(status);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/route`, requests };
}

/** Records every snapshot the store publishes. */
function record(status: ConnectionStatusStore): Inbox<ConnectionStatus> {
  const seen = new Inbox<ConnectionStatus>();
  status.subscribe(() => seen.push(status.getSnapshot()));
  return seen;
}

/** The recovered status, as the badge shows it: Live and nothing else from the error. */
function expectLiveBadge(status: ConnectionStatusStore): void {
  const snapshot = status.getSnapshot();
  expect(snapshot).toMatchObject({ state: 'connected', attempt: 0, nextRetryAt: null, reason: null });
  const html = renderToStaticMarkup(createElement(ConnectionBadgeView, { status: snapshot, now: Date.now() }));
  expect(html).toContain('data-state="connected"');
  expect(html).toContain('>Live<');
  expect(html).not.toMatch(/attempt|next try|503/);
}

describe('pusher: the auth route answers 503 twice, then succeeds', () => {
  const app = { appId: '9191', key: 'status-key', secret: 'status-secret' };
  let fake: FakePusher;
  beforeAll(async () => {
    fake = await startFakePusher(app);
  });
  afterAll(() => fake.close());

  it('shows reconnecting (attempts 1 and 2, the 503 as the reason), then Live, and events flow', async () => {
    const supabase = await signIn('dispatcher.north@example.com');
    const route = await flakyRoute(2, async (form) =>
      authorizePusherChannel(supabase, app, {
        socket_id: form.get('socket_id') ?? undefined,
        channel_name: form.get('channel_name') ?? undefined,
      }),
    );
    const status = new ConnectionStatusStore();
    const seen = record(status);
    const provider = createPusherProvider({
      key: app.key,
      cluster: 'fake',
      host: fake.host,
      port: fake.port,
      status,
      authEndpoint: route.url,
      warn: () => {},
    });
    cleanups.push(() => provider.disconnect());
    const received = new Inbox<unknown>();
    const subscribed = new Inbox<true>();
    provider.subscribe(`shipments:${DEPOT.north}`, {
      events: { changed: received.push },
      onSubscribed: () => subscribed.push(true),
    });

    const second = await seen.next((s) => s.state === 'reconnecting' && s.attempt === 2);
    expect(second.reason).toContain('503');
    expect(second.nextRetryAt).toBeGreaterThan(Date.now() - 50);
    await subscribed.next();
    expect(route.requests).toEqual([503, 503, 200]);
    expectLiveBadge(status);

    const sdk = new PusherServer({ ...app, host: fake.host, port: String(fake.port), useTLS: false });
    await sdk.trigger(`private-shipments-${DEPOT.north}`, 'changed', { seq: 1 });
    expect(await received.next()).toEqual({ seq: 1 });
    expectLiveBadge(status);
  });
});

describe('ably: the token route answers 503 twice, then succeeds', () => {
  const apiKey = 'statusApp.statusKey:status-secret-0123456789';
  let fake: FakeAbly;
  beforeAll(async () => {
    fake = await startFakeAbly({ apiKey });
  });
  afterAll(() => fake.close());

  it('shows reconnecting with the 503, then Live once connected and attached, and messages flow', async () => {
    const supabase = await signIn('dispatcher.north@example.com');
    const config = ablyServerConfig({
      ABLY_API_KEY: apiKey,
      ABLY_REST_HOST: fake.host,
      ABLY_REST_PORT: String(fake.port),
      ABLY_REST_TLS: 'false',
    });
    const route = await flakyRoute(2, async () => {
      const outcome = await createAblyTokenRequest(supabase, config);
      return outcome.ok
        ? { status: 200, body: outcome.tokenRequest }
        : { status: outcome.status, body: { error: outcome.reason } };
    });
    const status = new ConnectionStatusStore();
    const seen = record(status);
    const provider = createAblyProvider({
      host: fake.host,
      port: fake.port,
      tokenUrl: route.url,
      status,
      log: { warn: () => {} },
      retryDelays: { disconnectedMs: 300, suspendedMs: 600 },
    });
    cleanups.push(() => provider.close());
    const received = new Inbox<unknown>();
    const subscribed = new Inbox<true>();
    provider.subscribe(`shipments:${DEPOT.north}`, {
      events: { changed: received.push },
      onSubscribed: () => subscribed.push(true),
    });

    const failing = await seen.next((s) => s.state === 'reconnecting' && s.attempt >= 1, 20_000);
    expect(failing.reason).toContain('503');
    await subscribed.next(() => true, 20_000);
    expect(route.requests.slice(0, 3)).toEqual([503, 503, 200]);
    expectLiveBadge(status);

    const { ablyRestOptions } = await import('../../lib/realtime/server/ably-config');
    const Ably = await import('ably');
    await new Ably.Rest(ablyRestOptions(config)).channels
      .get(`shipments:${DEPOT.north}`)
      .publish('changed', { seq: 7 });
    expect(await received.next()).toEqual({ seq: 7 });
    expectLiveBadge(status);
  });
});

describe('supabase', () => {
  it('a join refused by RLS is a refusal, not an outage: the tab stays live; supabase-js retries and the channel joins once allowed', async () => {
    // Depots and a person of this test's own: the seed's depots keep exactly their documented members.
    const [{ id: homeId }, { id: depotId }] = await sql<{ id: string }[]>`
      insert into depots (name, min_lat, min_lng, max_lat, max_lng)
      values (${`Status home ${process.pid} ${Date.now()}`}, 1, 1, 2, 2),
             (${`Status recovery ${process.pid} ${Date.now()}`}, 1, 1, 2, 2)
      returning id`;
    const person = await createPerson(sql, 'status', 'dispatcher', 'Status Dispatcher');
    await sql`insert into depot_members (depot_id, user_id) values (${homeId}, ${person.id})`;
    const status = new ConnectionStatusStore();
    const supabase = await signIn(person.email, PASSWORD, {
      realtime: { transport: WebSocket as never, ...realtimeSocketOptions(status) },
    });
    const provider = createSupabaseProvider(supabase, { status });
    cleanups.push(() => provider.close());
    const own = new Inbox<true>();
    provider.subscribe(`shipments:${homeId}`, { events: {}, onSubscribed: () => own.push(true) });
    await own.next();
    const refused = new Inbox<string>();
    const subscribed = new Inbox<true>();
    provider.subscribe(`shipments:${depotId}`, {
      events: {},
      onRefused: refused.push,
      onSubscribed: () => subscribed.push(true),
    });

    // Not a member yet: the subscribers are told; the tab's other channel is live, so the tab is.
    expect(await refused.next()).toMatch(/unauthorized/i);
    expect(status.describeLinks().find((l) => l.label.endsWith(depotId))?.state).toBe('refused');
    expectLiveBadge(status);

    await sql`insert into depot_members (depot_id, user_id) values (${depotId}, ${person.id})`;
    await subscribed.next(() => true, 20_000);
    expect(status.describeLinks().find((l) => l.label.endsWith(depotId))?.state).toBe('connected');
    expectLiveBadge(status);
  });

  it('after the server drops the socket: the socket wait is shown, then Live once every channel rejoined', async () => {
    const api = await privateApi({});
    cleanups.push(() => api.close());
    const status = new ConnectionStatusStore();
    const seen = record(status);
    const supabase = createClient<Database>(api.url, stack().anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never, ...realtimeSocketOptions(status) },
    });
    const { error } = await supabase.auth.signInWithPassword({
      email: 'dispatcher.hq@example.com',
      password: 'password123',
    });
    if (error) throw error;
    const provider = createSupabaseProvider(supabase, { status });
    cleanups.push(() => provider.close());
    const joins = new Inbox<string>();
    for (const depot of [DEPOT.north, DEPOT.south])
      provider.subscribe(`shipments:${depot}`, { events: {}, onSubscribed: () => joins.push(depot) });
    await joins.count(2);
    expectLiveBadge(status);

    api.realtime.dropAllConnections();
    const waiting = await seen.next((s) => s.state === 'reconnecting' && s.reason === 'connection lost');
    expect(waiting.nextRetryAt).toBeGreaterThan(Date.now() - 50);
    await joins.count(4, () => true, 20_000);
    expectLiveBadge(status);
  });
});
