import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionBadgeView, describeConnection } from '../../components/connection-badge';
import { ConnectionStatusStore } from '../../lib/realtime/connection-status';

afterEach(() => {
  vi.useRealTimers();
});

describe('ConnectionStatusStore', () => {
  it('starts connecting, then follows its links: connected, reconnecting with attempt and next try', () => {
    const store = new ConnectionStatusStore();
    expect(store.getSnapshot().state).toBe('connecting');
    const socket = store.connection('test');
    socket.connected();
    expect(store.getSnapshot()).toMatchObject({ state: 'connected', attempt: 0, nextRetryAt: null });
    const before = Date.now();
    socket.retrying(3, 4_000, 'connection lost');
    const status = store.getSnapshot();
    expect(status).toMatchObject({ state: 'reconnecting', attempt: 3, reason: 'connection lost' });
    expect(status.nextRetryAt).toBeGreaterThanOrEqual(before + 4_000);
  });

  it('is live only when the connection and every channel are: the worst link decides', () => {
    const store = new ConnectionStatusStore();
    const socket = store.connection('test');
    const a = store.channel('a');
    const b = store.channel('b');
    socket.connected();
    a.connected();
    b.connecting('joining b');
    expect(store.getSnapshot().state).toBe('connecting');
    b.connected();
    expect(store.getSnapshot().state).toBe('connected');
    a.retrying(2, 5_000, 'a: 503');
    expect(store.getSnapshot()).toMatchObject({ state: 'reconnecting', attempt: 2, reason: 'a: 503' });
    // A connection failure outranks a channel's at the same severity.
    socket.retrying(1, 1_000, 'connection lost');
    expect(store.getSnapshot()).toMatchObject({ state: 'reconnecting', attempt: 1, reason: 'connection lost' });
    socket.failed('no WebSocket');
    expect(store.getSnapshot()).toMatchObject({ state: 'offline', reason: 'no WebSocket' });
  });

  it("a channel's successful (re)subscription clears the error it replaced (issue 17: the Pusher badge stuck on reconnecting)", () => {
    const store = new ConnectionStatusStore();
    const socket = store.connection('pusher');
    const channel = store.channel('pusher private-shipments-x');
    socket.connected();
    channel.retrying(1, 1_000, 'channel authorization failed: 503');
    channel.retrying(2, 2_000, 'channel authorization failed: 503');
    expect(store.getSnapshot()).toMatchObject({ state: 'reconnecting', attempt: 2 });
    channel.connected();
    expect(store.getSnapshot()).toMatchObject({ state: 'connected', attempt: 0, nextRetryAt: null, reason: null });
  });

  it('never shows a retry time in the past: it is cleared when it passes', () => {
    vi.useFakeTimers();
    const store = new ConnectionStatusStore();
    const channel = store.channel('c');
    const seen: (number | null)[] = [];
    store.subscribe(() => seen.push(store.getSnapshot().nextRetryAt));
    channel.retrying(1, 3_000, 'timed out');
    const at = store.getSnapshot().nextRetryAt!;
    expect(at).toBe(Date.now() + 3_000);
    vi.advanceTimersByTime(2_999);
    expect(store.getSnapshot().nextRetryAt).toBe(at);
    vi.advanceTimersByTime(1);
    expect(store.getSnapshot()).toMatchObject({ state: 'reconnecting', attempt: 1, nextRetryAt: null });
    expect(seen).toEqual([at, null]);
    // The badge never counts below zero either.
    expect(describeConnection({ ...store.getSnapshot(), nextRetryAt: Date.now() - 5_000 }, Date.now()).detail).toBe(
      '(attempt 1)',
    );
  });

  it('refused channels do not hold the tab off live; disposed links leave the status', () => {
    const store = new ConnectionStatusStore();
    const socket = store.connection('ably');
    const refused = store.channel('ably shipments:other');
    const own = store.channel('ably shipments:mine');
    socket.connected();
    own.connected();
    refused.refused('Not allowed');
    expect(store.getSnapshot().state).toBe('connected');
    own.retrying(1, null, 'detached');
    expect(store.getSnapshot().state).toBe('reconnecting');
    own.dispose();
    expect(store.getSnapshot().state).toBe('connected');
    own.failed('ignored after dispose');
    expect(store.getSnapshot().state).toBe('connected');
    socket.dispose();
    refused.dispose();
    expect(store.getSnapshot().state).toBe('connecting');
    expect(store.describeLinks()).toEqual([]);
  });

  it('a cleared link has no say: the others decide', () => {
    const store = new ConnectionStatusStore();
    const socket = store.connection('supabase socket');
    const channel = store.channel('supabase shipments:x');
    channel.connected();
    socket.retrying(1, 1_000, 'connection lost');
    expect(store.getSnapshot().state).toBe('reconnecting');
    socket.clear();
    expect(store.getSnapshot().state).toBe('connected');
  });

  it('shows offline while the browser is offline, whatever the transport says, and the transport state after', () => {
    const store = new ConnectionStatusStore();
    const socket = store.connection('test');
    socket.connected();
    store.setBrowserOnline(false);
    expect(store.getSnapshot().state).toBe('offline');
    socket.retrying(1, 1_000, null);
    expect(store.getSnapshot().state).toBe('offline');
    socket.connected();
    store.setBrowserOnline(true);
    expect(store.getSnapshot().state).toBe('connected');
  });

  it('reports degraded-mode polling only while realtime is down and the device online', () => {
    const store = new ConnectionStatusStore();
    const socket = store.connection('test');
    socket.retrying(4, null, 'connection lost');
    store.setPolling(5_000);
    expect(store.getSnapshot().polling).toEqual({ intervalMs: 5_000 });
    store.setBrowserOnline(false);
    expect(store.getSnapshot().polling).toBeNull();
    store.setBrowserOnline(true);
    expect(store.getSnapshot().polling).toEqual({ intervalMs: 5_000 });
    socket.connected();
    expect(store.getSnapshot().polling).toBeNull();
  });

  it('notifies subscribers on change only, and keeps the snapshot identity when nothing changed', () => {
    const store = new ConnectionStatusStore();
    const socket = store.connection('test');
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    socket.connected();
    const snapshot = store.getSnapshot();
    socket.connected();
    expect(store.getSnapshot()).toBe(snapshot);
    expect(calls).toBe(1);
    store.messageReceived();
    expect(store.getSnapshot().lastMessageAt).not.toBeNull();
    expect(calls).toBe(2);
    unsubscribe();
    socket.retrying(1, 1_000, null);
    expect(calls).toBe(2);
  });
});

describe('connection badge', () => {
  const base = { attempt: 0, nextRetryAt: null, lastMessageAt: null, reason: null, polling: null };
  const render = (status: Parameters<typeof ConnectionBadgeView>[0]['status'], now = Date.now()) =>
    renderToStaticMarkup(createElement(ConnectionBadgeView, { status, now }));

  it('says Live when connected, and the attempt and the time left while reconnecting', () => {
    expect(render({ ...base, state: 'connected' })).toContain('>Live<');
    const now = Date.now();
    const html = render({ ...base, state: 'reconnecting', attempt: 2, nextRetryAt: now + 4_200, reason: '503' }, now);
    expect(html).toContain('Reconnecting');
    expect(html).toContain('(attempt 2, next try in 5s)');
    expect(html).toContain('title="503"');
  });

  it('says "Live updates limited — checking every N s" in degraded mode', () => {
    const html = render({ ...base, state: 'reconnecting', attempt: 3, polling: { intervalMs: 10_000 } });
    expect(html).toContain('Live updates limited — checking every 10 s');
    expect(html).toContain('data-polling="10000"');
    expect(html).not.toContain('attempt');
  });
});
