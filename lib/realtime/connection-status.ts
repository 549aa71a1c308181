import { useSyncExternalStore } from 'react';

// One connection status per tab, shared by every component and every adapter.
//
// The status is derived, never overwritten: each adapter reports on its
// connection and on each of its channels through a `StatusLink`, and the tab's
// status is the worst of the latest state of every link (issue 17: an error
// used to set the status and a later success of the same channel never cleared
// it). A channel that (re)subscribes replaces its own error; a retry time that
// has passed is cleared by the store itself, so none in the past is ever shown.

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Reconnect attempt in progress (1-based), while reconnecting. */
  attempt: number;
  /** When the next reconnect try happens (epoch ms), while reconnecting; never in the past. */
  nextRetryAt: number | null;
  /** When the last live message arrived (epoch ms). */
  lastMessageAt: number | null;
  /** Why the connection is not live, when the transport said so. */
  reason: string | null;
  /**
   * Degraded mode: realtime is down and the live feeds read the record every
   * `intervalMs` instead (lib/live/catch-up-poller.ts). Null while live, and
   * while the device is offline (nothing can be read then).
   */
  polling: { intervalMs: number } | null;
}

export const INITIAL_STATUS: ConnectionStatus = {
  state: 'connecting',
  attempt: 0,
  nextRetryAt: null,
  lastMessageAt: null,
  reason: null,
  polling: null,
};

/** What an adapter reports about one connection or one channel. Calls after dispose() are ignored. */
export interface StatusLink {
  /** Not live yet: connecting, joining, or waiting for its connection to come back. */
  connecting(reason?: string | null): void;
  /** Live: the connection is open / the channel is (re)subscribed. Clears any earlier error. */
  connected(): void;
  /** Failed and will retry: attempt n (1-based), after `delayMs` if known (null: retrying now or unknown). */
  retrying(attempt: number, delayMs: number | null, reason: string | null): void;
  /** Failed with no retry of its own (e.g. the browser cannot open a WebSocket). */
  failed(reason: string): void;
  /** The channel was refused (authorization): its subscribers are told; it does not hold the tab off "live". */
  refused(reason: string): void;
  /** No opinion any more (e.g. a wait is over and the retry's outcome is up to the channels). */
  clear(): void;
  /** Gone (channel left, connection closed): removed from the tab's status. */
  dispose(): void;
}

type LinkKind = 'connection' | 'channel';

interface LinkState {
  kind: LinkKind;
  label: string;
  state: ConnectionState | 'refused' | 'none';
  attempt: number;
  nextRetryAt: number | null;
  reason: string | null;
}

const SEVERITY: Record<ConnectionState, number> = { connected: 0, connecting: 1, reconnecting: 2, offline: 3 };

export class ConnectionStatusStore {
  private status: ConnectionStatus = INITIAL_STATUS;
  private readonly links = new Map<number, LinkState>();
  private nextLinkId = 1;
  private browserOffline = false;
  private lastMessageAt: number | null = null;
  private polling: { intervalMs: number } | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly now: () => number = Date.now) {}

  getSnapshot = (): ConnectionStatus => this.status;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** A new link for one connection (socket) of an adapter. `label` is for diagnostics ("pusher"). */
  connection(label: string): StatusLink {
    return this.link('connection', label);
  }

  /** A new link for one channel of an adapter (`label`: e.g. "pusher private-shipments-…"). */
  channel(label: string): StatusLink {
    return this.link('channel', label);
  }

  /** The latest state of every link, for diagnostics and tests. */
  describeLinks(): { kind: LinkKind; label: string; state: LinkState['state']; reason: string | null }[] {
    return [...this.links.values()].map(({ kind, label, state, reason }) => ({ kind, label, state, reason }));
  }

  /** The browser's own online/offline signal; it overrides the transport while offline. */
  setBrowserOnline(online: boolean): void {
    this.browserOffline = !online;
    this.publish();
  }

  /** Degraded mode on (with the current polling interval) or off (null). */
  setPolling(intervalMs: number | null): void {
    this.polling = intervalMs === null ? null : { intervalMs };
    this.publish();
  }

  messageReceived(): void {
    this.lastMessageAt = this.now();
    this.publish();
  }

  reset(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.links.clear();
    this.status = INITIAL_STATUS;
    this.browserOffline = false;
    this.lastMessageAt = null;
    this.polling = null;
  }

  private link(kind: LinkKind, label: string): StatusLink {
    const id = this.nextLinkId++;
    let disposed = false;
    const set = (patch: Omit<LinkState, 'kind' | 'label'>) => {
      if (disposed) return;
      this.links.set(id, { kind, label, ...patch });
      this.publish();
    };
    return {
      connecting: (reason = null) => set({ state: 'connecting', attempt: 0, nextRetryAt: null, reason }),
      connected: () => set({ state: 'connected', attempt: 0, nextRetryAt: null, reason: null }),
      retrying: (attempt, delayMs, reason) =>
        set({
          state: 'reconnecting',
          attempt: Math.max(1, attempt),
          nextRetryAt: delayMs !== null && delayMs > 0 ? this.now() + delayMs : null,
          reason,
        }),
      failed: (reason) => set({ state: 'offline', attempt: 0, nextRetryAt: null, reason }),
      refused: (reason) => set({ state: 'refused', attempt: 0, nextRetryAt: null, reason }),
      clear: () => set({ state: 'none', attempt: 0, nextRetryAt: null, reason: null }),
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.links.delete(id);
        this.publish();
      },
    };
  }

  /** The worst link decides; among equals, connections before channels, then the most attempts. */
  private derive(): Omit<ConnectionStatus, 'lastMessageAt' | 'polling'> {
    let worst: LinkState | null = null;
    for (const link of this.links.values()) {
      if (link.state === 'refused' || link.state === 'none') continue;
      if (!worst || this.isWorse(link, worst)) worst = link;
    }
    // Nothing reports yet (or only refused channels): not live until a link says so.
    const state = worst?.state;
    // Nothing reports yet (or only refused channels): not live until a link says so.
    if (!worst || state === undefined || state === 'refused' || state === 'none')
      return { state: 'connecting', attempt: 0, nextRetryAt: null, reason: null };
    if (state === 'connected') return { state, attempt: 0, nextRetryAt: null, reason: null };
    return {
      state,
      attempt: state === 'reconnecting' ? worst.attempt : 0,
      nextRetryAt: state === 'reconnecting' ? worst.nextRetryAt : null,
      reason: worst.reason,
    };
  }

  private isWorse(a: LinkState, b: LinkState): boolean {
    const sa = SEVERITY[a.state as ConnectionState];
    const sb = SEVERITY[b.state as ConnectionState];
    if (sa !== sb) return sa > sb;
    if (a.kind !== b.kind) return a.kind === 'connection';
    return a.attempt > b.attempt;
  }

  /** Clears retry times that have passed, then keeps a timer for the next one. */
  private expireRetries(): void {
    const now = this.now();
    let next: number | null = null;
    for (const link of this.links.values()) {
      if (link.nextRetryAt === null) continue;
      if (link.nextRetryAt <= now) link.nextRetryAt = null;
      else next = next === null ? link.nextRetryAt : Math.min(next, link.nextRetryAt);
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (next === null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.publish();
    }, next - now);
    // In Node (tests, scripts) a pending expiry must not keep the process alive.
    (this.retryTimer as { unref?: () => void }).unref?.();
  }

  private publish(): void {
    this.expireRetries();
    const transport = this.derive();
    const next: ConnectionStatus = this.browserOffline
      ? {
          ...transport,
          state: 'offline',
          nextRetryAt: null,
          reason: 'This device is offline',
          lastMessageAt: this.lastMessageAt,
          polling: null,
        }
      : {
          ...transport,
          lastMessageAt: this.lastMessageAt,
          polling: transport.state === 'connected' ? null : this.polling,
        };
    const same = (Object.keys(next) as (keyof ConnectionStatus)[]).every((k) =>
      k === 'polling' ? next.polling?.intervalMs === this.status.polling?.intervalMs : next[k] === this.status[k],
    );
    if (same) return;
    this.status = next;
    for (const listener of this.listeners) listener();
  }
}

export const connectionStatus = new ConnectionStatusStore();

const serverSnapshot = () => INITIAL_STATUS;

/** The tab's realtime connection status, for badges and for disabling live-only actions. */
export function useConnectionStatus(): ConnectionStatus {
  return useSyncExternalStore(connectionStatus.subscribe, connectionStatus.getSnapshot, serverSnapshot);
}
