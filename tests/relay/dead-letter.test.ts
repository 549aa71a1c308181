// The relay's dead letters (issue 16, item 2), on a database and API of this
// file's own (dead letters are counted and re-queued here; no other file's
// rows may be among them): a row that keeps failing, or that the provider
// refuses for good, moves to realtime_outbox_dead_letters with the reason; its
// channel goes on; a metric and a log line say so; browsers still converge from
// the history; `npm run relay -- --retry-dead` re-queues after a fix.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import postgres, { type Sql } from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import type { Database } from '../../lib/database.types';
import { liveChangeSchema, type LiveChange, type VersionedRow } from '../../lib/live/schema';
import { SeqFeed } from '../../lib/live/seq-feed';
import { createAblyProvider } from '../../lib/realtime/adapters/ably';
import { ChannelRefusedError, createPusherProvider } from '../../lib/realtime/adapters/pusher';
import { ConnectionStatusStore } from '../../lib/realtime/connection-status';
import { ablyServerConfig } from '../../lib/realtime/server/ably-config';
import { createAblyTokenRequest } from '../../lib/realtime/server/ably-token';
import { authorizePusherChannel } from '../../lib/realtime/server/pusher-auth';
import type { RealtimeProvider } from '../../lib/realtime/types';
import { createRelayMetrics, observeRelay } from '../../relay/metrics';
import { ablyPublisher } from '../../relay/publishers/ably';
import type { Publisher } from '../../relay/publishers/publisher';
import { pusherPublisher } from '../../relay/publishers/pusher';
import { createRelayLogger } from '../../relay/log';
import { Relay, type RelayOptions } from '../../relay/relay';
import { createPerson, createThrowawayLiveTable, PASSWORD, type ContractPerson } from '../contract/fixtures';
import { startPrivateStack, type PrivateStack } from '../contract/private-stack';
import { startFakeAbly } from '../fakes/ably-server';
import { startFakePusher } from '../fakes/pusher-server';
import { metricValue } from '@switchboard/devstack/testing';
import { FakePublisher } from './fake-publisher';

const root = path.resolve(import.meta.dirname, '../..');
let stack: PrivateStack;
let sql: Sql;
let relaySql: Sql;
/** The throw-away live table (`label text`, scoped by depot) the refused rows are written to. */
let table: string;
const running: { stop: AbortController; done: Promise<unknown> }[] = [];

beforeAll(async () => {
  stack = await startPrivateStack('deadletter');
  sql = stack.sql;
  relaySql = postgres(stack.dbUrl, { max: 3, onnotice: () => {} });
  table = (await createThrowawayLiveTable(sql)).table;
}, 60_000);
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop.abort();
    await r.done.catch(() => {});
  }
});
afterAll(async () => {
  await relaySql.end({ timeout: 1 });
  await stack.stop();
});

function start(publisher: Publisher, options: Partial<RelayOptions> = {}) {
  const lines: string[] = [];
  const relay = new Relay({
    sql: relaySql,
    publisher,
    logger: createRelayLogger('json', (line) => lines.push(line)),
    pollIntervalMs: 60_000,
    backoff: { baseMs: 20, maxMs: 200 },
    ...options,
  });
  const metrics = createRelayMetrics({ defaultMetrics: false });
  const observer = observeRelay(relay, relaySql, metrics, (err) => lines.push(`metrics failed: ${String(err)}`));
  const stop = new AbortController();
  const done = relay.run(stop.signal).finally(() => observer.stop());
  done.catch(() => {});
  running.push({ stop, done });
  return { relay, lines, metrics, observer };
}

/** A depot of its own, with a dispatcher who may read it. */
async function makeDepot(label: string): Promise<{ id: string; channel: string; dispatcher: ContractPerson }> {
  const [{ id }] = await sql<{ id: string }[]>`
    insert into depots (name, min_lat, min_lng, max_lat, max_lng)
    values (${`Dead letter ${label} ${Date.now()} ${Math.random()}`}, 1, 1, 2, 2) returning id`;
  const dispatcher = await createPerson(sql, `dl-${label}`, 'dispatcher', 'Dead Letter Dispatcher');
  await sql`insert into depot_members (depot_id, user_id) values (${id}, ${dispatcher.id})`;
  return { id, channel: `${table}:${id}`, dispatcher };
}

/** Inserts an item with `label`; returns its id. One committed change (one outbox row). */
async function insertItem(depotId: string, label: string): Promise<string> {
  const [{ id }] = await sql.unsafe(`insert into public.${table} (depot_id, label) values ($1, $2) returning id`, [
    depotId,
    label,
  ]);
  return String(id);
}

async function setLabel(itemId: string, label: string): Promise<void> {
  await sql.unsafe(`update public.${table} set label = $2 where id = $1`, [itemId, label]);
}

const outboxOf = async (channel: string) =>
  sql<{ id: string; seq: number; delivered: boolean; attempts: number }[]>`
    select id::text, seq::int, delivered_at is not null as delivered, attempts
      from realtime_outbox where channel = ${channel} order by id`;
const deadOf = async (channel: string) =>
  sql<{ id: string; seq: number; attempts: number; reason: string; permanent: boolean }[]>`
    select id::text, seq::int, attempts, reason, permanent
      from realtime_outbox_dead_letters where channel = ${channel} order by id`;

/** Polls a database condition (the relay has no event for "row moved"). */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'relay/cli.ts', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: stack.dbUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

describe('dead letters', () => {
  it('after N failed attempts the row moves to the dead letters with its last error; the channel goes on; a metric and a log line say so; --retry-dead re-queues it after the fix', async () => {
    const depot = await makeDepot('attempts');
    const item = await insertItem(depot.id, 'v1');
    await setLabel(item, 'v2');
    await setLabel(item, 'v3');
    const [first, ...rest] = await outboxOf(depot.channel);
    const fake = new FakePublisher();
    const fix = fake.failWhere(
      (call) => call.channel === depot.channel && (call.payload as { seq?: number }).seq === first.seq,
      'HTTP 503 provider unavailable',
    );
    const { lines, metrics, observer } = start(fake.as('r1'), { maxAttempts: 3 });

    // Three failures of the head row, then the rest of the channel, in order.
    await fake.waitFor(() => fake.accepted.filter((c) => c.channel === depot.channel).length === rest.length);
    const calls = fake.calls.filter((c) => c.channel === depot.channel);
    expect(calls.map((c) => `${c.payload.seq}:${c.ok ? 'ok' : 'fail'}`)).toEqual([
      `${first.seq}:fail`,
      `${first.seq}:fail`,
      `${first.seq}:fail`,
      ...rest.map((r) => `${r.seq}:ok`),
    ]);
    const [dead] = await deadOf(depot.channel);
    expect(dead).toMatchObject({ id: first.id, seq: first.seq, attempts: 3, permanent: false });
    expect(dead.reason).toContain('HTTP 503 provider unavailable');
    expect((await outboxOf(depot.channel)).map((r) => r.id)).toEqual(rest.map((r) => r.id));
    expect(lines.some((l) => l.includes(`dead letter: row ${first.id}`) && l.includes('after 3 attempts'))).toBe(true);

    await until(
      async () => (await outboxOf(depot.channel)).every((r) => r.delivered),
      (ok) => ok,
      'later rows marked delivered',
    );
    // The relay marks the later rows delivered before it reports the batch (the metrics' source): wait for the report.
    await until(
      async () =>
        metricValue(await metrics.registry.metrics(), 'switchboard_relay_dead_lettered_total', { cause: 'attempts' }),
      (n) => n === 1,
      'the dead letter counted',
    );
    await observer.sampled();
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'switchboard_relay_dead_lettered_total', { cause: 'attempts' })).toBe(1);
    expect(metricValue(text, 'switchboard_relay_failures_total')).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'switchboard_relay_dead_letters')).toBeGreaterThanOrEqual(1);

    // The fix, then the command: the row goes back under its own id and is published.
    fix();
    const cli = await runCli(['--retry-dead', '--channel', depot.channel]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`re-queued row ${first.id} (${depot.channel} changed seq ${first.seq})`);
    expect(await deadOf(depot.channel)).toEqual([]);
    await fake.waitFor(() => fake.accepted.some((c) => c.channel === depot.channel && c.payload.seq === first.seq));
    await until(
      async () => (await outboxOf(depot.channel)).find((r) => r.id === first.id),
      (row) => row?.delivered === true && row.attempts === 0,
      're-queued row delivered',
    );
  });

  it('--retry-dead with nothing to do says so; bad flags are refused with the usage', async () => {
    const none = await runCli(['--retry-dead', '--channel', 'nothing:here']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('no dead letters to re-queue');
    const bad = await runCli(['--retry-dead', '--id', 'abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--id abc: an outbox id is a number');
    const stray = await runCli(['--channel', 'x']);
    expect(stray.code).toBe(1);
    expect(stray.stderr).toContain('--channel and --id go with --retry-dead');
  });

  for (const provider of ['pusher', 'ably'] as const) {
    it(`${provider}: a row the provider refuses for good (too large) is dead-lettered at once; the channel goes on and a subscribed client fills the hole from the history`, async () => {
      const depot = await makeDepot(`refused-${provider}`);
      const harness = await providerHarness(provider, depot.dispatcher);
      try {
        // The app's path: subscribe, catch up from the history, apply by seq.
        const type = changeSchema();
        const received: number[] = [];
        const applied: number[] = [];
        const [{ last_seq }] = await sql<{ last_seq: string }[]>`
          select coalesce((select last_seq from live.watermarks where table_name = ${table} and scope = ${depot.id}), 0) as last_seq`;
        const feed = new SeqFeed<LiveChange<VersionedRow>>({
          initialSeq: Number(last_seq),
          apply: (changes) => applied.push(...changes.map((c) => c.seq)),
          backfill: async (after, limit) => {
            const { data, error } = await harness.supabase.rpc('live_changes_after', {
              live_table: table,
              scope: depot.id,
              after_seq: after,
              max_rows: limit,
            });
            if (error) throw error;
            return (data ?? []).map((h: { seq: number; row_id: string; version: number }) => ({
              seq: Number(h.seq),
              scope: depot.id,
              id: h.row_id,
              version: h.version,
              operation: 'UPDATE' as const,
              changed: [],
              record: null,
            }));
          },
        });
        let subscribed!: () => void;
        const joined = new Promise<void>((resolve) => (subscribed = resolve));
        harness.provider.subscribe(depot.channel, {
          events: {
            changed: (payload) => {
              const change = type.parse(payload);
              received.push(change.seq);
              feed.receive(change);
            },
          },
          onSubscribed: () => {
            subscribed();
            void feed.catchUp();
          },
        });
        await joined;
        const { lines, metrics, observer } = start(harness.publisher);

        const item = await insertItem(depot.id, 'small');
        const big = 'x'.repeat(provider === 'pusher' ? 12 * 1024 : 70 * 1024);
        await setLabel(item, big);
        await setLabel(item, 'small again');
        // From the history: the relay may have moved the refused row already.
        const seqs = (
          await sql<{ seq: number }[]>`
            select seq::int from live.changes where table_name = ${table} and scope = ${depot.id} order by seq`
        ).map((r) => r.seq);
        expect(seqs).toHaveLength(3);

        // Refused at the first attempt, moved at once; the next row went out.
        const [dead] = await until(
          () => deadOf(depot.channel),
          (rows) => rows.length === 1,
          'the refused row in the dead letters',
        );
        expect(dead).toMatchObject({ seq: seqs[1], attempts: 1, permanent: true });
        expect(dead.reason).toMatch(/too large/);
        expect(lines.some((l) => l.includes(`dead letter: row ${dead.id}`) && l.includes('refused for good'))).toBe(
          true,
        );
        // The client converges: the big change from the history, the rest live, each once and in order.
        await until(
          async () => applied,
          (a) => a.length === 3,
          'the client applied every change',
        );
        expect(applied).toEqual(seqs);
        // Live, the provider delivered the others; the refused one only ever came from the history.
        await until(
          async () => received,
          (r) => r.includes(seqs[2]),
          'the change after the refused one, live',
        );
        expect(received).not.toContain(seqs[1]);
        // Counted when the relay reports the batch, which may be just after the client got the later change.
        await until(
          async () =>
            metricValue(await metrics.registry.metrics(), 'switchboard_relay_dead_lettered_total', {
              cause: 'refused',
            }),
          (n) => n >= 1,
          'the refusal counted',
        );
        await observer.sampled();
        expect(
          metricValue(await metrics.registry.metrics(), 'switchboard_relay_dead_lettered_total', { cause: 'refused' }),
        ).toBe(1);
        feed.close();
      } finally {
        await harness.close();
      }
    });
  }
});

/** A live change of the throw-away table: what the feed orders is the seq; any row with a version. */
const changeSchema = () =>
  liveChangeSchema(table, z.looseObject({ version: z.number().int().positive() })) as unknown as z.ZodType<
    LiveChange<VersionedRow>
  >;

/** A signed-in client of the provider (adapter + its fake server) and the relay's publisher into it. */
async function providerHarness(
  provider: 'pusher' | 'ably',
  person: ContractPerson,
): Promise<{
  supabase: SupabaseClient<Database>;
  provider: RealtimeProvider;
  publisher: Publisher;
  close(): Promise<void>;
}> {
  const supabase = createClient<Database>(stack.api.url, stack.api.keys.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
  const { error } = await supabase.auth.signInWithPassword({ email: person.email, password: PASSWORD });
  if (error) throw error;
  const status = new ConnectionStatusStore();
  if (provider === 'pusher') {
    const app = { appId: '5151', key: 'dead-letter-key', secret: 'dead-letter-secret' };
    const fake = await startFakePusher(app);
    const adapter = createPusherProvider({
      key: app.key,
      cluster: 'fake',
      host: fake.host,
      port: fake.port,
      status,
      warn: () => {},
      authorize: async ({ socketId, channelName }) => {
        const result = await authorizePusherChannel(supabase, app, { socket_id: socketId, channel_name: channelName });
        if (result.status === 200) return result.body;
        throw new ChannelRefusedError(result.body.error);
      },
    });
    return {
      supabase,
      provider: adapter,
      publisher: pusherPublisher({ ...app, host: fake.host, port: fake.port, useTLS: false }),
      async close() {
        adapter.disconnect();
        await fake.close();
      },
    };
  }
  const apiKey = 'deadLetterApp.deadLetterKey:dead-letter-secret-0123456789';
  const fake = await startFakeAbly({ apiKey });
  const config = ablyServerConfig({
    ABLY_API_KEY: apiKey,
    ABLY_REST_HOST: fake.host,
    ABLY_REST_PORT: String(fake.port),
    ABLY_REST_TLS: 'false',
  });
  const adapter = createAblyProvider({
    host: fake.host,
    port: fake.port,
    status,
    log: { warn: () => {} },
    fetchTokenRequest: async () => {
      const outcome = await createAblyTokenRequest(supabase, config);
      if (!outcome.ok) throw new Error(outcome.reason);
      return outcome.tokenRequest;
    },
  });
  return {
    supabase,
    provider: adapter,
    publisher: ablyPublisher({ apiKey, restHost: fake.host, port: fake.port, tls: false }),
    async close() {
      adapter.close();
      await fake.close();
    },
  };
}
