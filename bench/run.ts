// npm run bench [-- --json] [-- --only startup,rest,realtime,app,proxy]
// Runs every benchmark one after another (each starts its own stack), then
// prints one summary table; --json writes bench/results/latest.json.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Metric } from './support/results';

const root = path.resolve(import.meta.dirname, '..');
const BENCHES = [
  { name: 'startup', file: 'bench/startup/bench.ts', nodeArgs: [] as string[] },
  { name: 'rest', file: 'bench/rest/bench.ts', nodeArgs: [] },
  { name: 'realtime', file: 'bench/realtime/bench.ts', nodeArgs: ['--expose-gc'] },
  { name: 'app', file: 'bench/app/bench.ts', nodeArgs: [] },
  { name: 'proxy', file: 'bench/proxy/bench.ts', nodeArgs: [] },
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const only = values.only?.split(',').map((s) => s.trim());
  const selected = BENCHES.filter((b) => !only || only.includes(b.name));
  if (selected.length === 0) throw new Error(`--only must name some of: ${BENCHES.map((b) => b.name).join(', ')}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-'));
  const results: (Metric & { bench: string })[] = [];
  const failed: string[] = [];
  for (const bench of selected) {
    const out = path.join(dir, `${bench.name}.json`);
    console.log(`\n━━ ${bench.name} (${bench.file}) ━━`);
    const started = Date.now();
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [...bench.nodeArgs, '--import', 'tsx', bench.file], {
        cwd: root,
        env: { ...process.env, BENCH_JSON_OUT: out, NEXT_TELEMETRY_DISABLED: '1' },
        stdio: 'inherit',
      });
      child.once('exit', (c) => resolve(c ?? 1));
    });
    console.log(
      `━━ ${bench.name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    if (code !== 0) failed.push(bench.name);
    try {
      for (const metric of JSON.parse(await readFile(out, 'utf8')) as Metric[])
        results.push({ ...metric, bench: bench.name });
    } catch {
      failed.push(`${bench.name} (no results)`);
    }
  }
  await rm(dir, { recursive: true, force: true });

  const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2));
  console.log('\nSummary\n');
  console.log('| metric | value | baseline (same run) | ratio | target |\n|---|---:|---|---:|---|');
  for (const m of results) {
    const ratio = m.baseline && m.baseline.value !== 0 ? `${(m.value / m.baseline.value).toFixed(2)}×` : '';
    console.log(
      `| ${m.name} | ${fmt(m.value)} ${m.unit} | ${m.baseline ? `${m.baseline.name}: ${fmt(m.baseline.value)}` : ''} | ${ratio} | ${m.target ?? ''} |`,
    );
  }
  if (values.json) {
    const machine = {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.type()} ${os.release()}`,
    };
    const file = path.join(root, 'bench', 'results', 'latest.json');
    await writeFile(file, JSON.stringify({ date: new Date().toISOString(), machine, metrics: results }, null, 2));
    console.log(`\nWrote ${path.relative(root, file)}`);
  }
  if (failed.length) {
    console.error(`\nFailed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
