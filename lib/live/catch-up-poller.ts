import { connectionStatus, type ConnectionStatusStore } from '@/lib/realtime/connection-status';

// Degraded mode (issue 16): some networks and proxies block WebSockets, and a
// provider can be down. When the tab's realtime status is not live within a
// bound, or keeps dropping, every live cache of the tab reads the record
// (its catch-up: changes after its seq, the same SeqFeed as the live path, so
// nothing is applied twice) on one shared clock, backing off while nothing
// changes, and the badge says "Live updates limited — checking every N s".
// As soon as realtime is live again polling stops: the channels' own
// (re)subscription catch-up takes over from the same seq.

export interface DegradedPolicy {
  /** Not live for this long (never connected, or since the last drop) → poll. */
  notLiveForMs: number;
  /** This many drops from live within `dropWindowMs` → poll at once on the next drop. */
  dropsToDegrade: number;
  dropWindowMs: number;
  /** First interval, and the interval after a poll that brought changes. */
  baseIntervalMs: number;
  /** Each poll without changes (or that failed) multiplies the interval by this, up to `maxIntervalMs`. */
  backoffFactor: number;
  maxIntervalMs: number;
}

export const DEGRADED_POLICY: DegradedPolicy = {
  notLiveForMs: 10_000,
  dropsToDegrade: 3,
  dropWindowMs: 120_000,
  baseIntervalMs: 5_000,
  backoffFactor: 1.5,
  maxIntervalMs: 30_000,
};

/** A live cache's catch-up: reads what it missed from the record; resolves to how many changes it applied. */
export type CatchUp = () => Promise<number>;

/**
 * Watches a status store and, while realtime is down, runs every registered
 * catch-up on one clock with backoff; reports the interval through
 * `status.setPolling`. Timers run only while something is registered.
 */
export class CatchUpPoller {
  private readonly catchUps = new Set<CatchUp>();
  private unwatch: (() => void) | null = null;
  private live = false;
  private downSince: number | null = null;
  private drops: number[] = [];
  private degradeTimer: ReturnType<typeof setTimeout> | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  /** The current interval while degraded; null while not. */
  private intervalMs: number | null = null;

  constructor(
    private readonly status: ConnectionStatusStore = connectionStatus,
    private readonly policy: DegradedPolicy = DEGRADED_POLICY,
  ) {}

  /** True while realtime is considered down and the catch-ups are polled. */
  get degraded(): boolean {
    return this.intervalMs !== null;
  }

  /** The interval of the poll now scheduled (ms), while degraded. */
  get currentIntervalMs(): number | null {
    return this.intervalMs;
  }

  /** Adds a catch-up to poll while degraded (at once, if degraded now). Returns the removal. */
  register(catchUp: CatchUp): () => void {
    this.catchUps.add(catchUp);
    if (this.catchUps.size === 1) {
      this.unwatch = this.status.subscribe(this.evaluate);
      this.evaluate();
    } else if (this.degraded) void catchUp().catch(() => {});
    return () => {
      if (!this.catchUps.delete(catchUp) || this.catchUps.size > 0) return;
      this.unwatch?.();
      this.unwatch = null;
      this.clearTimers();
      this.live = false;
      this.downSince = null;
      if (this.intervalMs !== null) {
        this.intervalMs = null;
        this.status.setPolling(null);
      }
    };
  }

  private readonly evaluate = (): void => {
    const { state } = this.status.getSnapshot();
    if (state === 'connected') {
      this.live = true;
      this.downSince = null;
      if (this.degradeTimer) clearTimeout(this.degradeTimer);
      this.degradeTimer = null;
      if (this.intervalMs !== null) this.stopPolling();
      return;
    }
    if (this.downSince !== null) return;
    const now = Date.now();
    this.downSince = now;
    if (this.live) {
      // A drop from live: count it, so a connection that keeps failing degrades sooner.
      this.drops = [...this.drops.filter((at) => now - at < this.policy.dropWindowMs), now];
      this.live = false;
    }
    if (this.intervalMs !== null) return;
    if (this.drops.length >= this.policy.dropsToDegrade) return this.startPolling();
    this.degradeTimer = setTimeout(() => {
      this.degradeTimer = null;
      if (this.status.getSnapshot().state !== 'connected') this.startPolling();
    }, this.policy.notLiveForMs);
  };

  private startPolling(): void {
    if (this.intervalMs !== null || this.catchUps.size === 0) return;
    this.intervalMs = this.policy.baseIntervalMs;
    this.status.setPolling(this.intervalMs);
    // The first read at once (changes may be missing already), the next after the base interval.
    void this.poll(false);
  }

  private stopPolling(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.intervalMs = null;
    this.status.setPolling(null);
  }

  private async poll(backOff = true): Promise<void> {
    if (this.intervalMs === null) return;
    let applied = 0;
    // While the device itself is offline nothing can be read; the feeds catch up on 'online'.
    const deviceOffline = typeof navigator !== 'undefined' && navigator.onLine === false;
    if (!deviceOffline) {
      const results = await Promise.allSettled([...this.catchUps].map((catchUp) => catchUp()));
      for (const result of results) if (result.status === 'fulfilled') applied += result.value;
    }
    if (this.intervalMs === null) return; // live again meanwhile
    this.intervalMs =
      applied > 0 || !backOff
        ? this.policy.baseIntervalMs
        : // Whole seconds, so the interval the badge states is the one used.
          Math.min(this.policy.maxIntervalMs, Math.round((this.intervalMs * this.policy.backoffFactor) / 1000) * 1000);
    this.status.setPolling(this.intervalMs);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.poll();
    }, this.intervalMs);
  }

  private clearTimers(): void {
    if (this.degradeTimer) clearTimeout(this.degradeTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.degradeTimer = null;
    this.pollTimer = null;
  }
}

/** The tab's poller, over the tab's status store; every live feed registers its catch-up with it. */
export const catchUpPoller = new CatchUpPoller();
