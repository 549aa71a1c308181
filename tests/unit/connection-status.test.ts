import { describe, expect, it } from 'vitest';
import { ConnectionStatusStore } from '../../lib/realtime/connection-status';

describe('ConnectionStatusStore', () => {
  it('starts connecting, then follows the transport: connected, reconnecting with attempt and next try', () => {
    const store = new ConnectionStatusStore();
    expect(store.getSnapshot().state).toBe('connecting');
    store.connected();
    expect(store.getSnapshot()).toMatchObject({ state: 'connected', attempt: 0, nextRetryAt: null });
    const before = Date.now();
    store.reconnecting(3, 4_000, 'connection lost');
    const status = store.getSnapshot();
    expect(status).toMatchObject({ state: 'reconnecting', attempt: 3, reason: 'connection lost' });
    expect(status.nextRetryAt).toBeGreaterThanOrEqual(before + 4_000);
  });

  it('shows offline while the browser is offline, whatever the transport says, and the transport state after', () => {
    const store = new ConnectionStatusStore();
    store.connected();
    store.setBrowserOnline(false);
    expect(store.getSnapshot().state).toBe('offline');
    store.reconnecting(1, 1_000);
    expect(store.getSnapshot().state).toBe('offline');
    store.connected();
    store.setBrowserOnline(true);
    expect(store.getSnapshot().state).toBe('connected');
  });

  it('notifies subscribers on change only, and keeps the snapshot identity when nothing changed', () => {
    const store = new ConnectionStatusStore();
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    store.connected();
    const snapshot = store.getSnapshot();
    store.connected();
    expect(store.getSnapshot()).toBe(snapshot);
    expect(calls).toBe(1);
    store.messageReceived();
    expect(store.getSnapshot().lastMessageAt).not.toBeNull();
    expect(calls).toBe(2);
    unsubscribe();
    store.reconnecting(1, 1_000);
    expect(calls).toBe(2);
  });
});
