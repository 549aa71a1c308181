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
