// The one retry timing of the project (realtime reconnects, relay retries and
// restarts): exponential ceilings with full jitter.
import { describe, expect, it } from 'vitest';
import { BACKOFF, backoffCeiling, backoffDelay, reconnectDelay } from '../../lib/realtime/backoff';

/** mulberry32: a small seeded PRNG, so the distribution checks are deterministic. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('backoff ceilings', () => {
  it('double from the base per attempt and stop at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(BACKOFF, n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000,
    ]);
    expect(backoffCeiling(BACKOFF, 1_000)).toBe(30_000);
    expect(backoffCeiling({ baseMs: 40, capMs: 1_000 }, 3)).toBe(160);
    // Nonsense attempts count as the first.
    expect(backoffCeiling(BACKOFF, 0)).toBe(1_000);
    expect(backoffCeiling(BACKOFF, -3)).toBe(1_000);
  });

  it('span the whole window: 0 at random() = 0, the ceiling at random() → 1', () => {
    expect(reconnectDelay(1, () => 0)).toBe(0);
    expect(reconnectDelay(1, () => 0.9999999)).toBe(1_000);
    expect(reconnectDelay(3, () => 0.5)).toBe(2_000);
    expect(reconnectDelay(50, () => 0.9999999)).toBe(30_000);
    expect(backoffDelay({ baseMs: 40, capMs: 1_000 }, 2, () => 0.25)).toBe(20);
  });
});

describe('full jitter distribution', () => {
  const SAMPLES = 20_000;
  const BUCKETS = 10;

  /** Pearson's chi-square of delays against the uniform distribution on [0, ceiling]. */
  function chiSquare(delays: number[], ceiling: number): number {
    const counts = new Array<number>(BUCKETS).fill(0);
    for (const d of delays) counts[Math.min(BUCKETS - 1, Math.floor((d / ceiling) * BUCKETS))] += 1;
    const expected = delays.length / BUCKETS;
    return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
  }

  for (const attempt of [1, 3, 5, 12]) {
    it(`is uniform over [0, ceiling] at attempt ${attempt}`, () => {
      const random = seeded(attempt * 7919);
      const ceiling = backoffCeiling(BACKOFF, attempt);
      const delays = Array.from({ length: SAMPLES }, () => reconnectDelay(attempt, random));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThanOrEqual(ceiling);
      // Mean ceiling/2, and the lowest and highest tenth are both used about as often as the rest.
      const mean = delays.reduce((a, b) => a + b, 0) / SAMPLES;
      expect(Math.abs(mean - ceiling / 2) / ceiling).toBeLessThan(0.01);
      expect(delays.filter((d) => d < ceiling / 10).length / SAMPLES).toBeGreaterThan(0.09);
      expect(delays.filter((d) => d > (ceiling * 9) / 10).length / SAMPLES).toBeGreaterThan(0.09);
      // 9 degrees of freedom: 27.88 is the 0.1 % critical value.
      expect(chiSquare(delays, ceiling)).toBeLessThan(27.88);
    });
  }

  it('tells full jitter from "equal jitter" (never below half the ceiling), which it replaced', () => {
    const random = seeded(42);
    const ceiling = backoffCeiling(BACKOFF, 4);
    const equalJitter = Array.from({ length: SAMPLES }, () => Math.round(ceiling / 2 + (random() * ceiling) / 2));
    expect(chiSquare(equalJitter, ceiling)).toBeGreaterThan(1_000);
  });

  it('uses Math.random by default', () => {
    const spread = new Set(Array.from({ length: 200 }, () => reconnectDelay(6)));
    expect(spread.size).toBeGreaterThan(150);
  });
});
