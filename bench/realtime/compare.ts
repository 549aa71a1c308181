// Side by side: filter-cost.ts against two builds of the dev stack, in turns
// (base, this, base, this, …) so both see the same machine, then the median of
// each and their ratio. The claim it checks: filtering in SQL with the
// column's own type costs at most 10% throughput at 200 subscribers.
//
// Run: npx tsx bench/realtime/compare.ts --base /path/to/other/checkout [--rounds 3]
//      (the other checkout needs its own `npm ci`)
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
  },
});
if (!args.base) {
  console.error('Usage: npx tsx bench/realtime/compare.ts --base <checkout of the build to compare with> [--rounds 3]');
  process.exit(2);
}

interface Figures {
  changesPerSecond: number;
  stackCpuMsPerChange: number;
  postgresCpuMsPerChange: number;
  p50: number;
  p95: number;
  p99: number;
}
interface Result {
  filtered: Figures;
  unfiltered: Figures;
}

const builds = {
  base: path.resolve(args.base, 'packages/devstack'),
  this: path.resolve(import.meta.dirname, '../../packages/devstack'),
};
const results: Record<keyof typeof builds, Result[]> = { base: [], this: [] };
const script = path.join(import.meta.dirname, 'filter-cost.ts');

for (let round = 1; round <= Number(args.rounds); round++) {
  for (const name of ['base', 'this'] as const) {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', script, '--devstack', builds[name], '--seconds', args.seconds],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const line = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !line.startsWith('{')) {
      console.error(`round ${round}, ${name} failed:\n${run.stderr.slice(-3000)}`);
      process.exit(1);
    }
    const result = JSON.parse(line) as Result;
    results[name].push(result);
    console.log(
      `round ${round} ${name.padEnd(4)}: filtered ${result.filtered.changesPerSecond.toFixed(0)} changes/s, ` +
        `${(result.filtered.stackCpuMsPerChange + result.filtered.postgresCpuMsPerChange).toFixed(2)} CPU ms/change ` +
        `(p50 ${result.filtered.p50} ms, p99 ${result.filtered.p99} ms), unfiltered ${result.unfiltered.changesPerSecond.toFixed(0)} changes/s`,
    );
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = (name: keyof typeof builds, kind: keyof Result) => ({
  throughput: median(results[name].map((r) => r[kind].changesPerSecond)),
  stackCpu: median(results[name].map((r) => r[kind].stackCpuMsPerChange)),
  postgresCpu: median(results[name].map((r) => r[kind].postgresCpuMsPerChange)),
  p50: median(results[name].map((r) => r[kind].p50)),
  p95: median(results[name].map((r) => r[kind].p95)),
  p99: median(results[name].map((r) => r[kind].p99)),
});
console.log(
  '\n| build | subscribers | filter | changes/s (median) | CPU ms per change: stack + Postgres | p50 ms | p95 ms | p99 ms |\n|---|---|---|---:|---:|---:|---:|---:|',
);
for (const kind of ['filtered', 'unfiltered'] as const)
  for (const name of ['base', 'this'] as const) {
    const s = summary(name, kind);
    console.log(
      `| ${name} | 200 | ${kind === 'filtered' ? 'depot_id=eq.…' : 'none'} | ${s.throughput.toFixed(0)} | ${s.stackCpu.toFixed(2)} + ${s.postgresCpu.toFixed(2)} = ${(s.stackCpu + s.postgresCpu).toFixed(2)} | ${s.p50} | ${s.p95} | ${s.p99} |`,
    );
  }
const ratio = summary('this', 'filtered').throughput / summary('base', 'filtered').throughput;
const unfilteredRatio = summary('this', 'unfiltered').throughput / summary('base', 'unfiltered').throughput;
const cpu = (name: keyof typeof builds, kind: keyof Result) =>
  summary(name, kind).stackCpu + summary(name, kind).postgresCpu;
// With the cores to itself, throughput is bounded by CPU per change: its inverse ratio predicts the throughput ratio.
const cpuRatio = cpu('base', 'filtered') / cpu('this', 'filtered');
console.log(
  `\nfiltered throughput, this ÷ base: ${ratio.toFixed(3)} measured, ${cpuRatio.toFixed(3)} from CPU per change ` +
    `(goal ≥ 0.90: ${Math.min(ratio, cpuRatio) >= 0.9 ? 'met' : ratio >= 0.9 || cpuRatio >= 0.9 ? 'met on one measure' : 'MISSED'}); ` +
    `unfiltered: ${unfilteredRatio.toFixed(3)} measured, ${(cpu('base', 'unfiltered') / cpu('this', 'unfiltered')).toFixed(3)} from CPU`,
);
