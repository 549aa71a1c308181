import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { isSupabaseNodeNotice } from './scripts/node-support.mjs';

export default defineConfig({
  // The app's import alias (tsconfig paths), so tests can load lib/ modules that use it.
  resolve: { alias: { '@/': fileURLToPath(new URL('./', import.meta.url)) } },
  test: {
    // A stray .only fails CI instead of silently skipping the rest (npm test passes --allowOnly=false too).
    allowOnly: !process.env.CI,
    // supabase-js's Node 20 notice, once per worker; npm test states Node support once at the start.
    onConsoleLog: (log) => !isSupabaseNodeNotice(log),
    projects: [
      {
        extends: true,
        // Pure functions: no database, no stack.
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts', 'packages/*/tests/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        // Server modules mark themselves with `import 'server-only'`, which only
        // resolves in React's server build; tests run them on plain Node.
        resolve: { alias: { 'server-only': path.resolve(import.meta.dirname, 'node_modules/server-only/empty.js') } },
        test: {
          name: 'stack',
          // The app's tests and the dev stack package's own, on one private stack.
          include: ['tests/**/*.test.ts', 'packages/devstack/tests/**/*.test.ts'],
          exclude: ['tests/unit/**', 'packages/*/tests/unit/**', 'tests/e2e/**', '**/node_modules/**'],
          globalSetup: ['packages/devstack/src/testing/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Files share one database; each test isolates itself (rolled-back
          // transactions or its own depot), so files can run in parallel.
          fileParallelism: true,
          pool: 'forks',
        },
      },
    ],
  },
});
