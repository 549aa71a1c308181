import { reconnectDelay } from '@/lib/realtime/backoff';
import {
  cancelWrite,
  dueWrite,
  enqueueWrite,
  queuedWriteSchema,
  settleWrite,
  type QueuedWrite,
  type SettleOptions,
  type WriteOutcome,
  type WriteResult,
} from './queued-writes';
import type { QueueStorage } from './queue-storage';
import type { VersionedRow } from './schema';

/** Why queued writes are waiting, if they are. */
export type WriteQueueState =
  | 'idle' // nothing queued, or all sent
  | 'sending'
  | 'held' // the head is in its undo window
  | 'offline' // the device or the server is unreachable: retried with backoff and when the network returns
  | 'signed-out'; // no session: sent after the person signs in again

export interface WriteQueueSnapshot {
  /** Loaded from storage (until then `writes` is empty and enqueue waits). */
  loaded: boolean;
  /** Kept across tab closes (IndexedDB), or in memory only. */
  durable: boolean;
  writes: readonly QueuedWrite[];
  sendingId: string | null;
  state: WriteQueueState;
  /** Why the last attempt did not get through (network or session), while waiting. */
  problem: string | null;
  /** When the next attempt happens (device time, ms), while waiting on a timer. */
  nextAttemptAt: number | null;
}

export interface WriteQueueOptions<Row extends VersionedRow> extends SettleOptions {
  storage: QueueStorage;
  /** Storage key of this queue (one per table and person). */
  key: string;
  send: (write: QueuedWrite) => Promise<WriteResult<Row>>;
  /** The device clock, for undo windows and backoff only. */
  now?: () => number;
  /** Whether the device believes it is online (navigator.onLine in a browser). */
  online?: () => boolean;
}

/** About an outcome: whether its write waited (left by an earlier page, or queued offline or signed out). */
export interface OutcomeInfo {
  waited: boolean;
}

/** What a write queue keeps under its key. */
interface Stored {
  v: 1;
  writes: QueuedWrite[];
}

const EMPTY: WriteQueueSnapshot = {
  loaded: false,
  durable: false,
  writes: [],
  sendingId: null,
  state: 'idle',
  problem: null,
  nextAttemptAt: null,
};

/** Reads a stored queue, keeping every write that still validates (an older app version may have left others). */
function parseStored(value: unknown): QueuedWrite[] {
  if (!value || typeof value !== 'object' || !Array.isArray((value as Stored).writes)) return [];
  return (value as Stored).writes.flatMap((w) => {
    const parsed = queuedWriteSchema.safeParse(w);
    if (!parsed.success) console.warn('[live] dropped an unreadable queued write', parsed.error.issues);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * A durable, ordered queue of version-guarded writes to one live table for one
 * person: kept in storage (IndexedDB) so writes survive going offline and
 * closing the tab; sent one at a time, in order, whenever `flush()` runs (the
 * hook calls it on start, on enqueue, when the network returns, when the tab
 * becomes visible, and on timers for undo windows and backoff). Each result is
 * settled by ./queued-writes.ts and reported to `onOutcome` listeners. Across
 * tabs of one person, a Web Lock makes one tab send at a time and every step
 * re-reads the stored queue, so no write is sent twice.
 */
export class LiveWriteQueue<Row extends VersionedRow> {
  private snapshot: WriteQueueSnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly outcomeListeners = new Set<(outcome: WriteOutcome<Row>, info: OutcomeInfo) => void>();
  /** Writes that waited: left by an earlier page, or queued while offline or signed out. */
  private readonly waited = new Set<string>();
  private running: Promise<void> | null = null;
  private rerun = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private disposed = false;
  private readonly now: () => number;
  private readonly online: () => boolean;
  /** Tells this person's other tabs that the stored queue changed. */
  private readonly changed: BroadcastChannel | null;

  constructor(private readonly options: WriteQueueOptions<Row>) {
    this.snapshot = { ...EMPTY, durable: options.storage.durable };
    this.now = options.now ?? Date.now;
    this.online = options.online ?? (() => typeof navigator === 'undefined' || navigator.onLine !== false);
    this.changed =
      typeof window === 'undefined' || typeof BroadcastChannel === 'undefined'
        ? null
        : new BroadcastChannel('live-write-queue');
    if (this.changed)
      this.changed.onmessage = (event: MessageEvent) => {
        if (event.data === options.key && !this.disposed) void this.reload().then(() => this.flush());
      };
  }

  getSnapshot = (): WriteQueueSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Hears what became of each write (applied, conflict, gone, refused, skipped). */
  onOutcome(listener: (outcome: WriteOutcome<Row>, info: OutcomeInfo) => void): () => void {
    this.outcomeListeners.add(listener);
    return () => this.outcomeListeners.delete(listener);
  }

  /** Loads the stored queue (writes left by a closed tab) and starts sending. */
  async load(): Promise<void> {
    await this.reload();
    for (const w of this.snapshot.writes) this.waited.add(w.id);
    void this.flush();
  }

  /**
   * Queues a write and starts sending. Resolves once it is stored: `added`
   * is false when the queue already holds the same intent (same row, same
   * version: a double tap).
   */
  async enqueue(write: QueuedWrite): Promise<{ added: boolean }> {
    let added = false;
    await this.change((writes) => {
      const next = enqueueWrite(writes, write);
      added = next !== writes;
      return [...next];
    });
    void this.flush();
    return { added };
  }

  /** Undo: removes a write not yet sent, if no later write of its row builds on it. */
  async cancel(id: string): Promise<boolean> {
    let cancelled = false;
    await this.change((writes) => {
      const next = cancelWrite(writes, id, this.snapshot.sendingId);
      cancelled = next !== writes;
      return [...next];
    });
    void this.flush();
    return cancelled;
  }

  /** Sends due writes in order until the queue is empty, held, or the network is gone. Calls share one run. */
  flush(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.running) {
      // Asked again while sending (a new write, the network back): one more pass after this one.
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.rerun = false;
        this.clearTimer();
        await this.withLock(() => this.run());
      } while (this.rerun && !this.disposed);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Another tab changed the stored queue: read it again. */
  async reload(): Promise<void> {
    this.show(parseStored(await this.options.storage.read(this.options.key)));
  }

  dispose(): void {
    this.disposed = true;
    this.changed?.close();
    this.clearTimer();
    this.listeners.clear();
    this.outcomeListeners.clear();
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.disposed) return;
      // Another tab may have sent or added writes: always start from storage.
      await this.reload();
      const writes = this.snapshot.writes;
      if (writes.length === 0) return this.publish({ state: 'idle', problem: null, nextAttemptAt: null });
      if (!this.online()) {
        // The 'online' event flushes again.
        return this.publish({ state: 'offline', problem: 'This device is offline', nextAttemptAt: null });
      }
      const head = dueWrite(writes, this.now());
      if (!head) {
        const at = writes[0].sendAfter;
        this.schedule(at - this.now());
        return this.publish({ state: 'held', nextAttemptAt: at });
      }
      this.publish({ sendingId: head.id, state: 'sending' });
      let result: WriteResult<Row>;
      try {
        result = await this.options.send(head);
      } catch (error) {
        result = { kind: 'unreachable', message: error instanceof Error ? error.message : String(error) };
      }
      let outcomes: WriteOutcome<Row>[] = [];
      let stop = false;
      await this.change((current) => {
        const settled = settleWrite(current, head, result, this.options);
        outcomes = settled.outcomes;
        stop = settled.stop;
        return settled.queue;
      });
      this.publish({ sendingId: null });
      for (const outcome of outcomes) {
        const info = { waited: this.waited.delete(outcome.write.id) };
        for (const listener of this.outcomeListeners) listener(outcome, info);
      }
      if (stop) {
        if (result.kind === 'signed-out')
          return this.publish({ state: 'signed-out', problem: 'Signed out', nextAttemptAt: null });
        this.failures += 1;
        const delay = reconnectDelay(this.failures);
        this.schedule(delay);
        return this.publish({
          state: 'offline',
          problem: result.kind === 'unreachable' ? result.message : null,
          nextAttemptAt: this.now() + delay,
        });
      }
      this.failures = 0;
    }
  }

  /** Applies a change to the stored queue atomically, then shows it. */
  private async change(update: (writes: QueuedWrite[]) => QueuedWrite[]): Promise<void> {
    const stored = await this.options.storage.update<Stored>(this.options.key, (current) => ({
      v: 1,
      writes: update(parseStored(current)),
    }));
    this.show(stored.writes);
    this.changed?.postMessage(this.options.key);
  }

  /** Shows the writes read from storage, keeping the current array when nothing changed (no re-render). */
  private show(writes: QueuedWrite[]): void {
    const current = this.snapshot.writes;
    const same =
      this.snapshot.loaded &&
      writes.length === current.length &&
      writes.every((w, i) => w.id === current[i].id && w.baseVersion === current[i].baseVersion);
    this.publish({ loaded: true, durable: this.options.storage.durable, writes: same ? current : writes });
  }

  /** One tab of this person sends at a time (Web Locks where the browser has them). */
  private withLock(work: () => Promise<void>): Promise<void> {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (!locks) return work();
    return locks.request(`live-write-queue:${this.options.key}`, () => work()).then(() => undefined);
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => void this.flush(), Math.max(0, delayMs));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private publish(patch: Partial<WriteQueueSnapshot>): void {
    const next = { ...this.snapshot, ...patch };
    if (next.state === 'offline' || next.state === 'signed-out') for (const w of next.writes) this.waited.add(w.id);
    if ((Object.keys(patch) as (keyof WriteQueueSnapshot)[]).every((k) => next[k] === this.snapshot[k])) return;
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}
