// An in-process Publisher for relay tests: records every call, succeeds or
// fails as told, and lets a test await a condition on what it has recorded.
import type { Publisher } from '../../relay/publishers/publisher';

export interface PublishCall {
  channel: string;
  event: string;
  payload: { seq?: number; [key: string]: unknown };
  ok: boolean;
  at: number;
  /** Which relay (publisher view) made the call. */
  by: string;
}

type FailRule = (call: { channel: string; event: string; payload: unknown }) => Error | null;

export class FakePublisher {
  readonly calls: PublishCall[] = [];
  private rules: FailRule[] = [];
  private watchers = new Set<() => void>();

  /** Accepted calls only, in the order the "provider" accepted them. */
  get accepted(): PublishCall[] {
    return this.calls.filter((c) => c.ok);
  }

  /** The next `times` publishes on `channel` fail. */
  failTimes(channel: string, times: number, message = 'provider unavailable'): void {
    let left = times;
    this.rules.push((call) =>
      call.channel === channel && left > 0 ? (left--, new Error(`${message} (${times - left}/${times})`)) : null,
    );
  }

  /** Every publish on `channel` fails until the returned function is called. */
  failChannel(channel: string, message = 'channel refused'): () => void {
    const rule: FailRule = (call) => (call.channel === channel ? new Error(message) : null);
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  /** Every publish matching `predicate` fails until the returned function is called (the "fix"). */
  failWhere(
    predicate: (call: { channel: string; event: string; payload: unknown }) => boolean,
    message: string,
  ): () => void {
    const rule: FailRule = (call) => (predicate(call) ? new Error(message) : null);
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  /** A Publisher view of this recorder; `gate` may throw to make a call fail (e.g. a crashed process). */
  as(by: string, gate?: (call: { channel: string; event: string }) => void): Publisher {
    return {
      name: `fake:${by}`,
      verify: async () => {},
      publish: async (channel, event, payload) => {
        // An await first, as a real HTTP publish would have.
        await Promise.resolve();
        let error: Error | null = null;
        try {
          gate?.({ channel, event });
        } catch (err) {
          error = err as Error;
        }
        for (const rule of this.rules) error ??= rule({ channel, event, payload });
        this.calls.push({
          channel,
          event,
          payload: payload as PublishCall['payload'],
          ok: !error,
          at: performance.now(),
          by,
        });
        for (const watcher of this.watchers) watcher();
        if (error) throw error;
      },
    };
  }

  /** Resolves once `condition` holds, re-checked after every call. */
  waitFor(condition: () => boolean, timeoutMs = 20_000, what = 'publisher condition'): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve();
      };
      this.watchers.add(check);
    });
  }
}
