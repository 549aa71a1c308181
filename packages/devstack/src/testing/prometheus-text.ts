// Reads values out of Prometheus' text exposition format, for assertions.

/** The value of `name` whose labels include all of `labels` (summed if several series match); 0 if none. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) total += Number(match[3]);
  }
  return total;
}

/** Whether the exposition declares `name` (a # TYPE line). */
export function declares(text: string, name: string, type: 'counter' | 'gauge' | 'histogram'): boolean {
  return text.split('\n').includes(`# TYPE ${name} ${type}`);
}
