// Degraded mode's clock (lib/live/catch-up-poller.ts): when it starts polling,
// how the interval backs off, and that it stops as soon as realtime is live.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CatchUpPoller, DEGRADED_POLICY } from '../../lib/live/catch-up-poller';
import { ConnectionStatusStore } from '../../lib/realtime/connection-status';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A catch-up that records when it ran and applies `next()` changes each time. */
function recorder(next: () => number = () => 0) {
  const runs: number[] = [];
  const start = Date.now();
  return { runs, catchUp: async () => (runs.push(Date.now() - start), next()) };
}

describe('CatchUpPoller', () => {
  it('polls when realtime is not live within the bound, backing off while nothing changes, capped', async () => {
    const status = new ConnectionStatusStore();
    const socket = status.connection('test');
    socket.connecting();
    const poller = new CatchUpPoller(status);
    const feed = recorder();
    poller.register(feed.catchUp);

    await vi.advanceTimersByTimeAsync(DEGRADED_POLICY.notLiveForMs - 1);
    expect(feed.runs).toEqual([]);
    expect(status.getSnapshot().polling).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    // At once when degraded, then 5 s × 1.5 each time (whole seconds), capped at 30 s.
    expect(feed.runs).toEqual([10_000]);
    await vi.advanceTimersByTimeAsync(150_000);
    const gaps = feed.runs.slice(1).map((at, i) => at - feed.runs[i]);
    expect(gaps.slice(0, 7)).toEqual([5_000, 8_000, 12_000, 18_000, 27_000, 30_000, 30_000]);
    expect(status.getSnapshot().polling).toEqual({ intervalMs: 30_000 });
  });

  it('returns to the base interval after a poll that brought changes', async () => {
    const status = new ConnectionStatusStore();
    status.connection('test').failed('no WebSocket');
    const poller = new CatchUpPoller(status);
    let pending = 0;
    const feed = recorder(() => {
      const n = pending;
      pending = 0;
      return n;
    });
    poller.register(feed.catchUp);
    await vi.advanceTimersByTimeAsync(10_000 + 5_000 + 8_000);
    expect(status.getSnapshot().polling).toEqual({ intervalMs: 12_000 });
    pending = 2;
    await vi.advanceTimersByTimeAsync(12_000);
    expect(status.getSnapshot().polling).toEqual({ intervalMs: 5_000 });
  });

  it('stops polling the moment realtime is live again, and polls nothing after', async () => {
    const status = new ConnectionStatusStore();
    const socket = status.connection('test');
    socket.retrying(1, 1_000, 'connection lost');
    const poller = new CatchUpPoller(status);
    const feed = recorder();
    poller.register(feed.catchUp);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(poller.degraded).toBe(true);
    socket.connected();
    expect(poller.degraded).toBe(false);
    expect(status.getSnapshot()).toMatchObject({ state: 'connected', polling: null });
    const runs = feed.runs.length;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(feed.runs).toHaveLength(runs);
  });

  it('never polls when realtime becomes live within the bound', async () => {
    const status = new ConnectionStatusStore();
    const socket = status.connection('test');
    const poller = new CatchUpPoller(status);
    const feed = recorder();
    poller.register(feed.catchUp);
    await vi.advanceTimersByTimeAsync(9_000);
    socket.connected();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(feed.runs).toEqual([]);
  });

  it('a connection that keeps dropping degrades at the third drop, without waiting for the bound', async () => {
    const status = new ConnectionStatusStore();
    const socket = status.connection('test');
    const poller = new CatchUpPoller(status);
    const feed = recorder();
    poller.register(feed.catchUp);
    for (let drop = 1; drop <= 2; drop++) {
      socket.connected();
      await vi.advanceTimersByTimeAsync(2_000);
      socket.retrying(1, 500, 'closed by a proxy');
      await vi.advanceTimersByTimeAsync(2_000);
    }
    expect(feed.runs).toEqual([]);
    socket.connected();
    await vi.advanceTimersByTimeAsync(2_000);
    socket.retrying(1, 500, 'closed by a proxy');
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.runs).toHaveLength(1);
    expect(status.getSnapshot().polling).not.toBeNull();
  });

  it('a catch-up registered while degraded runs at once; the last removal stops the clock', async () => {
    const status = new ConnectionStatusStore();
    status.connection('test').failed('blocked');
    const poller = new CatchUpPoller(status);
    const first = recorder();
    const removeFirst = poller.register(first.catchUp);
    await vi.advanceTimersByTimeAsync(10_000);
    const second = recorder();
    const removeSecond = poller.register(second.catchUp);
    expect(second.runs).toEqual([0]);
    removeFirst();
    removeSecond();
    expect(status.getSnapshot().polling).toBeNull();
    const runs = second.runs.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(second.runs).toHaveLength(runs);
    expect(vi.getTimerCount()).toBe(0);
  });
});
