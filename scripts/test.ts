// npm test: everything CI checks, in order, with one summary line at the end.
//   0. what the tests need from outside npm (scripts/prerequisites): a Chromium
//      and PostgreSQL 15, installed here when missing and the machine allows,
//      else a stop with one message before anything runs
//   1. TypeScript (tsc --noEmit), then ESLint and Prettier (npm run lint)
//   2. the whole vitest suite on a throw-away embedded PostgreSQL 17
//   2b. the suites that verify tokens (auth, REST, realtime, security) again with
//      the stack in legacy HS256 signing mode (DEVSTACK_JWT_ALGORITHM=HS256)
//   3. the database suite (tests/db) and the dev stack's migration and config.toml
//      tests again on the machine's PostgreSQL 15
//      (PG15_BIN, default /usr/lib/postgresql/15/bin), to prove the migrations
//      and policies hold on another major version
//   4. the load test's short form (200 realtime clients for 30 s)
//   5. the browser tests (Playwright + Chromium) against production builds
// A stray .only fails the run (vitest --allowOnly=false, playwright --forbid-only).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSystemPostgres } from '@switchboard/devstack';
import { ensurePrerequisites } from './prerequisites';
import { isSupportedNode, nodeSupportNote } from './node-support.mjs';

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}
const total: Tally = { passed: 0, failed: 0, skipped: 0 };

/** The suites that check tokens: auth, REST, realtime, security (and the app's proxy and keys). */
const HS256_SUITES = [
  'packages/devstack/tests/integration',
  'packages/devstack/tests/realtime',
  'tests/realtime',
  'tests/security',
  'tests/integration/proxy-claims.test.ts',
];
const failures: string[] = [];

function exec(label: string, cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  console.log(`\n▶ ${label}`);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env } });
    child.once('exit', (code, signal) => {
      const status = code ?? (signal ? 1 : 0);
      const took = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`${status === 0 ? '✓' : '✗'} ${label} (${took} s)`);
      resolve(status);
    });
  });
}

async function vitest(label: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-report-'));
  const report = path.join(dir, 'report.json');
  const code = await exec(
    label,
    'npx',
    [
      'vitest',
      'run',
      '--allowOnly=false',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...args,
    ],
    env,
  );
  try {
    const json = JSON.parse(await readFile(report, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
      numTotalTests: number;
    };
    total.passed += json.numPassedTests;
    total.failed += json.numFailedTests;
    total.skipped += json.numPendingTests + json.numTodoTests;
    if (json.numTotalTests === 0) failures.push(`${label}: ran no test`);
    // Said on its own line: the step's mark above follows vitest's exit code alone.
    if (json.numFailedTests > 0) {
      console.log(`✗ ${label}: ${json.numFailedTests} failed`);
      failures.push(`${label}: ${json.numFailedTests} failed`);
    }
  } catch {
    failures.push(`${label}: no test report (vitest exit code ${code})`);
  }
  if (code !== 0) failures.push(`${label}: exit code ${code}`);
  await rm(dir, { recursive: true, force: true });
}

async function playwright(label: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-report-'));
  const report = path.join(dir, 'report.json');
  const code = await exec(label, 'npx', ['playwright', 'test', '--forbid-only'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: report,
  });
  try {
    const json = JSON.parse(await readFile(report, 'utf8')) as {
      stats: { expected: number; unexpected: number; flaky: number; skipped: number };
    };
    total.passed += json.stats.expected + json.stats.flaky;
    total.failed += json.stats.unexpected;
    total.skipped += json.stats.skipped;
    if (json.stats.expected + json.stats.unexpected + json.stats.flaky === 0) failures.push(`${label}: ran no test`);
  } catch {
    failures.push(`${label}: no test report (playwright exit code ${code})`);
  }
  if (code !== 0) failures.push(`${label}: exit code ${code}`);
  await rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.log(nodeSupportNote());
  if (!isSupportedNode()) process.exit(1);
  console.log('\n▶ What the tests need outside npm (Chromium, PostgreSQL 15)');
  const tools = await ensurePrerequisites(['chromium', 'postgresql-15']);
  if (!tools.ok) {
    console.error(`\n${tools.message}`);
    process.exit(1);
  }
  // The rest of the run (Playwright's config, the PostgreSQL 15 run) uses what was found.
  process.env.CHROMIUM_PATH = tools.chromium;
  const pg15 = tools.pg15Bin!;

  const tsc = await exec('TypeScript', 'npx', ['tsc', '--noEmit']);
  if (tsc !== 0) failures.push('TypeScript: type errors');

  const lint = await exec('Lint and format (npm run lint)', 'npm', ['run', '--silent', 'lint']);
  if (lint !== 0) failures.push('Lint: npm run lint found problems (npm run format fixes formatting)');

  await vitest('Unit and integration tests on embedded PostgreSQL 17', []);

  // The default is ES256 user tokens; the legacy HS256 mode must keep working too.
  await vitest('Token-verifying suites in legacy HS256 mode', ['--project', 'stack', ...HS256_SUITES], {
    DEVSTACK_JWT_ALGORITHM: 'HS256',
  });

  console.log(`\n▶ Starting PostgreSQL 15 from ${pg15}`);
  const server = await startSystemPostgres(pg15);
  try {
    // The app's database suite, and the dev stack's own proofs that migrations run as
    // Supabase runs them and that config.toml drives it, on the other major version.
    const onPg15 = [
      'tests/db',
      'packages/devstack/tests/bootstrap.test.ts',
      'packages/devstack/tests/migrations-as-supabase.test.ts',
      'packages/devstack/tests/integration/config-toml.test.ts',
    ];
    await vitest(`Database tests on PostgreSQL ${server.version}`, ['--project', 'stack', ...onPg15], {
      DATABASE_URL: server.url,
    });
  } finally {
    await server.stop();
  }

  // The load/soak test in its short CI form (200 clients, 30 s): one pass/fail.
  const load = await exec('Load test, short form (npm run test:load -- --short)', 'node', [
    '--import',
    'tsx',
    'tests/load/run.ts',
    '--short',
  ]);
  if (load === 0) total.passed += 1;
  else {
    total.failed += 1;
    failures.push(`Load test: exit code ${load}`);
  }

  await playwright('Browser tests (Playwright, production build)');

  console.log('');
  for (const failure of failures) console.log(`✗ ${failure}`);
  console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
  process.exit(failures.length > 0 || total.failed > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
