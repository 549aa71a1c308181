import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Debian's Chromium by default (these machines cannot download Playwright's
// browsers); CHROMIUM_PATH overrides; with neither, Playwright's own browser
// from `npx playwright install chromium` is used.
const chromiumPath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 120_000,
  expect: { timeout: 10_000 },
  // Two cores: one browser test at a time; each test uses several contexts.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  globalSetup: './tests/e2e/global-setup.ts',
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
  projects: [
    // The whole suite on the default provider (Supabase Realtime).
    { name: 'supabase', testIgnore: /provider\.spec\.ts/, metadata: { baseUrlEnv: 'E2E_BASE_URL' } },
    // The provider swap: the app built for Pusher, against the Pusher test server and the relay.
    { name: 'pusher', testMatch: /provider\.spec\.ts/, metadata: { baseUrlEnv: 'E2E_PUSHER_BASE_URL' } },
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
