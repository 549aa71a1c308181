// Retry timing for everything that reconnects or retries: the realtime
// adapters, the outbox relay's publishes and its restarts. One implementation,
// "full jitter" as in the AWS Architecture Blog's "Exponential Backoff And
// Jitter": the delay is uniform in [0, min(cap, base · 2^(attempt − 1))], so a
// fleet of tabs (or relays) that lost the same server spreads its retries over
// the whole window instead of arriving in waves.

export interface BackoffPolicy {
  /** Ceiling of the first retry's delay, in ms. */
  baseMs: number;
  /** Largest ceiling, in ms. */
  capMs: number;
}

/** Realtime reconnects: from up to 1 s, capped at 30 s. */
export const BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 30_000 };

/** The ceiling of retry number `attempt` (1 = the first retry): base · 2^(attempt − 1), capped. */
export function backoffCeiling(policy: BackoffPolicy, attempt: number): number {
  // Exponent clamped: 2^30 · base is past any cap, and 2^1024 would be Infinity.
  const exponent = Math.min(30, Math.max(0, Math.floor(attempt) - 1));
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/**
 * Delay in whole ms before retry number `attempt` (1-based), uniform in
 * [0, backoffCeiling(policy, attempt)]. `random` returns [0, 1) like Math.random
 * (tests pass a seeded one).
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * backoffCeiling(policy, attempt));
}

/** The realtime adapters' reconnect delay: backoffDelay with BACKOFF. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  return backoffDelay(BACKOFF, attempt, random);
}
