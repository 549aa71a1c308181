// REST overhead benchmark: the same two queries through supabase-js (gateway,
// JWT check, one transaction with role and claims, JSON built in Postgres) and
// through raw `postgres` on the same database. Prints requests/s, p50, p99,
// the overhead ratio and the Node process's CPU time per request (client and
// stack share the process; on a busy machine it moves far less than latency).
// Starts its own stack: `npx tsx bench/rest/bench.ts`.
import { createClient } from '@supabase/supabase-js';
import postgres from 'postgres';
import WebSocket from 'ws';
import { recordMetric } from '../support/results';
import { startBenchStack } from '../support/stack';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

interface Result {
  name: string;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  /** CPU time of this Node process (user + system) per request, in ms. */
  cpuMs: number;
}

async function measure(name: string, run: () => Promise<void>): Promise<Result> {
  for (let i = 0; i < 50; i++) await run(); // warm up
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + DURATION_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await run();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const cpuMs = (cpu.user + cpu.system) / 1000 / latencies.length;
  return { name, requests: latencies.length, seconds, p50: pct(50), p99: pct(99), cpuMs };
}

async function main(): Promise<void> {
  const stack = await startBenchStack();
  const raw = postgres(stack.stack.dbUrl, { max: CONCURRENCY, onnotice: () => {} });
  const client = createClient(stack.api.url, stack.api.keys.serviceRoleKey, {
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    auth: { persistSession: false, autoRefreshToken: false },
  });
  try {
    const [{ id }] = await raw<{ id: string }[]>`select id from public.shipments where reference = 'NOR-1003'`;
    const check = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`benchmark query returned the wrong result: ${what}`);
    };
    const results: [Result, Result][] = [];
    results.push([
      await measure('select by id (supabase-js)', async () => {
        const { data } = await client.from('shipments').select('*').eq('id', id).single();
        check(data?.id === id, 'select by id');
      }),
      await measure('select by id (postgres)', async () => {
        const rows = await raw`select * from public.shipments where id = ${id}`;
        check(rows.length === 1, 'select by id');
      }),
    ]);
    results.push([
      await measure('list of 50 (supabase-js)', async () => {
        const { data } = await client
          .from('shipments')
          .select('id, reference, status, eta')
          .gte('created_at', '2000-01-01T00:00:00Z')
          .neq('status', 'cancelled')
          .order('reference')
          .limit(50);
        check(data?.length === 50, 'list');
      }),
      await measure('list of 50 (postgres)', async () => {
        const rows =
          await raw`select id, reference, status, eta from public.shipments where created_at >= '2000-01-01T00:00:00Z' and status <> 'cancelled' order by reference limit 50`;
        check(rows.length === 50, 'list');
      }),
    ]);
    for (const [rest, direct] of results) {
      recordMetric({
        name: `REST ${rest.name} p50`,
        value: rest.p50,
        unit: 'ms',
        baseline: { name: direct.name, value: direct.p50 },
      });
      recordMetric({
        name: `REST ${rest.name} p99`,
        value: rest.p99,
        unit: 'ms',
        baseline: { name: direct.name, value: direct.p99 },
      });
      recordMetric({
        name: `REST ${rest.name} Node CPU per request`,
        value: rest.cpuMs,
        unit: 'ms',
        baseline: { name: direct.name, value: direct.cpuMs },
      });
      recordMetric({
        name: `REST ${rest.name} throughput`,
        value: rest.requests / rest.seconds,
        unit: 'req/s',
        baseline: { name: direct.name, value: direct.requests / direct.seconds },
      });
    }
    const fmt = (n: number, digits = 2) => n.toFixed(digits).padStart(9);
    console.log(`\nREST overhead (concurrency ${CONCURRENCY}, ${DURATION_MS} ms per run, Node ${process.version})\n`);
    console.log(
      `${'query'.padEnd(30)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'CPU ms'.padStart(9)}   overhead (p50 / req/s)`,
    );
    for (const [rest, direct] of results) {
      for (const r of [rest, direct]) {
        const ratio =
          r === rest
            ? `   x${(rest.p50 / direct.p50).toFixed(1)} / x${(direct.requests / direct.seconds / (rest.requests / rest.seconds)).toFixed(1)}`
            : '';
        console.log(
          `${r.name.padEnd(30)} ${fmt(r.requests / r.seconds, 0)} ${fmt(r.p50)} ${fmt(r.p99)} ${fmt(r.cpuMs, 3)}${ratio}`,
        );
      }
    }
  } finally {
    await raw.end({ timeout: 2 });
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
