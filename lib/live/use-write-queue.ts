'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useLayoutEffect, useRef, useSyncExternalStore } from 'react';
import { connectionStatus } from '@/lib/realtime/connection-status';
import { createClient } from '@/lib/supabase/client';
import { overlayQueuedWrites, type QueuedWrite, type WriteOutcome } from './queued-writes';
import { lazyQueueStorage } from './queue-storage';
import type { VersionedRow } from './schema';
import type { LiveTable } from './table';
import { writeRowEverywhere } from './use-live-mutation';
import { writeVersioned } from './versioned-write';
import { LiveWriteQueue, type OutcomeInfo, type WriteQueueSnapshot } from './write-queue';

// One queue per table and person per tab, shared by every component that uses
// it (like the one realtime socket), disposed shortly after the last one unmounts
// (StrictMode's extra unmount/mount keeps it).
const queues = new Map<
  string,
  { queue: LiveWriteQueue<VersionedRow>; users: number; idle?: ReturnType<typeof setTimeout> }
>();

function queueFor<Row extends VersionedRow>(
  table: LiveTable<Row>,
  userId: string,
  guardColumns: readonly string[] | undefined,
): LiveWriteQueue<Row> {
  const key = `${table.config.name}:${userId}`;
  let entry = queues.get(key);
  if (!entry) {
    const queue = new LiveWriteQueue<Row>({
      storage: lazyQueueStorage(),
      key,
      send: (write) => writeVersioned(createClient(), table, write, userId),
      guardColumns,
    });
    entry = { queue: queue as unknown as LiveWriteQueue<VersionedRow>, users: 0 };
    queues.set(key, entry);
  }
  return entry.queue as unknown as LiveWriteQueue<Row>;
}

/** Random enough for an intent id; works outside secure contexts too (unlike crypto.randomUUID). */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const SERVER_SNAPSHOT: WriteQueueSnapshot = {
  loaded: false,
  durable: false,
  writes: [],
  sendingId: null,
  state: 'idle',
  problem: null,
  nextAttemptAt: null,
};

export interface QueueWriteInput<Row> {
  /** The row as the person sees it (queued writes applied: see `overlay`); its version guards the write. */
  row: Row;
  patch: Partial<Row>;
  /** What the person asked for, in their words; shown while queued and in outcomes. */
  label: string;
  /** Hold the write this long before sending (an undo window), in ms. */
  holdMs?: number;
}

export interface UseWriteQueueOptions<Row> {
  /** Columns whose change by someone else makes a queued write a conflict even if it does not set them. */
  guardColumns?: readonly string[];
  /** Hears what became of each write (show it to the person); `waited`: it had waited for the network or a sign-in. */
  onOutcome?: (outcome: WriteOutcome<Row>, info: OutcomeInfo) => void;
}

/**
 * Version-guarded writes to a live table that survive going offline and
 * closing the tab: each write is stored on the device (IndexedDB) before it is
 * sent, sent in order as soon as possible (at once when online; when the
 * network returns, the tab becomes visible or the app is opened again
 * otherwise), and settled by the rules of ./queued-writes.ts. Saved rows and
 * the latest rows of conflicts go into every cache of the table.
 *
 * Returns the queue's state, `enqueue` (resolves `{ added: false }` for a
 * repeated intent), `cancel` (undo a write not yet sent), and `overlay(rows)`:
 * the rows as the person expects them, queued writes applied.
 */
export function useWriteQueue<Row extends VersionedRow>(
  table: LiveTable<Row>,
  userId: string,
  options: UseWriteQueueOptions<Row> = {},
) {
  const queryClient = useQueryClient();
  const key = `${table.config.name}:${userId}`;
  const queue = queueFor(table, userId, options.guardColumns);
  const snapshot = useSyncExternalStore(queue.subscribe, queue.getSnapshot, () => SERVER_SNAPSHOT);
  const onOutcome = useRef(options.onOutcome);
  useLayoutEffect(() => {
    onOutcome.current = options.onOutcome;
  });

  useEffect(() => {
    const entry = queues.get(key)!;
    if (entry.idle) clearTimeout(entry.idle);
    entry.users += 1;
    const stopOutcomes = queue.onOutcome((outcome, info) => {
      if (outcome.kind === 'applied') writeRowEverywhere(queryClient, table, outcome.row, false);
      if (outcome.kind === 'conflict') writeRowEverywhere(queryClient, table, outcome.latest, false);
      onOutcome.current?.(outcome, info);
    });
    void queue.load();
    const flush = () => void queue.flush();
    const onVisible = () => document.visibilityState === 'visible' && flush();
    window.addEventListener('online', flush);
    document.addEventListener('visibilitychange', onVisible);
    // The realtime connection coming back is a sign the network is back too.
    let wasConnected = connectionStatus.getSnapshot().state === 'connected';
    const stopStatus = connectionStatus.subscribe(() => {
      const connected = connectionStatus.getSnapshot().state === 'connected';
      if (connected && !wasConnected) flush();
      wasConnected = connected;
    });
    return () => {
      stopOutcomes();
      stopStatus();
      window.removeEventListener('online', flush);
      document.removeEventListener('visibilitychange', onVisible);
      entry.users -= 1;
      if (entry.users === 0)
        entry.idle = setTimeout(() => {
          if (entry.users > 0) return;
          entry.queue.dispose();
          queues.delete(key);
        }, 1_000);
    };
  }, [key, queue, queryClient, table]);

  const { scopeColumn } = table.config;
  const enqueue = useCallback(
    ({ row, patch, label, holdMs = 0 }: QueueWriteInput<Row>) => {
      const now = Date.now();
      const write: QueuedWrite = {
        id: randomId(),
        rowId: table.keyOf(row),
        scope: String(row[scopeColumn]),
        baseVersion: row.version,
        base: { ...row } as Record<string, unknown>,
        patch: { ...patch } as Record<string, unknown>,
        label,
        createdAt: now,
        sendAfter: now + holdMs,
        rebases: 0,
      };
      return queue.enqueue(write);
    },
    [queue, table, scopeColumn],
  );
  const cancel = useCallback((id: string) => queue.cancel(id), [queue]);
  const overlay = useCallback(
    (rows: readonly Row[]) => overlayQueuedWrites(rows, snapshot.writes, table.keyOf),
    [snapshot.writes, table],
  );
  return { ...snapshot, enqueue, cancel, overlay, flush: () => queue.flush() };
}
