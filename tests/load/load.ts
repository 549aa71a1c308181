// The load/soak run: a private dev stack (ephemeral embedded Postgres + API
// gateway on free ports, in this thread), N realtime clients in a worker thread
// spread over D depots, paced writers committing R changes/s for T seconds.
// At the end every client's board must equal its depot's rows in the database,
// every client must have applied exactly seqs 1..N once each in order, and the
// main thread's heap (the dev stack) must not trend upward after warm-up.
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import postgres, { type Sql } from 'postgres';
import { startApi, type RunningApi } from '@switchboard/devstack';
import { readTestKeys, signJwt } from '@switchboard/devstack';
import { freePort } from '@switchboard/devstack';
import { startStack, type RunningStack } from '@switchboard/devstack';
import type { ClientSpec, VerifyResult, WorkerCommand, WorkerStats } from './clients-worker';

export interface LoadOptions {
  clients: number;
  depots: number;
  durationS: number;
  rate: number;
  shipmentsPerDepot: number;
  /** Heap samples every this many ms during the write phase. */
  sampleMs: number;
  /** Upper bound for the heap slope over the second half, MB per minute. */
  maxHeapSlopeMbPerMin: number;
  log?: (line: string) => void;
}

export const LONG: Omit<LoadOptions, 'log'> = {
  clients: 1000,
  depots: 10,
  durationS: 300,
  rate: 200,
  shipmentsPerDepot: 100,
  sampleMs: 5000,
  maxHeapSlopeMbPerMin: 2,
};

export const SHORT: Omit<LoadOptions, 'log'> = {
  clients: 200,
  depots: 5,
  durationS: 30,
  rate: 100,
  shipmentsPerDepot: 50,
  sampleMs: 1000,
  maxHeapSlopeMbPerMin: 2,
};

export interface LoadResult {
  ok: boolean;
  failures: string[];
  rows: [string, string][];
}

const BUCKET_MS = 0.1;

class Clients {
  private readonly worker = new Worker(new URL('./clients-worker-boot.mjs', import.meta.url));
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  failure: Error | null = null;

  constructor() {
    this.worker.on('message', (msg: { id: number; reply?: unknown; error?: string }) => {
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      if (msg.error) w.reject(new Error(msg.error));
      else w.resolve(msg.reply);
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
  }

  call<T>(cmd: WorkerCommand): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...cmd, id });
    });
  }

  post(cmd: WorkerCommand): void {
    this.worker.postMessage({ ...cmd, id: 0 });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** A full collection before each heap sample, so the trend is of retained memory, not of GC timing. */
function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function percentile(histogram: number[], count: number, p: number): number {
  const rank = Math.ceil((p / 100) * count);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) return (i + 1) * BUCKET_MS; // upper edge of the bucket
  }
  return NaN;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

async function person(sql: Sql, role: 'dispatcher' | 'driver', name: string): Promise<string> {
  const email = `load.${role}.${randomUUID().slice(0, 8)}@load.test`;
  const [{ id }] = await sql<{ id: string }[]>`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${email},
            'x', now(), '{"provider":"email","providers":["email"]}', ${sql.json({ full_name: name })}, now(), now())
    returning id`;
  await sql`insert into profiles (id, full_name, role) values (${id}, ${name}, ${role})`;
  return id;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const failures: string[] = [];
  const rows: [string, string][] = [];
  const gc = gcFunction();
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DEVSTACK_REALTIME_MAX_CONCURRENT_USERS: String(options.clients * 2 + 100),
    DEVSTACK_REALTIME_MAX_CHANNELS_PER_CLIENT: '100',
    DEVSTACK_REALTIME_MAX_JOINS_PER_SECOND: String(options.clients * 2 + 100),
    DEVSTACK_REALTIME_MAX_EVENTS_PER_SECOND: '1000000',
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-load-'));
  await chmod(dir, 0o755); // Postgres runs as "postgres" when we are root
  let stack: RunningStack | null = null;
  let api: RunningApi | null = null;
  let writerSql: Sql | null = null;
  let clients: Clients | null = null;
  try {
    stack = await startStack({ dbPort: await freePort(), dataDir: path.join(dir, 'pg'), ephemeral: true });
    api = await startApi({
      dbUrl: stack.dbUrl,
      port: await freePort(),
      keys: await readTestKeys(),
      env,
      logSink: (line, level) => level !== 'info' && log(line),
    });
    log(`[${elapsed()}] stack up: ${api.url}`);
    // The ephemeral cluster runs with synchronous_commit=off (WAL reaches the
    // walsender at the WAL writer's tick); commit synchronously, as `npm run stack` does.
    writerSql = postgres(stack.dbUrl, { max: 8, onnotice: () => {}, connection: { synchronous_commit: 'on' } });
    const sql = writerSql;

    // World: D depots, one dispatcher and one driver each, S shipments each.
    const depots: string[] = [];
    const dispatchers: string[] = [];
    const drivers: string[] = [];
    const shipments: string[][] = [];
    const tag = Date.now().toString(36).toUpperCase();
    for (let d = 0; d < options.depots; d++) {
      const [{ id: depotId }] = await sql<{ id: string }[]>`
        insert into depots (name, min_lat, min_lng, max_lat, max_lng) values (${`Load ${tag} ${d}`}, 1, 1, 2, 2) returning id`;
      const dispatcher = await person(sql, 'dispatcher', `Load Dispatcher ${d}`);
      const driver = await person(sql, 'driver', `Load Driver ${d}`);
      await sql`insert into depot_members (depot_id, user_id) values (${depotId}, ${dispatcher}), (${depotId}, ${driver})`;
      const ids = await sql<{ id: string }[]>`
        insert into shipments (depot_id, reference, recipient, address)
        select ${depotId}, ${`L${tag}-${d}-`} || g, 'Recipient ' || g, 'Address ' || g
        from generate_series(1, ${options.shipmentsPerDepot}) g returning id`;
      depots.push(depotId);
      dispatchers.push(dispatcher);
      drivers.push(driver);
      shipments.push(ids.map((r) => r.id));
    }
    // One round trip per change: a step along pending → assigned → picked_up →
    // in_transit → failed → pending, returning the depot's seq of this change and
    // the database clock just before commit (conservative: latency includes the commit).
    await sql.unsafe(`
      create schema loadtest;
      create function loadtest.step(p_id uuid, p_driver uuid, out seq bigint, out at double precision)
      language plpgsql as $$
      declare depot uuid;
      begin
        update public.shipments s set
          status = case s.status when 'pending' then 'assigned' when 'assigned' then 'picked_up'
                   when 'picked_up' then 'in_transit' when 'in_transit' then 'failed' else 'pending' end::public.shipment_status,
          driver_id = case s.status when 'pending' then p_driver when 'failed' then null else s.driver_id end,
          eta = now()
        where s.id = p_id returning s.depot_id into depot;
        select w.last_seq into seq from public.depot_watermarks w where w.depot_id = depot;
        at := extract(epoch from clock_timestamp()) * 1000;
      end $$;`);
    log(`[${elapsed()}] ${options.depots} depots, ${options.shipmentsPerDepot} shipments each`);

    // Tokens as the stack's Auth signs them: ES256 with its key, or HS256 in legacy mode.
    const keys = api.keys;
    const tokenFor = (sub: string) =>
      signJwt(keys, {
        role: 'authenticated',
        aud: 'authenticated',
        sub,
        session_id: randomUUID(),
        exp: Math.floor(Date.now() / 1000) + options.durationS + 3600,
      });
    const depotTokens = await Promise.all(dispatchers.map(tokenFor));
    const specs: ClientSpec[] = Array.from({ length: options.clients }, (_, i) => ({
      depotIndex: i % options.depots,
      token: depotTokens[i % options.depots],
    }));

    clients = new Clients();
    const wsUrl = `${api.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${api.keys.publishableKey}&vsn=2.0.0`;
    await clients.call({ cmd: 'open', url: wsUrl, dbUrl: stack.dbUrl, depots, clients: specs, batch: 50 });
    const connected = api.realtime.connectionCount();
    log(`[${elapsed()}] ${options.clients} clients joined (${connected} connections on the stack)`);
    if (connected < options.clients)
      failures.push(`only ${connected} of ${options.clients} connections open on the stack`);
    // Every client has caught up with the setup's inserts before writing starts.
    const setupSeqs = depots.map(() => options.shipmentsPerDepot);
    const behindAtStart = await clients.call<{ behind: number }>({
      cmd: 'waitSeq',
      targets: setupSeqs,
      timeoutMs: 60_000,
    });
    if (behindAtStart.behind > 0)
      failures.push(`${behindAtStart.behind} clients did not catch up with the initial shipments`);

    // Writers: change i is due at start + i / rate, on depot i mod D, a random shipment of it.
    const total = Math.round(options.rate * options.durationS);
    const inFlightMax = 8;
    let inFlight = 0;
    let committed = 0;
    let writeErrors = 0;
    let lastWriteError = '';
    let latePaces = 0;
    const commitBuffer: number[] = [];
    const flushCommits = () => {
      if (commitBuffer.length === 0) return;
      clients!.post({ cmd: 'commits', commits: commitBuffer.splice(0) });
    };
    const flusher = setInterval(flushCommits, 100);
    const heap: [number, number][] = [];
    const rss: [number, number][] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const writeStart = performance.now();
    const sample = () => {
      gc();
      const m = process.memoryUsage();
      const t = (performance.now() - writeStart) / 1000;
      heap.push([t, m.heapUsed]);
      rss.push([t, m.rss]);
    };
    sample();
    const sampler = setInterval(sample, options.sampleMs);
    const slots: Promise<void>[] = [];
    let progressAt = performance.now();
    for (let i = 0; i < total; i++) {
      const due = writeStart + (i * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -100) latePaces++;
      while (inFlight >= inFlightMax) await Promise.race(slots);
      const d = i % options.depots;
      const shipment = shipments[d][Math.floor(Math.random() * shipments[d].length)];
      inFlight++;
      const p: Promise<void> = sql<
        { seq: string; at: number }[]
      >`select * from loadtest.step(${shipment}, ${drivers[d]})`
        .then(([r]) => {
          committed++;
          commitBuffer.push(d, Number(r.seq), r.at);
        })
        .catch((err: Error) => {
          writeErrors++;
          lastWriteError = err.message;
        })
        .finally(() => {
          inFlight--;
          slots.splice(slots.indexOf(p), 1);
        });
      slots.push(p);
      if (performance.now() - progressAt > 10_000) {
        progressAt = performance.now();
        log(`[${elapsed()}] ${committed} changes committed, heap ${mb(process.memoryUsage().heapUsed).toFixed(1)} MB`);
      }
    }
    await Promise.all(slots);
    const writeSeconds = (performance.now() - writeStart) / 1000;
    loopDelay.disable();
    clearInterval(sampler);
    sample();
    flushCommits();
    clearInterval(flusher);
    log(`[${elapsed()}] writers stopped: ${committed} changes in ${writeSeconds.toFixed(1)} s`);
    if (writeErrors > 0) failures.push(`${writeErrors} writes failed (last: ${lastWriteError})`);

    // Drain: every client reaches its depot's final watermark (live or by gap backfill).
    const finalSeqs = (
      await sql<
        { depot_id: string; last_seq: string }[]
      >`select depot_id, last_seq from depot_watermarks where depot_id in ${sql(depots)}`
    ).reduce(
      (acc, r) => ((acc[depots.indexOf(r.depot_id)] = Number(r.last_seq)), acc),
      depots.map(() => 0),
    );
    const drainStart = performance.now();
    const drained = await clients.call<{ behind: number }>({ cmd: 'waitSeq', targets: finalSeqs, timeoutMs: 30_000 });
    const drainMs = performance.now() - drainStart;
    if (drained.behind > 0) failures.push(`${drained.behind} clients never reached their depot's last seq`);
    await new Promise((r) => setTimeout(r, 300)); // late commit-time batches
    const verify = await clients.call<VerifyResult>({ cmd: 'verify' });
    const stats = await clients.call<WorkerStats>({ cmd: 'stats' });
    const connectedAtEnd = api.realtime.connectionCount();

    if (verify.mismatchedClients > 0)
      failures.push(`${verify.mismatchedClients} clients' boards differ from the database`);
    if (verify.seqViolations > 0) failures.push(`${verify.seqViolations} clients applied a seq out of order or twice`);
    if (verify.wrongCounts > 0) failures.push(`${verify.wrongCounts} clients did not apply exactly seqs 1..N`);
    for (const e of verify.examples) failures.push(`  ${e}`);
    if (stats.errors.length > 0) failures.push(`client errors: ${stats.errors.slice(0, 5).join('; ')}`);
    if (connectedAtEnd < options.clients)
      failures.push(`${options.clients - connectedAtEnd} sockets dropped during the run`);

    // Per client, the live stream should carry every change committed while it was joined.
    const perDepotClients = depots.map((_, d) => specs.filter((s) => s.depotIndex === d).length);
    const expected = depots.reduce((s, _, d) => s + perDepotClients[d] * (finalSeqs[d] - options.shipmentsPerDepot), 0);

    // Memory: slope of post-GC heapUsed over the second half of the write phase.
    const half = heap.filter(([t]) => t >= writeSeconds / 2);
    const heapSlope = (slope(half) * 60) / 1024 / 1024; // MB per minute
    const rssSlope = (slope(rss.filter(([t]) => t >= writeSeconds / 2)) * 60) / 1024 / 1024;
    if (half.length < 4) failures.push(`only ${half.length} heap samples in the second half; cannot judge the trend`);
    else if (heapSlope > options.maxHeapSlopeMbPerMin) {
      failures.push(
        `dev stack heap grows ${heapSlope.toFixed(2)} MB/min after warm-up (limit ${options.maxHeapSlopeMbPerMin})`,
      );
    }

    const lc = stats.latencyCount;
    const p = (q: number) => `${percentile(stats.histogram, lc, q).toFixed(1)} ms`;
    rows.push(
      ['clients / depots', `${options.clients} / ${options.depots} (${connectedAtEnd} connected at the end)`],
      [
        'write phase',
        `${writeSeconds.toFixed(1)} s at a target of ${options.rate} changes/s${latePaces ? ` (${latePaces} changes > 100 ms late)` : ''}`,
      ],
      ['changes committed', `${committed} (${(committed / writeSeconds).toFixed(1)}/s; writes failed: ${writeErrors})`],
      [
        'live deliveries',
        `${stats.deliveries} of ${expected} expected (${((100 * stats.deliveries) / Math.max(1, expected)).toFixed(3)}%)`,
      ],
      [
        'backfilled changes',
        `${stats.backfilled} in ${stats.backfillQueries} queries (${options.clients} initial catch-ups included)`,
      ],
      [
        'commit → client latency',
        `p50 ${p(50)}, p95 ${p(95)}, p99 ${p(99)}, max ${stats.latencyMax.toFixed(1)} ms (${lc} samples${stats.negative ? `, ${stats.negative} negative` : ''})`,
      ],
      [
        'stack event-loop delay (writes)',
        `p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms (GC forced before each heap sample)`,
      ],
      ['drain after writers stop', `${drainMs.toFixed(0)} ms`],
      ['boards equal to database', `${verify.clients - verify.mismatchedClients} / ${verify.clients}`],
      [
        'applied seqs exactly 1..N',
        `${verify.clients - verify.seqViolations - verify.wrongCounts} / ${verify.clients} (violations ${verify.seqViolations}, wrong counts ${verify.wrongCounts})`,
      ],
      ['lost updates', `${verify.mismatchedClients + verify.wrongCounts}`],
      [
        'stack heap (main thread, post-GC)',
        `${mb(heap[0][1]).toFixed(1)} → ${mb(heap[heap.length - 1][1]).toFixed(1)} MB; 2nd-half slope ${heapSlope.toFixed(2)} MB/min (limit ${options.maxHeapSlopeMbPerMin}, ${half.length} samples)`,
      ],
      [
        'process RSS (stack + client worker)',
        `${mb(rss[0][1]).toFixed(0)} → ${mb(rss[rss.length - 1][1]).toFixed(0)} MB; 2nd-half slope ${rssSlope.toFixed(1)} MB/min (reported only)`,
      ],
      ['total run time', elapsed()],
    );
  } catch (err) {
    failures.push(`run aborted: ${(err as Error)?.stack ?? String(err)}`);
  } finally {
    await clients?.call({ cmd: 'close' }).catch(() => {});
    await clients?.terminate();
    await writerSql?.end({ timeout: 2 });
    await api?.close();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return { ok: failures.length === 0, failures, rows };
}

export function formatResult(result: LoadResult): string {
  const width = Math.max(...result.rows.map(([k]) => k.length), 10);
  const lines = ['', 'Load/soak summary', '-'.repeat(width + 3 + 60)];
  for (const [k, v] of result.rows) lines.push(`${k.padEnd(width)} | ${v}`);
  lines.push('-'.repeat(width + 3 + 60));
  if (result.ok) lines.push('PASS');
  else lines.push('FAIL', ...result.failures.map((f) => `  - ${f}`));
  return lines.join('\n');
}
