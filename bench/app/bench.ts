// App benchmark (Playwright + Chromium, production build), at 2,000 and 10,000
// shipments side by side in one run (issue 14's performance targets):
//   - SSR time to first byte of the board (10 loads);
//   - 50 deltas/s for 30 s: commit → DOM latency (p50/p95/p99) of the cards on
//     screen, and long tasks (> 50 ms) on the main thread;
//   - a search keystroke → the filtered DOM, and the app-server requests made
//     while searching (target: none);
//   - opening the drawer (Enter on a card → the drawer in the DOM).
// Starts its own dev stack and app build: `npx tsx bench/app/bench.ts`.
// BENCH_SIZES (e.g. "2000,10000"), BENCH_RATE, BENCH_SECONDS and BENCH_WARMUP_SECONDS
// override the defaults. Each board first gets BENCH_WARMUP_SECONDS (5) of the same
// deltas unmeasured, so the first board measured does not pay alone for the live
// path's first runs (JIT, first renders of the highlight) that the second board gets warm.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import postgres, { type Sql } from 'postgres';
import { freePort } from '@switchboard/devstack';
import { recordMetric } from '../support/results';
import { startBenchStack } from '../support/stack';
import {
  percentile as pct,
  readDrawerProbe,
  readKeystrokeProbe,
  readLiveProbe,
  startDrawerProbe,
  startKeystrokeProbe,
  startLiveProbe,
} from './measure';

const SIZES = (process.env.BENCH_SIZES ?? '2000,10000').split(',').map(Number);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const root = path.resolve(import.meta.dirname, '../..');
const HQ = 'a0000000-0000-4000-8000-000000000003';

interface BoardResult {
  size: number;
  ttfb: number[];
  latencies: number[];
  deltas: number;
  onScreen: number;
  long: number[];
  keystrokes: number[];
  searchRequests: string[];
  opens: number[];
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

/** Seeds a depot of `size` shipments for the HQ dispatcher and measures its board. */
async function measureBoard(page: Page, sql: Sql, size: number): Promise<BoardResult> {
  const [{ id: depotId }] = await sql`
    insert into depots (name, min_lat, min_lng, max_lat, max_lng)
    values (${`Bench ${size}`}, 51.4, -0.3, 51.6, 0.1) returning id`;
  await sql`insert into depot_members (depot_id, user_id) values (${depotId}, ${HQ})`;
  await sql`
    insert into shipments (depot_id, reference, recipient, address, eta)
    select ${depotId}, ${`B${size}-`} || lpad(n::text, 5, '0'), 'Recipient ' || n, n || ' Bench Road',
           now() + make_interval(mins => 90 + n % 600)
    from generate_series(1, ${size}) n`;
  const ids = await sql<{ id: string; reference: string }[]>`
    select id, reference from shipments where depot_id = ${depotId} order by reference`;
  // Sorted by reference, so the ETA updates below never move a card off screen.
  const url = `/board/${depotId}?sort=reference`;

  const ttfb: number[] = [];
  for (let i = 0; i < 10; i++) {
    await page.goto(url);
    ttfb.push(
      await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return nav.responseStart - nav.requestStart;
      }),
    );
  }
  await page.getByTestId('connection-badge').and(page.locator('[data-state="connected"]')).waitFor({ timeout: 30_000 });

  // 50 deltas/s: half to cards on screen (whose DOM latency is measured), half anywhere on the board.
  const onScreenRefs = await page
    .locator('[data-card-id]')
    .evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.testid!.slice(5)));
  const onScreen = ids.filter((s) => onScreenRefs.includes(s.reference));
  const committed = new Map<string, number>();
  /** RATE deltas/s for `seconds`, recording each commit's wall-clock time; returns how many were sent. */
  const sendDeltas = async (seconds: number) => {
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < seconds * 1000) {
      const target = started + sent * (1000 / RATE);
      if (target > Date.now()) await new Promise((r) => setTimeout(r, target - Date.now()));
      const pool = sent % 2 === 0 && onScreen.length > 0 ? onScreen : ids;
      const s = pool[Math.floor(Math.random() * pool.length)];
      const [row] = await sql<{ version: number }[]>`
        update shipments set eta = eta + interval '1 second' where id = ${s.id} returning version`;
      committed.set(`${s.reference}@${row.version}`, Date.now());
      sent++;
    }
    return sent;
  };
  if (WARMUP_SECONDS > 0) {
    await sendDeltas(WARMUP_SECONDS);
    await page.waitForTimeout(1000); // let the warm-up's last deltas land before measuring
    committed.clear();
  }
  await startLiveProbe(page);
  const deltas = await sendDeltas(SECONDS);
  await page.waitForTimeout(2000); // let the last deltas land
  const { seen, long } = await readLiveProbe(page);
  console.log(`  live: ${deltas} deltas, ${seen.length} card changes seen, ${onScreen.length} cards on screen`);
  const latencies: number[] = [];
  for (const [reference, version, at] of seen) {
    const t0 = committed.get(`${reference}@${version}`);
    if (t0 !== undefined) latencies.push(at - t0);
  }

  // Search: type numbers key by key (each keystroke narrows the board), then delete them.
  const origin = new URL(page.url()).origin;
  const searchRequests: string[] = [];
  // Not the tab's icon, which Chromium asks for again on every same-document URL change.
  const icons = new Set(
    await page.locator('link[rel~="icon"]').evaluateAll((links) => links.map((l) => (l as HTMLLinkElement).href)),
  );
  const onRequest = (request: { url(): string }) => {
    if (request.url().startsWith(origin) && !icons.has(request.url())) searchRequests.push(request.url());
  };
  page.on('request', onRequest);
  await startKeystrokeProbe(page);
  const search = page.getByTestId('filter-query');
  await search.click();
  for (let i = 0; i < 12; i++) {
    const term = String(1 + ((i * 7919) % Math.min(size, 9999)));
    await page.keyboard.type(term, { delay: 80 });
    for (let k = 0; k < term.length; k++) await page.keyboard.press('Backspace', { delay: 80 });
  }
  await page.waitForTimeout(300);
  page.off('request', onRequest);
  const keystrokes = await readKeystrokeProbe(page);
  const left = {
    query: await search.inputValue(),
    url: page.url(),
    visible: await page.getByTestId('board-count').getAttribute('data-visible'),
  };
  console.log(`  search: ${keystrokes.length} keystrokes measured; then ${JSON.stringify(left)}`);
  await search.fill('');
  await page.locator(`[data-testid="board-count"][data-visible="${size}"]`).waitFor();

  // The drawer: Enter on a card, then Esc, 30 times over the cards on screen now.
  const rendered = await page
    .locator('[data-card-id]')
    .evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.testid!.slice(5)));
  const scrollTop = await page.getByTestId('scroll-pending').evaluate((el) => el.scrollTop);
  console.log(
    `  drawer: ${rendered.length} cards rendered (${rendered.slice(0, 3).join(', ')}…), pending column scrollTop ${scrollTop}`,
  );
  await startDrawerProbe(page);
  const drawer = page.getByTestId('shipment-drawer');
  for (let i = 0; i < 30; i++) {
    const card = page.getByTestId(`card-${rendered[i % Math.min(rendered.length, 8)]}`);
    await card.focus();
    await page.keyboard.press('Enter');
    await drawer.waitFor();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  }
  const opens = await readDrawerProbe(page);

  return { size, ttfb, latencies, deltas, onScreen: onScreen.length, long, keystrokes, searchRequests, opens };
}

function report(results: BoardResult[], chromiumVersion: string): void {
  const cell = (values: number[], p: number) => (values.length ? `${pct(sorted(values), p).toFixed(0)} ms` : 'n/a');
  const rows: [string, (r: BoardResult) => string][] = [
    ['SSR TTFB p50 / p95 (10 loads)', (r) => `${cell(r.ttfb, 50)} / ${cell(r.ttfb, 95)}`],
    [
      'commit → DOM p50 / p95 / p99',
      (r) => `${cell(r.latencies, 50)} / ${cell(r.latencies, 95)} / ${cell(r.latencies, 99)}`,
    ],
    ['deltas (measured on screen)', (r) => `${r.deltas} (${r.latencies.length})`],
    [
      'long tasks > 50 ms (longest)',
      (r) => `${r.long.length}${r.long.length ? ` (${Math.max(...r.long).toFixed(0)} ms)` : ''}`,
    ],
    ['keystroke → filtered DOM p50 / p95', (r) => `${cell(r.keystrokes, 50)} / ${cell(r.keystrokes, 95)}`],
    ['keystrokes measured', (r) => String(r.keystrokes.length)],
    ['app-server requests while searching', (r) => String(r.searchRequests.length)],
    ['open drawer p50 / p95 (30 opens)', (r) => `${cell(r.opens, 50)} / ${cell(r.opens, 95)}`],
  ];
  console.log(
    `\nApp benchmark: ${RATE} deltas/s for ${SECONDS} s, Chromium ${chromiumVersion}, ${os.cpus().length} CPUs, ${new Date().toISOString()}\n`,
  );
  const header = ['measurement', ...results.map((r) => `${r.size.toLocaleString('en')} shipments`)];
  const table = [header, ...rows.map(([label, f]) => [label, ...results.map(f)])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  │  '));

  for (const r of results) {
    const n = r.size.toLocaleString('en');
    const s = (v: number[]) => sorted(v);
    recordMetric({
      name: `app SSR TTFB p50, ${n} shipments`,
      value: pct(s(r.ttfb), 50),
      unit: 'ms',
      target: 'p50 ≤ 200 ms',
    });
    recordMetric({
      name: `app commit→DOM p95, ${n} shipments`,
      value: pct(s(r.latencies), 95),
      unit: 'ms',
      target: 'p95 ≤ 50 ms',
    });
    recordMetric({
      name: `app commit→DOM p99, ${n} shipments`,
      value: pct(s(r.latencies), 99),
      unit: 'ms',
      target: 'p99 ≤ 100 ms',
    });
    recordMetric({
      name: `app long tasks > 50 ms, ${n} shipments`,
      value: r.long.length,
      unit: 'count',
      target: 'none',
    });
    recordMetric({
      name: `app keystroke→DOM p95, ${n} shipments`,
      value: pct(s(r.keystrokes), 95),
      unit: 'ms',
      target: 'p95 ≤ 50 ms',
    });
    recordMetric({
      name: `app requests while searching, ${n} shipments`,
      value: r.searchRequests.length,
      unit: 'count',
      target: 'none',
    });
    recordMetric({
      name: `app open drawer p95, ${n} shipments`,
      value: pct(s(r.opens), 95),
      unit: 'ms',
      target: 'p95 ≤ 50 ms',
    });
  }
}

async function main(): Promise<void> {
  const bench = await startBenchStack();
  const sql = postgres(bench.stack.dbUrl, { max: 4, onnotice: () => {} });
  const env = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    NEXT_DIST_DIR: '.next-bench',
    NEXT_PUBLIC_SUPABASE_URL: bench.api.url,
    NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: bench.api.keys.publishableKey,
    NEXT_PUBLIC_SUPABASE_ANON_KEY: '',
    DATABASE_URL: bench.stack.dbUrl,
  };
  const next = path.join(root, 'node_modules', '.bin', 'next');
  if (!process.env.BENCH_SKIP_BUILD) {
    console.log('building the app…');
    await run(next, ['build'], env);
  }
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
    for (let i = 0; ; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/login`);
        break;
      } catch {
        if (i > 150) throw new Error('next start did not come up');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const context = await browser.newContext({
      baseURL: `http://127.0.0.1:${port}`,
      viewport: { width: 1440, height: 900 },
    });
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Email', { exact: true }).fill('dispatcher.hq@example.com');
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/board\//);
    const results: BoardResult[] = [];
    for (const size of SIZES) {
      console.log(`measuring a board of ${size} shipments…`);
      results.push(await measureBoard(page, sql, size));
    }
    report(results, browser.version());
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
