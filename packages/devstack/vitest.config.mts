import { defineConfig } from 'vitest/config';

// `npm test -w @switchboard/devstack`: the dev stack's own tests, on a private
// stack serving the Supabase project found from the repository root.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['src/testing/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: true,
    pool: 'forks',
  },
});
