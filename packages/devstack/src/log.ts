// Progress output for the dev stack: one line per step, with the time it took.
const startedAt = performance.now();

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);

export const dim = (text: string) => paint(2, text);
export const bold = (text: string) => paint(1, text);

function stamp(): string {
  return dim(`[${((performance.now() - startedAt) / 1000).toFixed(2)}s]`);
}

export const log = {
  step(message: string) {
    console.log(`${stamp()} ${message}`);
  },
  ok(message: string) {
    console.log(`${stamp()} ${paint(32, '✓')} ${message}`);
  },
  warn(message: string) {
    console.warn(`${stamp()} ${paint(33, '!')} ${message}`);
  },
  error(message: string) {
    console.error(`${stamp()} ${paint(31, '✗')} ${message}`);
  },
};

/** Times an async step and logs it as done, with its duration. */
export async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await work();
  log.ok(`${label} ${dim(`(${Math.round(performance.now() - t0)} ms)`)}`);
  return result;
}
