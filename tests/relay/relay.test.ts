// The outbox relay, real code against the test database, publishing into an
// in-process recording publisher. Other test files write to the outbox too
// (the relay delivers their rows as well); every assertion here looks only at
// the channels of depots this file creates.
import { once } from 'node:events';
import * as Ably from 'ably';
import postgres, { type Sql } from 'postgres';
import PusherServer from 'pusher';
import PusherClient from 'pusher-js';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { ablyPublisher } from '../../relay/publishers/ably';
import { describeError } from '../../relay/publishers/publisher';
import { pusherPublisher } from '../../relay/publishers/pusher';
import { createRelayLogger, silentLogger } from '../../relay/log';
import { Relay, type RelayOptions } from '../../relay/relay';
import { startFakeAbly } from '../fakes/ably-server';
import { startFakePusher } from '../fakes/pusher-server';
import { FakePublisher, type PublishCall } from './fake-publisher';

const sql = connect(6);
const running: { stop: AbortController; done: Promise<unknown> }[] = [];

function connect(max: number): Sql {
  return postgres(inject('stack').dbUrl, { max, onnotice: () => {} });
}

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop.abort();
    await r.done.catch(() => {});
  }
});
afterAll(() => sql.end());

/** Starts a relay; it is stopped after the test. */
function start(options: Partial<RelayOptions> & Pick<RelayOptions, 'publisher'>, pool = sql) {
  const relay = new Relay({
    sql: pool,
    logger: process.env.RELAY_TEST_LOG ? createRelayLogger('text') : silentLogger,
    pollIntervalMs: 60_000,
    backoff: { baseMs: 40, maxMs: 1_000 },
    ...options,
  });
  const stop = new AbortController();
  const active = once(relay, 'active');
  const done = relay.run(stop.signal);
  // A crashed relay rejects before the test looks at it; that is expected, not unhandled.
  done.catch(() => {});
  running.push({ stop, done });
  return { relay, stop, done, active };
}

/** A depot of our own with `shipments` shipments; returns its channel and shipment ids. */
async function makeDepot(
  label: string,
  shipments = 1,
): Promise<{ id: string; channel: string; shipmentIds: string[] }> {
  const [{ id }] = await sql`
    insert into depots (name, min_lat, min_lng, max_lat, max_lng)
    values (${`Relay ${label} ${process.pid} ${Math.random()}`}, 10, 10, 11, 11) returning id`;
  const rows = await sql`
    insert into shipments (depot_id, reference, recipient, address)
    select ${id}, 'RLY-' || upper(left(replace(${id}::text, '-', ''), 16)) || '-' || n, 'Recipient', 'Address' from generate_series(1, ${shipments}) n returning id`;
  return { id, channel: `shipments:${id}`, shipmentIds: rows.map((r) => r.id as string) };
}

/** One committed change (one outbox row on the depot channel). */
async function change(shipmentId: string, note: string): Promise<void> {
  await sql`update shipments set recipient = ${note} where id = ${shipmentId}`;
}

/** The seqs the outbox holds for a channel, in id order. */
async function outboxSeqs(channel: string): Promise<number[]> {
  const rows = await sql`select seq::int as seq from realtime_outbox where channel = ${channel} order by id`;
  return rows.map((r) => r.seq as number);
}

const seqsOn = (calls: PublishCall[], channel: string) =>
  calls.filter((c) => c.channel === channel).map((c) => c.payload.seq as number);

/** Resolves when the async `condition` holds, re-checked whenever the relay finishes a batch or goes idle. */
async function untilRelay(
  relay: Relay,
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  if (await condition()) return;
  await new Promise<void>((resolve, reject) => {
    let checking = false;
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      relay.off('batch', check);
      relay.off('idle', check);
      if (err) reject(err);
      else resolve();
    };
    const check = () => {
      if (checking) return;
      checking = true;
      condition().then(
        (ok) => {
          checking = false;
          if (ok) finish();
        },
        (err: Error) => finish(err),
      );
    };
    relay.on('batch', check);
    relay.on('idle', check);
  });
}

const undeliveredOn = async (channels: string[]) =>
  Number(
    (await sql`select count(*) as n from realtime_outbox where channel in ${sql(channels)} and delivered_at is null`)[0]
      .n,
  );

describe('outbox relay', () => {
  it('delivers each channel in order, marks rows delivered, and wakes on NOTIFY', async () => {
    const a = await makeDepot('order-a', 2);
    const b = await makeDepot('order-b', 2);
    for (let i = 0; i < 10; i++) {
      await change(a.shipmentIds[i % 2], `a${i}`);
      await change(b.shipmentIds[i % 2], `b${i}`);
    }
    const fake = new FakePublisher();
    const { relay, active } = start({ publisher: fake.as('r1'), batchSize: 7 });
    await active;

    const expectedA = await outboxSeqs(a.channel);
    const expectedB = await outboxSeqs(b.channel);
    expect(expectedA).toHaveLength(12); // 2 inserts + 10 updates
    await fake.waitFor(
      () => seqsOn(fake.accepted, a.channel).length === 12 && seqsOn(fake.accepted, b.channel).length === 12,
    );
    expect(seqsOn(fake.accepted, a.channel)).toEqual(expectedA);
    expect(seqsOn(fake.accepted, b.channel)).toEqual(expectedB);
    expect(fake.accepted.find((c) => c.channel === a.channel)).toMatchObject({
      event: 'changed',
      payload: { scope: a.id },
    });
    await untilRelay(relay, async () => (await undeliveredOn([a.channel, b.channel])) === 0, 'rows marked delivered');

    // Idle now; the poll is 60 s away, so only the notification can wake it.
    const started = performance.now();
    await change(a.shipmentIds[0], 'after idle');
    const [last] = await sql`select max(seq)::int as seq from realtime_outbox where channel = ${a.channel}`;
    await fake.waitFor(() => seqsOn(fake.accepted, a.channel).includes(last.seq));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(seqsOn(fake.accepted, a.channel)).toEqual([...expectedA, last.seq]);
  });

  it('retries a failing channel with backoff, never lets its later rows overtake, and keeps other channels flowing', async () => {
    const a = await makeDepot('retry-a');
    const b = await makeDepot('retry-b');
    for (let i = 0; i < 4; i++) {
      await change(a.shipmentIds[0], `a${i}`);
      await change(b.shipmentIds[0], `b${i}`);
    }
    const expectedA = await outboxSeqs(a.channel);
    const expectedB = await outboxSeqs(b.channel);
    const fake = new FakePublisher();
    fake.failTimes(a.channel, 4, 'HTTP 503 provider unavailable');
    // random → 1: every retry waits its whole ceiling, so the gaps show the exponential growth.
    const logs: Record<string, unknown>[] = [];
    const { relay } = start({
      publisher: fake.as('r1'),
      backoff: { baseMs: 40, maxMs: 1_000 },
      random: () => 1,
      logger: createRelayLogger('json', (line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
    });

    await fake.waitFor(
      () => seqsOn(fake.accepted, a.channel).length === expectedA.length,
      20_000,
      'channel a delivered',
    );
    await fake.waitFor(
      () => seqsOn(fake.accepted, b.channel).length === expectedB.length,
      20_000,
      'channel b delivered',
    );

    const callsA = fake.calls.filter((c) => c.channel === a.channel);
    // Four failures of the first row, then every row once, in order.
    expect(callsA.map((c) => `${c.payload.seq}:${c.ok ? 'ok' : 'fail'}`)).toEqual([
      ...Array.from({ length: 4 }, () => `${expectedA[0]}:fail`),
      ...expectedA.map((s) => `${s}:ok`),
    ]);
    // Backoff: retry n waits base·2^(n-1) (its ceiling, with the jitter pinned to 1).
    const gaps = callsA.slice(1, 5).map((c, i) => c.at - callsA[i].at);
    gaps.forEach((gap, i) => expect(gap, `gap before retry ${i + 1}`).toBeGreaterThanOrEqual(40 * 2 ** i - 5));
    // The healthy channel did not wait for the failing one.
    const lastB = fake.calls.findLastIndex((c) => c.channel === b.channel);
    const firstOkA = fake.calls.findIndex((c) => c.channel === a.channel && c.ok);
    expect(lastB).toBeLessThan(firstOkA);
    expect(seqsOn(fake.accepted, b.channel)).toEqual(expectedB);

    await untilRelay(relay, async () => (await undeliveredOn([a.channel, b.channel])) === 0, 'rows marked delivered');
    const [head] =
      await sql`select attempts, last_error from realtime_outbox where channel = ${a.channel} order by id limit 1`;
    expect(head.attempts).toBe(4);
    expect(head.last_error).toContain('HTTP 503 provider unavailable');
    const others = await sql`select attempts from realtime_outbox where channel = ${a.channel} order by id offset 1`;
    expect(others.every((r) => r.attempts === 0)).toBe(true);
    // Each failure is one structured warning (JSON through pino), naming the row, the attempt and the wait.
    const failures = logs.filter((l) => l.msg === 'publish failed; retrying the row before later rows of its channel');
    expect(failures.map((l) => [l.level, l.service, l.channel, l.attempt, l.retry_in_ms])).toEqual(
      [1, 2, 3, 4].map((n) => ['warn', 'relay', a.channel, n, 40 * 2 ** (n - 1)]),
    );
    expect(failures[0].error).toContain('HTTP 503 provider unavailable');
  });

  it('prunes delivered rows older than the retention window, never undelivered ones', async () => {
    const d = await makeDepot('prune');
    await change(d.shipmentIds[0], 'p1');
    await change(d.shipmentIds[0], 'p2');
    const fake = new FakePublisher();
    const { relay } = start({ publisher: fake.as('r1') });
    await untilRelay(relay, async () => (await undeliveredOn([d.channel])) === 0, 'rows delivered');
    const ids = (await sql`select id from realtime_outbox where channel = ${d.channel} order by id`).map(
      (r) => r.id as string,
    );
    expect(ids).toHaveLength(3);
    // The first two were delivered 2 h ago; one old message was never delivered. (A one-hour window
    // here: every other relay on this shared database keeps the default 24 h, so none prunes them first.)
    await sql`update realtime_outbox set delivered_at = now() - interval '2 hours' where id in ${sql(ids.slice(0, 2))}`;
    const [stuck] = await sql`
      insert into realtime_outbox (channel, event, payload, created_at, next_attempt_at)
      values (${d.channel}, 'test_stuck', '{}', now() - interval '3 days', now() + interval '1 hour') returning id`;

    const pruner = new Relay({
      sql,
      publisher: fake.as('pruner'),
      logger: silentLogger,
      retentionMs: 60 * 60 * 1000,
    });
    expect(await pruner.prune()).toBeGreaterThanOrEqual(2);
    const left = (await sql`select id from realtime_outbox where channel = ${d.channel} order by id`).map(
      (r) => r.id as string,
    );
    expect(left).toEqual([ids[2], stuck.id]);
    await sql`delete from realtime_outbox where id = ${stuck.id}`;
  });

  it('a standby takes over when the active relay dies mid-stream: 1,000 changes, each delivered once after dedupe, in seq order per channel', async () => {
    const CHANGES = 1_000;
    const depots = await Promise.all(['c1', 'c2', 'c3', 'c4', 'c5'].map((label) => makeDepot(`crash-${label}`, 2)));
    const channels = depots.map((d) => d.channel);
    const fake = new FakePublisher();

    // Relay 1 "crashes" at its 300th publish on our channels: its connections
    // are cut (the lock goes with them) and it publishes nothing more.
    const pool1 = connect(2);
    let published = 0;
    let crashed = false;
    let crashedAt = 0;
    const crash = fake.as('r1', ({ channel }) => {
      if (crashed) throw new Error('process is dead');
      if (channels.includes(channel) && ++published === 300) {
        crashed = true;
        crashedAt = performance.now();
        void pool1.end({ timeout: 0 });
      }
    });
    const r1 = start({ publisher: crash, batchSize: 50 }, pool1);
    await r1.active;

    // Relay 2 waits on the lock as a standby.
    const pool2 = connect(2);
    const r2 = start({ publisher: fake.as('r2'), batchSize: 50 }, pool2);
    const r2Active = r2.active.then(() => performance.now());

    // The writers: 5 depots in parallel, 200 commits each, while relay 1 drains.
    await Promise.all(
      depots.map(async (d, w) => {
        for (let i = 0; i < CHANGES / depots.length; i++) await change(d.shipmentIds[i % 2], `w${w}-${i}`);
      }),
    );
    const expected = new Map(await Promise.all(channels.map(async (c) => [c, await outboxSeqs(c)] as const)));
    const total = [...expected.values()].reduce((n, s) => n + s.length, 0);
    expect(total).toBe(CHANGES + 10); // + the 10 inserts

    const firstDelivery = () => {
      const seen = new Map<string, number[]>();
      const keys = new Set<string>();
      for (const c of fake.accepted) {
        if (!expected.has(c.channel)) continue;
        const key = `${c.channel}#${c.payload.seq}`;
        if (keys.has(key)) continue;
        keys.add(key);
        seen.set(c.channel, [...(seen.get(c.channel) ?? []), c.payload.seq as number]);
      }
      return { seen, count: keys.size };
    };
    await fake.waitFor(() => firstDelivery().count === total, 30_000, 'every change delivered');
    await expect(r1.done).rejects.toThrow();
    const takeover = await r2Active;

    expect(crashed).toBe(true);
    expect(takeover).toBeGreaterThanOrEqual(crashedAt);
    // Relay 1 published nothing after its crash (the 300th went out, then it died);
    // relay 2 nothing before it took over.
    const ours = fake.calls.filter((c) => expected.has(c.channel));
    expect(ours.filter((c) => c.by === 'r1' && c.ok)).toHaveLength(300);
    expect(ours.filter((c) => c.by === 'r2').every((c) => c.at >= takeover)).toBe(true);
    // After dedupe by (channel, seq): exactly the outbox, in seq order, per channel.
    const { seen } = firstDelivery();
    for (const [channel, seqs] of expected) expect(seen.get(channel), channel).toEqual(seqs);
    // Duplicates are only re-sends of rows relay 1 published but had not marked yet.
    const dupes = fake.accepted.filter((c) => expected.has(c.channel)).length - total;
    expect(dupes).toBeLessThanOrEqual(50 * 5);

    await untilRelay(r2.relay, async () => (await undeliveredOn(channels)) === 0, 'rows marked delivered');
    r2.stop.abort();
    await r2.done;
    await pool2.end();
  }, 60_000);
});

describe('through the provider SDKs into the fake servers', () => {
  it('pusher: the relay triggers with the pusher SDK; pusher-js receives the change on the private depot channel', async () => {
    const app = { appId: '4343', key: 'relay-key', secret: 'relay-secret' };
    const server = await startFakePusher(app);
    const client = new PusherClient(app.key, {
      cluster: 'fake',
      wsHost: server.host,
      wsPort: server.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      channelAuthorization: {
        customHandler: ({ socketId, channelName }, callback) =>
          callback(null, signer.authorizeChannel(socketId, channelName)),
      },
    });
    const signer = new PusherServer({ ...app, host: server.host, port: String(server.port), useTLS: false });
    try {
      const config = { ...app, host: server.host, port: server.port, useTLS: false };
      const wrong = await pusherPublisher({ ...config, secret: 'not-the-secret' })
        .verify()
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(wrong, 'a wrong secret is refused at startup').not.toBeNull();
      expect(describeError(wrong)).toMatch(/HTTP 40[13]/);
      const publisher = pusherPublisher(config);
      await publisher.verify();

      const d = await makeDepot('pusher');
      const channel = client.subscribe(`private-shipments-${d.id}`);
      await new Promise<void>((resolve, reject) => {
        channel.bind('pusher:subscription_succeeded', () => resolve());
        channel.bind('pusher:subscription_error', (err: unknown) => reject(new Error(JSON.stringify(err))));
      });
      const received: { seq: number; id: string }[] = [];
      let arrived!: () => void;
      const allArrived = new Promise<void>((resolve) => (arrived = resolve));
      channel.bind('changed', (payload: { seq: number; id: string }) => {
        received.push(payload);
        if (received.length === 3) arrived();
      });

      start({ publisher });
      await change(d.shipmentIds[0], 'p1');
      await change(d.shipmentIds[0], 'p2');
      await allArrived;
      expect(received.map((p) => p.seq)).toEqual(await outboxSeqs(d.channel));
      expect(received.every((p) => p.id === d.shipmentIds[0])).toBe(true);
    } finally {
      client.disconnect();
      await server.close();
    }
  });

  it('ably: the relay publishes with ably REST; an ably Realtime subscriber receives the change', async () => {
    const apiKey = 'relayApp.relayKey:relay-secret-0123456789';
    const server = await startFakeAbly({ apiKey });
    const endpoint = {
      endpoint: server.host,
      port: server.port,
      tls: false,
      useBinaryProtocol: false,
      fallbackHosts: [],
      disableConnectivityCheck: true,
    };
    const client = new Ably.Realtime({ key: apiKey, ...endpoint, logLevel: 0 });
    try {
      const config = { apiKey, restHost: server.host, port: server.port, tls: false };
      const wrong = await ablyPublisher({ ...config, apiKey: 'relayApp.relayKey:wrong-secret' })
        .verify()
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(wrong, 'a wrong key is refused at startup').not.toBeNull();
      expect(describeError(wrong)).toMatch(/HTTP 40[13]/);
      const publisher = ablyPublisher(config);
      await publisher.verify();

      const d = await makeDepot('ably');
      const received: { seq: number; id: string }[] = [];
      let arrived!: () => void;
      const allArrived = new Promise<void>((resolve) => (arrived = resolve));
      await client.channels.get(d.channel).subscribe('changed', (message) => {
        received.push(message.data as { seq: number; id: string });
        if (received.length === 3) arrived();
      });

      start({ publisher });
      await change(d.shipmentIds[0], 'a1');
      await change(d.shipmentIds[0], 'a2');
      await allArrived;
      expect(received.map((p) => p.seq)).toEqual(await outboxSeqs(d.channel));
      expect(received.every((p) => p.id === d.shipmentIds[0])).toBe(true);
    } finally {
      client.close();
      await server.close();
    }
  });
});
