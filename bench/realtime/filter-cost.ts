// One measurement of Postgres Changes with 200 RLS-checked subscribers, each
// with a `depot_id=eq.<depot>` filter (and, for context, without a filter),
// against the dev stack found at --devstack <path to packages/devstack> (this
// checkout's by default). compare.ts runs it against two builds in turns.
// Prints one JSON line: throughput (changes/s, end to end), latency, and the
// CPU the burst cost (the stack's main thread and every Postgres process, per
// change), which shared, busy cores distort far less than wall-clock figures.
//
// Run: npx tsx bench/realtime/filter-cost.ts [--devstack ../other/packages/devstack] [--seconds 5]
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import postgres from 'postgres';
import { Clients } from './clients';

const { values: args } = parseArgs({
  options: {
    devstack: { type: 'string', default: path.resolve(import.meta.dirname, '../../packages/devstack') },
    seconds: { type: 'string', default: '5' },
    burst: { type: 'string', default: '2000' },
  },
});
const SUBSCRIBERS = 200;
const RATE = 200;

type Devstack = typeof import('../../packages/devstack/src/index');

/** utime + stime (+ reaped children's, when `children`) of a process or thread, in ms (/proc, 100 ticks/s). */
async function cpuMs(statPath: string, children = false): Promise<number> {
  const stat = await readFile(statPath, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based).
  const at = (n: number) => Number(fields[n - 3] ?? 0);
  return (at(14) + at(15) + (children ? at(16) + at(17) : 0)) * 10;
}

/** CPU of the whole Postgres cluster: the postmaster, its live children, and the children it reaped. */
async function postgresCpuMs(dataDir: string): Promise<number> {
  const postmaster = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  let total = await cpuMs(`/proc/${postmaster}/stat`, true);
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === postmaster) total += await cpuMs(`/proc/${entry}/stat`);
  }
  return total;
}

/** The stack's own work: this process's main thread (the clients run in a worker thread). */
const stackCpuMs = () => cpuMs(`/proc/${process.pid}/task/${process.pid}/stat`);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

async function main(): Promise<void> {
  const devstack = (await import(pathToFileURL(path.join(args.devstack, 'src/index.ts')).href)) as Devstack;
  const env = {
    ...process.env,
    DEVSTACK_REALTIME_MAX_CONCURRENT_USERS: '100000',
    DEVSTACK_REALTIME_MAX_JOINS_PER_SECOND: '100000',
    DEVSTACK_REALTIME_MAX_EVENTS_PER_SECOND: '100000000',
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-'));
  await chmod(dir, 0o755);
  const dataDir = path.join(dir, 'pg');
  const stack = await devstack.startStack({ dbPort: await devstack.freePort(), dataDir, ephemeral: true });
  const keys = await devstack.readKeys({});
  const api = await devstack.startApi({
    dbUrl: stack.dbUrl,
    port: await devstack.freePort(),
    keys,
    env,
  });
  // Writers commit synchronously, as on a developer's `npm run stack`.
  const sql = postgres(stack.dbUrl, { max: 8, onnotice: () => {}, connection: { synchronous_commit: 'on' } });
  const wsUrl = `${api.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${keys.anonKey}&vsn=2.0.0`;
  const secret = new TextEncoder().encode(keys.jwtSecret);
  const token = (sub: string) =>
    new SignJWT({ role: 'authenticated', aud: 'authenticated', sub, session_id: randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('2h')
      .sign(secret);

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
  const insert = () => sql`insert into bench.items (depot_id, payload, sent_at) values (${depot}, 'x', ${Date.now()})`;

  async function measure(filter: string | null) {
    const clients = new Clients();
    const binding = { event: 'INSERT', schema: 'bench', table: 'items', ...(filter ? { filter } : {}) };
    await clients.call({
      cmd: 'open',
      url: wsUrl,
      joins: await Promise.all(
        users.map(async (u) => ({
          topic: `realtime:bench-${u}`,
          payload: { config: { postgres_changes: [binding] }, access_token: await token(u) },
        })),
      ),
      mode: 'latency',
      waitSystem: true,
    });
    for (let i = 0; i < 50; i++) await insert(); // warm up: plans, catalog caches
    await clients.call({ cmd: 'waitFor', total: 50 * SUBSCRIBERS });

    // Latency at a steady 200 changes/s.
    await clients.call({ cmd: 'reset' });
    const count = RATE * Number(args.seconds);
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = start + (i * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await insert();
    }
    await clients.call({ cmd: 'waitFor', total: count * SUBSCRIBERS });
    const { latencies } = await clients.call<{ latencies: number[] }>({ cmd: 'stats' });

    // Throughput: a burst from 8 writers, until every subscriber has every change.
    const rates: number[] = [];
    const cpu: Array<{ stack: number; postgres: number }> = [];
    for (let round = 0; round < 2; round++) {
      await clients.call({ cmd: 'reset' });
      const burst = Number(args.burst);
      let left = burst;
      const [stack0, pg0] = [await stackCpuMs(), await postgresCpuMs(dataDir)];
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (left-- > 0) await insert();
        }),
      );
      await clients.call({ cmd: 'waitFor', total: burst * SUBSCRIBERS });
      rates.push(burst / ((performance.now() - t0) / 1000));
      cpu.push({
        stack: ((await stackCpuMs()) - stack0) / burst,
        postgres: ((await postgresCpuMs(dataDir)) - pg0) / burst,
      });
    }
    const cheapest = cpu.reduce((a, b) => (a.stack + a.postgres <= b.stack + b.postgres ? a : b));
    await clients.call({ cmd: 'close' });
    await clients.stop();
    return {
      changesPerSecond: Math.max(...rates),
      /** CPU ms per change during the burst (the cheaper of the two bursts). */
      stackCpuMsPerChange: cheapest.stack,
      postgresCpuMsPerChange: cheapest.postgres,
      p50: pct(latencies, 50),
      p95: pct(latencies, 95),
      p99: pct(latencies, 99),
    };
  }

  const filtered = await measure(`depot_id=eq.${depot}`);
  const unfiltered = await measure(null);
  console.log(JSON.stringify({ devstack: args.devstack, filtered, unfiltered }));
  await sql.end();
  await api.close();
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
