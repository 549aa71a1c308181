// npm run screenshots: the README's pictures, from a fresh seeded stack (no
// leftover test data): the dispatch board on a desktop and the driver view on
// a phone, each in light and dark. Everything runs on free ports next to
// whatever else is running; the images go to docs/screenshots/.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { freePort, readKeys, startApi, startStack } from '@switchboard/devstack';
import { DEPOT } from '../tests/support/seed-ids';
import { buildAndStartApp } from '../tests/support/next-app';
import { nodeSupportNote } from './node-support.mjs';
import { fromProcess, missingMessage } from './prerequisites';
import { locateChromium } from './prerequisites/locate';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'docs', 'screenshots');
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-quic'];

const step = (line: string) => console.log(`[screenshots] ${line}`);

async function signIn(browser: Browser, baseURL: string, email: string, scheme: 'light' | 'dark') {
  const phone = email.startsWith('driver.');
  const context = await browser.newContext({
    baseURL,
    viewport: phone ? PHONE : DESKTOP,
    deviceScaleFactor: phone ? 2 : 1,
    hasTouch: phone,
    colorScheme: scheme,
  });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('password123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/(board|driver)/);
  await page.getByTestId('connection-badge').and(page.locator('[data-state="connected"]')).waitFor({ timeout: 30_000 });
  return { context, page };
}

async function shoot(page: Page, file: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(out, file) });
  step(`wrote docs/screenshots/${file}`);
}

async function main(): Promise<void> {
  console.log(nodeSupportNote());
  const browserLookup = locateChromium(fromProcess());
  if (!browserLookup.found) throw new Error(missingMessage([browserLookup], new Map()));

  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-screenshots-'));
  await chmod(dir, 0o755);
  const contexts: BrowserContext[] = [];
  let browser: Browser | null = null;
  const stack = await startStack({ dbPort: await freePort(), dataDir: path.join(dir, 'pg'), ephemeral: true });
  try {
    if (!stack.migrations.seeded) throw new Error('the fresh database was not seeded');
    step(`fresh seeded database at ${stack.dbUrl.replace(/:[^:@/]+@/, ':***@')}`);
    const keys = await readKeys({});
    const api = await startApi({ dbUrl: stack.dbUrl, port: await freePort(), keys, env: process.env });
    try {
      const app = await buildAndStartApp({
        name: 'screenshots',
        distDir: '.next-screenshots',
        env: {
          ...process.env,
          NEXT_PUBLIC_SUPABASE_URL: api.url,
          NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: keys.publishableKey,
          NEXT_PUBLIC_SUPABASE_ANON_KEY: '',
          NEXT_PUBLIC_REALTIME_PROVIDER: 'supabase',
        },
        log: step,
      });
      try {
        const own = browserLookup.source === "Playwright's Chromium";
        browser = await chromium.launch({ executablePath: own ? undefined : browserLookup.path, args: CHROMIUM_ARGS });
        for (const scheme of ['light', 'dark'] as const) {
          const suffix = scheme === 'dark' ? '-dark' : '';
          // A driver online, a second dispatcher looking at a shipment: what the board is for.
          const driver = await signIn(browser, app.url, 'driver.north1@example.com', scheme);
          const colleague = await signIn(browser, app.url, 'dispatcher.hq@example.com', scheme);
          await colleague.page.goto(`/board/${DEPOT.north}`);
          await colleague.page.getByTestId('card-NOR-1005').click();
          const board = await signIn(browser, app.url, 'dispatcher.north@example.com', scheme);
          contexts.push(driver.context, colleague.context, board.context);
          await board.page.getByTestId('presence-list').getByText('Hana Lindqvist').waitFor();
          await board.page.getByTestId('card-NOR-1005').getByTestId('viewing-marker').waitFor();
          await shoot(board.page, `board${suffix}.png`);
          await shoot(driver.page, `driver${suffix}.png`);
          for (const context of contexts.splice(0)) await context.close();
        }
      } finally {
        app.stop();
      }
    } finally {
      await api.close();
    }
  } finally {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`[screenshots] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
