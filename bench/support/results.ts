import { writeFileSync } from 'node:fs';

// Machine-readable results for `npm run bench`: each benchmark records its
// headline figures; when BENCH_JSON_OUT is set they are written there on exit.

export interface Metric {
  name: string;
  value: number;
  unit: string;
  /** The figure this one is compared with in the same run, when there is one. */
  baseline?: { name: string; value: number };
  /** The published anchor or goal, as text (e.g. "p95 ≤ 50 ms"). */
  target?: string;
}

const metrics: Metric[] = [];

export function recordMetric(metric: Metric): void {
  metrics.push(metric);
}

process.on('exit', () => {
  const out = process.env.BENCH_JSON_OUT;
  if (out) writeFileSync(out, JSON.stringify(metrics, null, 2));
});
