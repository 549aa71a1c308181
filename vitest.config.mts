import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The app's import alias (tsconfig paths), so tests can load lib/ modules that use it.
  resolve: { alias: { '@/': fileURLToPath(new URL('./', import.meta.url)) } },
  test: {
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
