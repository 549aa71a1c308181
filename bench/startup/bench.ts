// Dev stack start-up: cold (empty data folder → ready: initdb, bootstrap,
// migrations, seed, API) and warm (existing data → ready), as `npm run stack`
// runs it, several times each. `npx tsx bench/startup/bench.ts`.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@switchboard/devstack';
import { recordMetric } from '../support/results';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const root = path.resolve(import.meta.dirname, '../..');

/** Starts the CLI, resolves with the ms until its ready banner, then stops it. */
async function startOnce(dataDir: string): Promise<number> {
  const env = {
    ...process.env,
    DATABASE_URL: '',
    DEVSTACK_DATA_DIR: dataDir,
    DEVSTACK_DB_PORT: String(await freePort()),
    DEVSTACK_API_PORT: String(await freePort()),
    NO_COLOR: '1',
  };
  const t0 = performance.now();
  const child = spawn(process.execPath, ['packages/devstack/bin/devstack.mjs'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('dev stack is ready')) resolve(performance.now() - t0);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`stack exited (${code}) before ready:\n${output}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return ready;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-startup-'));
    await chmod(dir, 0o755);
    const dataDir = path.join(dir, 'pg');
    try {
      cold.push(await startOnce(dataDir));
      warm.push(await startOnce(dataDir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const fmt = (xs: number[]) =>
    `median ${(median(xs) / 1000).toFixed(2)} s, max ${(Math.max(...xs) / 1000).toFixed(2)} s`;
  console.log(`\nDev stack start-up, ${RUNS} runs each (process start → "ready" banner, API included)\n`);
  console.log(`cold (empty data folder): ${fmt(cold)}`);
  console.log(`warm (existing data):     ${fmt(warm)}`);
  recordMetric({
    name: 'dev stack cold start (empty data → ready)',
    value: median(cold) / 1000,
    unit: 's',
    target: 'ready within 5 s after install',
  });
  recordMetric({ name: 'dev stack warm start', value: median(warm) / 1000, unit: 's' });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
