// ESLint flat config: Next's recommended rules (core web vitals + TypeScript),
// with formatting left to Prettier (eslint-config-prettier turns off the
// stylistic rules that would fight it).
import { defineConfig, globalIgnores } from 'eslint/config';
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';
import prettier from 'eslint-config-prettier/flat';

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  prettier,
  {
    // Playwright fixtures call their continuation `use`, which is not React's.
    files: ['tests/e2e/**'],
    rules: { 'react-hooks/rules-of-hooks': 'off' },
  },
  {
    // Server code logs through pino (packages/devstack/src/log-json.ts, relay/log.ts),
    // never console: JSON in production, one format per process. The dev stack's
    // command-line output (cli.ts, log.ts: progress lines and the banner) and its
    // test harness print to the terminal on purpose; browser code may use console.
    files: [
      'relay/**',
      'packages/devstack/src/**',
      'app/**',
      'proxy.ts',
      'lib/supabase/**',
      'lib/realtime/server/**',
      'lib/security/**',
      'lib/session.ts',
      'lib/stack-health.ts',
    ],
    ignores: ['packages/devstack/src/cli.ts', 'packages/devstack/src/log.ts', 'packages/devstack/src/testing/**'],
    rules: { 'no-console': 'error' },
  },
  globalIgnores([
    'node_modules/**',
    '.next/**',
    '.next-*/**',
    '.devstack/**',
    'out/**',
    'next-env.d.ts',
    'lib/database.types.ts',
    'bench/results/**',
    'test-results/**',
    'playwright-report/**',
    'tests/live/.generated/**',
  ]),
]);
