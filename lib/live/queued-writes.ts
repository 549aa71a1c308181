import { z } from 'zod';
import type { VersionedRow } from './schema';

// The offline write queue's rules, as pure functions (old queue + event → new
// queue), so unit tests can call them directly. The runner that persists the
// queue and sends it is ./write-queue.ts; the React hook is ./use-write-queue.ts.
//
// A queued write is one intent of a person ("mark it picked up"): a patch of a
// live row, guarded by the version the person saw (`update … where version = n`).
// Writes leave in the order they were taken. A write made stale by someone
// else's change is re-applied on the newer version only when that change
// touched none of the columns the write sets, nor the queue's guard columns;
// otherwise the other change stands and the write is dropped, with the reason.

/** One queued write, as kept on the device (IndexedDB): JSON only. */
export const queuedWriteSchema = z.object({
  /** The intent's id (random): outcomes and undo refer to it. */
  id: z.string().min(1),
  /** The row's primary key and scope, as text. */
  rowId: z.string().min(1),
  scope: z.string().min(1),
  /** The version the write is guarded by. */
  baseVersion: z.number().int().positive(),
  /** The row as the person saw it (with earlier queued writes applied). */
  base: z.record(z.string(), z.unknown()),
  patch: z.record(z.string(), z.unknown()),
  /** What the person asked for, in their words ("Mark picked up"). */
  label: z.string().max(200),
  /** Device clock (ms): for display and the undo window only, never for ordering. */
  createdAt: z.number(),
  /** Not sent before this device time (ms): the undo window. */
  sendAfter: z.number(),
  /** Times the write was re-applied on a newer version (bounded). */
  rebases: z.number().int().nonnegative().default(0),
});
export type QueuedWrite = z.infer<typeof queuedWriteSchema>;

/** What one attempt to send a write came back with (see ./versioned-write.ts). */
export type WriteResult<Row> =
  | { kind: 'saved'; row: Row }
  /** No row at the guarded version: `latest` is the row now. */
  | { kind: 'stale'; latest: Row }
  /** The row is gone or no longer visible to the person (RLS). */
  | { kind: 'gone' }
  /** The database refused the write (a rule, a permission): final. */
  | { kind: 'refused'; message: string }
  /** Network or server unavailable: keep it and try again later. */
  | { kind: 'unreachable'; message: string }
  /** No session (or another person's): keep it until they sign in again. */
  | { kind: 'signed-out' };

/** What became of a write, for the person who queued it. */
export type WriteOutcome<Row> =
  | { kind: 'applied'; write: QueuedWrite; row: Row }
  /** Someone else changed what the write changes first: their change stands. */
  | { kind: 'conflict'; write: QueuedWrite; latest: Row }
  | { kind: 'gone'; write: QueuedWrite }
  | { kind: 'refused'; write: QueuedWrite; message: string }
  /** Not sent because an earlier write of the same row was not applied (`cause`). */
  | { kind: 'skipped'; write: QueuedWrite; cause: QueuedWrite };

export interface SettleOptions {
  /** Columns whose change by someone else makes a queued write stale even if it does not set them. */
  guardColumns?: readonly string[];
  /** How many times one write may be re-applied on a newer version (default 3). */
  maxRebases?: number;
}

export interface Settled<Row> {
  queue: QueuedWrite[];
  outcomes: WriteOutcome<Row>[];
  /** The head stays queued: stop sending until the network (or session) is back. */
  stop: boolean;
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const same = (a: unknown, b: unknown) => a === b || json(a) === json(b);

/**
 * Adds a write at the end, unless the queue already holds one for the same
 * row at the same version (a double tap: the same intent twice). Returns the
 * same array when nothing was added.
 */
export function enqueueWrite(queue: readonly QueuedWrite[], write: QueuedWrite): readonly QueuedWrite[] {
  const duplicate = queue.some(
    (w) => w.id === write.id || (w.rowId === write.rowId && w.baseVersion === write.baseVersion),
  );
  return duplicate ? queue : [...queue, write];
}

/**
 * Undo: removes a write that has not been sent, if it is the newest of its row
 * (a later write of the row builds on it). Returns the same array when it cannot.
 */
export function cancelWrite(
  queue: readonly QueuedWrite[],
  id: string,
  sendingId: string | null,
): readonly QueuedWrite[] {
  const index = queue.findIndex((w) => w.id === id);
  if (index === -1 || id === sendingId) return queue;
  const later = queue.slice(index + 1).some((w) => w.rowId === queue[index].rowId);
  return later ? queue : queue.filter((w) => w.id !== id);
}

/** The first write, if it may leave now (writes leave in order: a held head holds the rest). */
export function dueWrite(queue: readonly QueuedWrite[], now: number): QueuedWrite | null {
  const head = queue[0];
  return head && head.sendAfter <= now ? head : null;
}

/** Removes a write and every later write of its row, reporting those as skipped. */
function dropWithDependents<Row>(
  queue: readonly QueuedWrite[],
  write: QueuedWrite,
  outcome: WriteOutcome<Row>,
): Settled<Row> {
  const outcomes: WriteOutcome<Row>[] = [outcome];
  const rest: QueuedWrite[] = [];
  for (const w of queue) {
    if (w.id === write.id) continue;
    if (w.rowId === write.rowId) outcomes.push({ kind: 'skipped', write: w, cause: write });
    else rest.push(w);
  }
  return { queue: rest, outcomes, stop: false };
}

/** The write is applied: remove it; the next write of its row now builds on the saved row. */
function applied<Row extends VersionedRow>(queue: readonly QueuedWrite[], write: QueuedWrite, row: Row): Settled<Row> {
  let rebased = false;
  const next = queue.flatMap((w) => {
    if (w.id === write.id) return [];
    if (!rebased && w.rowId === write.rowId) {
      rebased = true;
      return [{ ...w, base: { ...row } as Record<string, unknown>, baseVersion: row.version }];
    }
    return [w];
  });
  return { queue: next, outcomes: [{ kind: 'applied', write, row }], stop: false };
}

/**
 * Settles the queue after sending `write` (its head) got `result`:
 * saved → removed; stale → applied already (the row holds the patch), or
 * re-applied on the newer version when nobody changed the write's columns nor
 * the guard columns, or else a conflict; gone / refused → dropped; each drop
 * takes the row's later writes with it (they built on it). Unreachable or
 * signed out → kept, and sending stops.
 */
export function settleWrite<Row extends VersionedRow>(
  queue: readonly QueuedWrite[],
  write: QueuedWrite,
  result: WriteResult<Row>,
  options: SettleOptions = {},
): Settled<Row> {
  if (!queue.some((w) => w.id === write.id)) return { queue: [...queue], outcomes: [], stop: false };
  switch (result.kind) {
    case 'saved':
      return applied(queue, write, result.row);
    case 'unreachable':
    case 'signed-out':
      return { queue: [...queue], outcomes: [], stop: true };
    case 'gone':
      return dropWithDependents(queue, write, { kind: 'gone', write });
    case 'refused':
      return dropWithDependents(queue, write, { kind: 'refused', write, message: result.message });
    case 'stale': {
      const latest = result.latest as Row & Record<string, unknown>;
      const columns = Object.keys(write.patch);
      if (latest.version > write.baseVersion && columns.every((c) => same(latest[c], write.patch[c])))
        return applied(queue, write, result.latest);
      const watched = [...new Set([...columns, ...(options.guardColumns ?? [])])];
      const untouched = watched.every((c) => same(latest[c], write.base[c]));
      if (untouched && write.rebases < (options.maxRebases ?? 3)) {
        const rebased: QueuedWrite = {
          ...write,
          base: { ...latest },
          baseVersion: latest.version,
          rebases: write.rebases + 1,
        };
        return { queue: queue.map((w) => (w.id === write.id ? rebased : w)), outcomes: [], stop: false };
      }
      return dropWithDependents(queue, write, { kind: 'conflict', write, latest: result.latest });
    }
  }
}

/** The writes still queued for each row, in order. */
export function writesByRow(queue: readonly QueuedWrite[]): Map<string, QueuedWrite[]> {
  const byRow = new Map<string, QueuedWrite[]>();
  for (const w of queue) byRow.set(w.rowId, [...(byRow.get(w.rowId) ?? []), w]);
  return byRow;
}

/**
 * Rows as the person expects them: each with its queued writes applied in
 * order (version counted on by one per write). Rows without queued writes keep
 * their identity, so memoized components do not re-render.
 */
export function overlayQueuedWrites<Row extends VersionedRow>(
  rows: readonly Row[],
  queue: readonly QueuedWrite[],
  keyOf: (row: Row) => string,
): Row[] {
  if (queue.length === 0) return [...rows];
  const byRow = writesByRow(queue);
  return rows.map((row) => {
    const writes = byRow.get(keyOf(row));
    if (!writes) return row;
    let next: Row = row;
    for (const w of writes) next = { ...next, ...w.patch, version: next.version + 1 };
    return next;
  });
}
