/** Reconnect timing: exponential from 1 s, capped at 30 s, with "full jitter" so a fleet of tabs does not reconnect in lockstep. */
export const BACKOFF = { baseMs: 1_000, capMs: 30_000 } as const;

export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** Math.max(0, attempt - 1));
  // Never below half the ceiling, so a retry is not immediate.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
