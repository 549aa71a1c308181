import { defineConfig } from '@playwright/test';
import { fromProcess } from './scripts/prerequisites';
import { locateChromium } from './scripts/prerequisites/locate';

// The Chromium `npm test` checks for (scripts/prerequisites): CHROMIUM_PATH,
// else `chromium` on PATH (Debian's package: these machines cannot download
// Playwright's browsers), else Playwright's own (`npx playwright install chromium`).
const chromium = locateChromium(fromProcess());
const chromiumPath = chromium.found && chromium.source !== "Playwright's Chromium" ? chromium.path : undefined;

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 120_000,
  expect: { timeout: 10_000 },
  // Two cores: one browser test at a time; each test uses several contexts.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // A stray test.only fails CI instead of skipping the rest (npm test passes --forbid-only too).
  forbidOnly: Boolean(process.env.CI),
  globalSetup: './tests/e2e/global-setup.ts',
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
  projects: [
    // The whole suite on the default provider (Supabase Realtime).
    { name: 'supabase', testIgnore: /provider\.spec\.ts/, metadata: { baseUrlEnv: 'E2E_BASE_URL' } },
    // The provider swap (the app built for Pusher, against the Pusher test server and the relay), and degraded mode on it.
    { name: 'pusher', testMatch: /(provider|degraded)\.spec\.ts/, metadata: { baseUrlEnv: 'E2E_PUSHER_BASE_URL' } },
    // Degraded mode on the app built for Ably (the Ably protocol test server, a stack and relay of its own).
    {
      name: 'ably',
      testMatch: /degraded\.spec\.ts/,
      metadata: { baseUrlEnv: 'E2E_ABLY_BASE_URL', dbUrlEnv: 'E2E_ABLY_DB_URL' },
    },
  ],
  use: {
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
