// App benchmark (Playwright + Chromium, production build):
//   - SSR time to first byte of a board with 2,000 shipments;
//   - the same board receiving 50 deltas/s for 30 s: commit → DOM latency
//     (p50/p95/p99) and long tasks (> 50 ms) on the main thread.
// Starts its own dev stack and app build: `npx tsx bench/app/bench.ts`.
// BENCH_SHIPMENTS, BENCH_RATE and BENCH_SECONDS override the defaults.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chromium } from '@playwright/test';
import postgres from 'postgres';
import { freePort } from '@switchboard/devstack';
import { recordMetric } from '../support/results';
import { startBenchStack } from '../support/stack';

const SHIPMENTS = Number(process.env.BENCH_SHIPMENTS ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const root = path.resolve(import.meta.dirname, '../..');
const HQ = 'a0000000-0000-4000-8000-000000000003';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const bench = await startBenchStack();
  const sql = postgres(bench.stack.dbUrl, { max: 4, onnotice: () => {} });
  const env = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    NEXT_DIST_DIR: '.next-bench',
    NEXT_PUBLIC_SUPABASE_URL: bench.api.url,
    NEXT_PUBLIC_SUPABASE_ANON_KEY: bench.api.keys.anonKey,
  };
  const next = path.join(root, 'node_modules', '.bin', 'next');
  console.log('building the app…');
  await run(next, ['build'], env);
  const port = await freePort();
  const server = spawn(next, ['start', '-p', String(port), '-H', '127.0.0.1'], { cwd: root, env, stdio: 'ignore' });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  try {
    const [{ id: depotId }] = await sql`
      insert into depots (name, min_lat, min_lng, max_lat, max_lng) values ('Bench Depot', 51.4, -0.3, 51.6, 0.1) returning id`;
    await sql`insert into depot_members (depot_id, user_id) values (${depotId}, ${HQ})`;
    await sql`
      insert into shipments (depot_id, reference, recipient, address)
      select ${depotId}, 'BEN-' || lpad(n::text, 5, '0'), 'Recipient ' || n, n || ' Bench Road'
      from generate_series(1, ${SHIPMENTS}) n`;
    const ids = await sql<
      { id: string; reference: string }[]
    >`select id, reference from shipments where depot_id = ${depotId} order by reference`;

    for (let i = 0; ; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/login`);
        break;
      } catch {
        if (i > 100) throw new Error('next start did not come up');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const context = await browser.newContext({
      baseURL: `http://127.0.0.1:${port}`,
      viewport: { width: 1600, height: 1000 },
    });
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Email', { exact: true }).fill('dispatcher.hq@example.com');
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/board\//);

    // SSR time to first byte of the 2,000-shipment board, over 10 loads.
    const ttfb: number[] = [];
    for (let i = 0; i < 10; i++) {
      await page.goto(`/board/${depotId}`);
      ttfb.push(
        await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          return nav.responseStart - nav.requestStart;
        }),
      );
    }
    await page
      .getByTestId('connection-badge')
      .and(page.locator('[data-state="connected"]'))
      .waitFor({ timeout: 30_000 });

    // Record when each card's version changes in the DOM, and long tasks.
    await page.evaluate(() => {
      const w = window as unknown as { __seen: [string, number, number][]; __long: number[] };
      w.__seen = [];
      w.__long = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__long.push(e.duration))).observe({
        type: 'longtask',
        buffered: false,
      });
      new MutationObserver((records) => {
        const now = Date.now();
        for (const r of records) {
          const el = r.target as HTMLElement;
          if (r.attributeName === 'data-version' && el.dataset.testid?.startsWith('card-')) {
            w.__seen.push([el.dataset.testid.slice(5), Number(el.dataset.version), now]);
          }
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-version'] });
    });

    const committed = new Map<string, number>();
    const interval = 1000 / RATE;
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < SECONDS * 1000) {
      const target = started + n * interval;
      if (target > Date.now()) await new Promise((r) => setTimeout(r, target - Date.now()));
      const s = ids[Math.floor(Math.random() * ids.length)];
      const [row] = await sql<
        { version: number }[]
      >`update shipments set eta = now() + make_interval(secs => ${n}) where id = ${s.id} returning version`;
      committed.set(`${s.reference}@${row.version}`, Date.now());
      n++;
    }
    await page.waitForTimeout(2000); // let the last deltas land
    const { seen, long } = await page.evaluate(() => {
      const w = window as unknown as { __seen: [string, number, number][]; __long: number[] };
      return { seen: w.__seen, long: w.__long };
    });
    const latencies: number[] = [];
    for (const [reference, version, at] of seen) {
      const t0 = committed.get(`${reference}@${version}`);
      if (t0 !== undefined) latencies.push(at - t0);
    }
    latencies.sort((a, b) => a - b);
    ttfb.sort((a, b) => a - b);
    const lost = n - latencies.length;

    recordMetric({ name: 'app SSR TTFB p50, 2,000-shipment board', value: pct(ttfb, 50), unit: 'ms' });
    recordMetric({
      name: 'app commit→DOM p50',
      value: pct(latencies, 50),
      unit: 'ms',
      target: 'dispatch board goal: 200 ms',
    });
    recordMetric({ name: 'app commit→DOM p95', value: pct(latencies, 95), unit: 'ms', target: 'p95 ≤ 50 ms' });
    recordMetric({ name: 'app long tasks > 50 ms', value: long.length, unit: 'count', target: 'none' });
    console.log(
      `\nApp benchmark: ${SHIPMENTS} shipments, ${RATE} deltas/s for ${SECONDS} s (${n} deltas), Chromium ${browser.version()}\n`,
    );
    console.log(
      `SSR time to first byte (10 loads):  p50 ${pct(ttfb, 50).toFixed(0)} ms   p95 ${pct(ttfb, 95).toFixed(0)} ms`,
    );
    console.log(
      `commit → DOM latency:               p50 ${pct(latencies, 50)} ms   p95 ${pct(latencies, 95)} ms   p99 ${pct(latencies, 99)} ms   (target p95 ≤ 50 ms)`,
    );
    console.log(
      `deltas seen in the DOM:             ${latencies.length} of ${n}${lost > 0 ? ` (${lost} superseded by a newer version of the same card before painting, or missing)` : ''}`,
    );
    console.log(
      `long tasks (> 50 ms):               ${long.length}${long.length ? `, longest ${Math.max(...long).toFixed(0)} ms` : ''}   (target: none)`,
    );
  } finally {
    await browser.close();
    server.kill('SIGTERM');
    await sql.end();
    await bench.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
