import { useSyncExternalStore } from 'react';

// One connection status per tab, shared by every component and every adapter.

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Reconnect attempt in progress (1-based), while reconnecting. */
  attempt: number;
  /** When the next reconnect try happens (epoch ms), while reconnecting. */
  nextRetryAt: number | null;
  /** When the last live message arrived (epoch ms). */
  lastMessageAt: number | null;
  /** Why the connection is not live, when the transport said so. */
  reason: string | null;
}

export const INITIAL_STATUS: ConnectionStatus = {
  state: 'connecting',
  attempt: 0,
  nextRetryAt: null,
  lastMessageAt: null,
  reason: null,
};

export class ConnectionStatusStore {
  private status: ConnectionStatus = INITIAL_STATUS;
  /** What the transport last said; shown whenever the browser is online. */
  private transport: ConnectionStatus = INITIAL_STATUS;
  private browserOffline = false;
  private readonly listeners = new Set<() => void>();

  getSnapshot = (): ConnectionStatus => this.status;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private publish(): void {
    const next: ConnectionStatus = this.browserOffline
      ? { ...this.transport, state: 'offline', nextRetryAt: null, reason: 'This device is offline' }
      : this.transport;
    if ((Object.keys(next) as (keyof ConnectionStatus)[]).every((k) => next[k] === this.status[k])) return;
    this.status = next;
    for (const listener of this.listeners) listener();
  }

  /** Transport events (socket and channel callbacks). */
  update(patch: Partial<ConnectionStatus>): void {
    this.transport = { ...this.transport, ...patch };
    this.publish();
  }

  connected(): void {
    this.update({ state: 'connected', attempt: 0, nextRetryAt: null, reason: null });
  }

  reconnecting(attempt: number, delayMs: number, reason: string | null = null): void {
    this.update({ state: 'reconnecting', attempt, nextRetryAt: Date.now() + delayMs, reason });
  }

  /** The browser's own online/offline signal; it overrides the transport while offline. */
  setBrowserOnline(online: boolean): void {
    this.browserOffline = !online;
    this.publish();
  }

  messageReceived(): void {
    this.transport = { ...this.transport, lastMessageAt: Date.now() };
    this.publish();
  }

  reset(): void {
    this.status = INITIAL_STATUS;
    this.transport = INITIAL_STATUS;
    this.browserOffline = false;
  }
}

export const connectionStatus = new ConnectionStatusStore();

const serverSnapshot = () => INITIAL_STATUS;

/** The tab's realtime connection status, for badges and for disabling live-only actions. */
export function useConnectionStatus(): ConnectionStatus {
  return useSyncExternalStore(connectionStatus.subscribe, connectionStatus.getSnapshot, serverSnapshot);
}
