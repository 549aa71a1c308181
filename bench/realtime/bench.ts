// Realtime benchmarks, side by side in one run on a private stack:
//   1. commit → callback latency, 1 and 200 RLS-checked subscribers at 200 changes/s,
//      next to the raw logical-replication floor (postgres.js sql.subscribe);
//   2. RLS-checked changes/s with 200 subscribers (end to end), and the RLS check
//      itself: one batched round trip vs one query per subscriber per change;
//   3. broadcast deliveries/s to 1,000 sockets vs a bare `ws` fan-out loop;
//   4. server heap per idle joined connection.
// Run: npx tsx bench/realtime/bench.ts   (add --expose-gc via NODE_OPTIONS for steadier memory figures)
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import WebSocket, { WebSocketServer } from 'ws';
import { Catalog } from '@switchboard/devstack/internals/realtime/extensions/postgres-changes/catalog';
import { VisibilityBatch } from '@switchboard/devstack/internals/realtime/extensions/postgres-changes/visibility';
import { freePort, signJwt } from '@switchboard/devstack';
import { startBenchStack } from '../support/stack';
import { recordMetric } from '../support/results';
import { Clients } from './clients';

const RATE = 200;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SUBSCRIBERS = 200;
const FANOUT_SOCKETS = 1000;
const FANOUT_MESSAGES = Number(process.env.BENCH_FANOUT_MESSAGES ?? 100);

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const rows: string[][] = [];
const row = (...cells: string[]) => {
  rows.push(cells);
  console.log('  ' + cells.join(' | '));
};

async function main(): Promise<void> {
  const env = {
    ...process.env,
    DEVSTACK_REALTIME_MAX_CONCURRENT_USERS: '100000',
    DEVSTACK_REALTIME_MAX_JOINS_PER_SECOND: '100000',
    DEVSTACK_REALTIME_MAX_EVENTS_PER_SECOND: '100000000',
    DEVSTACK_REALTIME_MAX_CHANNELS_PER_CLIENT: '1000',
  };
  const bench = await startBenchStack(env);
  const { dbUrl } = bench.stack;
  // The bench stack's Postgres is ephemeral (synchronous_commit=off: WAL reaches the
  // walsender only at the WAL writer's 200 ms tick). Writers here commit synchronously,
  // as on a developer's `npm run stack`, so latency measures the realtime path.
  const sql = postgres(dbUrl, { max: 8, onnotice: () => {}, connection: { synchronous_commit: 'on' } });
  const wsUrl = `${bench.api.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${bench.api.keys.publishableKey}&vsn=2.0.0`;
  // Tokens as the stack's Auth signs them: ES256 with its key (HS256 in legacy mode).
  const token = (sub: string) =>
    signJwt(bench.api.keys, {
      role: 'authenticated',
      aud: 'authenticated',
      sub,
      session_id: randomUUID(),
      exp: Math.floor(Date.now() / 1000) + 7200,
    });

  const depot = randomUUID();
  const users = Array.from({ length: SUBSCRIBERS }, () => randomUUID());
  await sql.unsafe(`
    create schema bench;
    grant usage on schema bench to authenticated;
    create table bench.members (depot_id uuid, user_id uuid, primary key (user_id, depot_id));
    create table bench.items (id bigserial primary key, depot_id uuid not null, payload text, sent_at float8);
    alter table bench.items enable row level security;
    grant select on bench.members, bench.items to authenticated;
    create policy "Members read their depot's items" on bench.items for select to authenticated
      using (exists (select 1 from bench.members m where m.depot_id = items.depot_id and m.user_id = (select auth.uid())));
    alter publication supabase_realtime add table bench.items;`);
  await sql`insert into bench.members ${sql(users.map((u) => ({ depot_id: depot, user_id: u })))}`;

  // The floor: postgres.js' own logical replication subscriber on the same publication.
  const floor: number[] = [];
  let floorOn = false;
  const rawSub = postgres(dbUrl, { publications: 'supabase_realtime', onnotice: () => {} });
  await rawSub.subscribe(
    'insert:bench.items',
    (r) => floorOn && r !== null && floor.push(Date.now() - Number(r.sent_at)),
  );

  const insert = () => sql`insert into bench.items (depot_id, payload, sent_at) values (${depot}, 'x', ${Date.now()})`;
  async function paced(count: number, rate: number) {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await insert();
    }
  }
  const joinFor = async (user: string) => ({
    topic: `realtime:bench-${user}`,
    payload: {
      config: { postgres_changes: [{ event: 'INSERT', schema: 'bench', table: 'items' }] },
      access_token: await token(user),
    },
  });

  console.log(`\nRealtime benchmarks (${SECONDS}s at ${RATE} changes/s; ${new Date().toISOString()})`);
  // 1. Latency -------------------------------------------------------------------
  for (const n of [1, SUBSCRIBERS]) {
    const clients = new Clients();
    await clients.call({
      cmd: 'open',
      url: wsUrl,
      joins: await Promise.all(users.slice(0, n).map(joinFor)),
      mode: 'latency',
      waitSystem: true,
    });
    await paced(50, RATE); // warm up (plans, caches)
    await clients.call({ cmd: 'waitFor', total: 50 * n });
    await clients.call({ cmd: 'reset' });
    floor.length = 0;
    floorOn = true;
    const count = RATE * SECONDS;
    await paced(count, RATE);
    await clients.call({ cmd: 'waitFor', total: count * n });
    floorOn = false;
    const { latencies } = await clients.call<{ latencies: number[] }>({ cmd: 'stats' });
    recordMetric({
      name: `realtime commit→callback p50, ${n} subscriber(s)`,
      value: pct(latencies, 50),
      unit: 'ms',
      baseline: { name: 'replication floor p50', value: pct(floor, 50) },
      target: n > 1 ? 'p50 ≤ 5 ms' : undefined,
    });
    recordMetric({
      name: `realtime commit→callback p99, ${n} subscriber(s)`,
      value: pct(latencies, 99),
      unit: 'ms',
      baseline: { name: 'replication floor p99', value: pct(floor, 99) },
      target: n > 1 ? 'p99 ≤ 25 ms' : undefined,
    });
    row(
      `latency, ${n} subscriber(s), RLS on`,
      `p50 ${fmt(pct(latencies, 50))} ms`,
      `p95 ${fmt(pct(latencies, 95))} ms`,
      `p99 ${fmt(pct(latencies, 99))} ms`,
      `${latencies.length} callbacks`,
    );
    row(
      `  raw replication floor (same run)`,
      `p50 ${fmt(pct(floor, 50))} ms`,
      `p95 ${fmt(pct(floor, 95))} ms`,
      `p99 ${fmt(pct(floor, 99))} ms`,
      `${floor.length} callbacks`,
    );

    // 2a. End-to-end throughput with these subscribers: a burst, as fast as 8 writers go.
    if (n === SUBSCRIBERS) {
      await clients.call({ cmd: 'reset' });
      const burst = 2000;
      const t0 = performance.now();
      let left = burst;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (left-- > 0) await insert();
        }),
      );
      const committed = performance.now();
      await clients.call({ cmd: 'waitFor', total: burst * n });
      const seconds = (performance.now() - t0) / 1000;
      recordMetric({
        name: `realtime RLS-checked changes/s, ${n} subscribers`,
        value: burst / seconds,
        unit: 'changes/s',
      });
      row(
        `RLS-checked changes/s, ${n} subscribers (end to end)`,
        `${fmt(burst / seconds, 0)} changes/s`,
        `${fmt((burst * n) / seconds, 0)} deliveries/s`,
        `writers done in ${fmt((committed - t0) / 1000, 2)} s`,
        '',
      );
    }
    await clients.call({ cmd: 'close' });
    await clients.stop();
  }

  // 2b. The RLS check itself: one batched round trip vs one query per subscriber per change.
  {
    const [{ oid }] = await sql<{ oid: number }[]>`select 'bench.items'::regclass::oid as oid`;
    const catalog = new Catalog(sql);
    const table = (await catalog.table(oid))!;
    const view = await catalog.view(table, 'authenticated');
    const claims = await Promise.all(
      users.map(async (u) =>
        JSON.stringify({ role: 'authenticated', sub: u, aud: 'authenticated', session_id: randomUUID() }),
      ),
    );
    const recent = await sql<
      { id: string; depot_id: string; payload: string; sent_at: number }[]
    >`select * from bench.items order by id desc limit 200`;
    const images = recent.map(
      (r) =>
        new Map<string, string | null>([
          ['id', String(r.id)],
          ['depot_id', r.depot_id],
          ['payload', r.payload],
          ['sent_at', String(r.sent_at)],
        ]),
    );
    for (const batchSize of [1, 20]) {
      const t0 = performance.now();
      let changes = 0;
      while (performance.now() - t0 < 3000) {
        const batch = new VisibilityBatch();
        const tickets = [];
        for (let i = 0; i < batchSize; i++)
          for (const c of claims) tickets.push(batch.request(table, view, c, images[(changes + i) % images.length]));
        await batch.run(sql);
        if (!tickets.every((t) => VisibilityBatch.visible(t))) throw new Error('batched check disagrees with RLS');
        changes += batchSize;
      }
      row(
        `RLS check, ${SUBSCRIBERS} subscribers, batched (${batchSize} change(s)/round trip)`,
        `${fmt(changes / ((performance.now() - t0) / 1000), 0)} changes/s`,
        '',
        '',
        '',
      );
    }
    const t0 = performance.now();
    let changes = 0;
    while (performance.now() - t0 < 3000) {
      const id = recent[changes % recent.length].id;
      for (const c of claims) {
        await sql.begin(async (tx) => {
          await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${c}, true)`;
          const [{ visible }] = await tx<
            { visible: boolean }[]
          >`select exists (select 1 from bench.items where id = ${id}) as visible`;
          if (!visible) throw new Error('per-subscriber check disagrees');
        });
      }
      changes++;
    }
    row(
      `RLS check, ${SUBSCRIBERS} subscribers, one query per subscriber per change`,
      `${fmt(changes / ((performance.now() - t0) / 1000), 1)} changes/s`,
      '',
      '',
      '',
    );
  }

  // 3. Broadcast fan-out -------------------------------------------------------------
  {
    const clients = new Clients();
    const join = { topic: 'realtime:fan', payload: { config: { broadcast: { self: false } } } };
    await clients.call({
      cmd: 'open',
      url: wsUrl,
      joins: Array.from({ length: FANOUT_SOCKETS }, () => join),
      mode: 'count',
      waitSystem: false,
    });
    const sender = new WebSocket(wsUrl);
    await new Promise((r) => sender.once('open', r));
    sender.send(JSON.stringify(['1', '1', 'realtime:fan', 'phx_join', join.payload]));
    await new Promise((r) => sender.once('message', r));
    const payload = { type: 'broadcast', event: 'tick', payload: { x: 1, text: 'hello world' } };
    const measure = async () => {
      await clients.call({ cmd: 'reset' });
      const t0 = performance.now();
      for (let i = 0; i < FANOUT_MESSAGES; i++)
        sender.send(JSON.stringify(['1', null, 'realtime:fan', 'broadcast', payload]));
      await clients.call({ cmd: 'waitFor', total: FANOUT_MESSAGES * FANOUT_SOCKETS });
      return (FANOUT_MESSAGES * FANOUT_SOCKETS) / ((performance.now() - t0) / 1000);
    };
    await measure(); // warm up
    const realtimeRate = await measure();

    // 4. Memory per idle connection: the main thread's heap holds only the server side.
    const gc = (globalThis as { gc?: () => void }).gc;
    sender.close();
    await clients.call({ cmd: 'close' });
    await new Promise((r) => setTimeout(r, 500));
    gc?.();
    const before = process.memoryUsage();
    await clients.call({
      cmd: 'open',
      url: wsUrl,
      joins: Array.from({ length: FANOUT_SOCKETS }, (_, i) => ({
        topic: `realtime:idle-${i % 10}`,
        payload: { config: {} },
      })),
      mode: 'count',
      waitSystem: false,
    });
    await new Promise((r) => setTimeout(r, 500));
    gc?.();
    const after = process.memoryUsage();
    await clients.call({ cmd: 'close' });
    await clients.stop();

    const bare = new Clients();
    const port = await freePort();
    const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false });
    await bare.call({
      cmd: 'open',
      url: `ws://127.0.0.1:${port}`,
      joins: Array.from({ length: FANOUT_SOCKETS }, () => null),
      mode: 'count',
      waitSystem: false,
    });
    const frame = JSON.stringify([null, null, 'realtime:fan', 'broadcast', payload]);
    const bareMeasure = async () => {
      await bare.call({ cmd: 'reset' });
      const t0 = performance.now();
      for (let i = 0; i < FANOUT_MESSAGES; i++) for (const c of wss.clients) c.send(frame);
      await bare.call({ cmd: 'waitFor', total: FANOUT_MESSAGES * FANOUT_SOCKETS });
      return (FANOUT_MESSAGES * FANOUT_SOCKETS) / ((performance.now() - t0) / 1000);
    };
    await bareMeasure();
    const bareRate = await bareMeasure();
    await bare.call({ cmd: 'close' });
    await bare.stop();
    wss.close();
    recordMetric({
      name: `realtime broadcast deliveries/s to ${FANOUT_SOCKETS} sockets`,
      value: realtimeRate,
      unit: 'deliveries/s',
      baseline: { name: 'bare ws loop', value: bareRate },
      target: '≥ 0.7× bare and ≥ 50,000/s',
    });
    row(
      `broadcast to ${FANOUT_SOCKETS} sockets (realtime)`,
      `${fmt(realtimeRate, 0)} deliveries/s`,
      `${fmt(realtimeRate / bareRate, 2)}× bare`,
      '',
      '',
    );
    row(`broadcast to ${FANOUT_SOCKETS} sockets (bare ws loop)`, `${fmt(bareRate, 0)} deliveries/s`, '', '', '');
    row(
      `memory per idle joined connection (server heap${gc ? ', after gc' : ''})`,
      `${fmt((after.heapUsed - before.heapUsed) / FANOUT_SOCKETS / 1024, 1)} KiB heap`,
      `process RSS ${fmt(after.rss / 1024 / 1024, 0)} MiB with ${FANOUT_SOCKETS} sockets (server + clients)`,
      '',
      '',
    );
  }

  console.log('\n| benchmark | median / rate | tail | | |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  await rawSub.end();
  await sql.end();
  await bench.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
