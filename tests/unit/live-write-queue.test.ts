// The offline write queue's rules (lib/live/queued-writes.ts) and its runner
// (lib/live/write-queue.ts) over in-memory storage with a scripted database.
// The same queue against the real dev stack: tests/live/write-queue.test.ts;
// in the browser with IndexedDB: tests/e2e/driver-offline.spec.ts.
import { describe, expect, it } from 'vitest';
import {
  cancelWrite,
  dueWrite,
  enqueueWrite,
  overlayQueuedWrites,
  settleWrite,
  type QueuedWrite,
  type WriteOutcome,
  type WriteResult,
} from '../../lib/live/queued-writes';
import { memoryQueueStorage } from '../../lib/live/queue-storage';
import { LiveWriteQueue } from '../../lib/live/write-queue';

interface Row {
  id: string;
  scope: string;
  status: string;
  eta: string | null;
  driver: string | null;
  version: number;
}

const row = (id: string, patch: Partial<Row> = {}): Row => ({
  id,
  scope: 'depot-1',
  status: 'assigned',
  eta: null,
  driver: 'me',
  version: 1,
  ...patch,
});

let ids = 0;
function write(base: Row, patch: Partial<Row>, extra: Partial<QueuedWrite> = {}): QueuedWrite {
  ids += 1;
  return {
    id: `w${ids}`,
    rowId: base.id,
    scope: base.scope,
    baseVersion: base.version,
    base: { ...base },
    patch: { ...patch },
    label: `set ${JSON.stringify(patch)}`,
    createdAt: 0,
    sendAfter: 0,
    rebases: 0,
    ...extra,
  };
}

describe('queue rules', () => {
  it('a repeated intent (same row, same version: a double tap) is not queued twice', () => {
    const a = row('a');
    const first = enqueueWrite([], write(a, { status: 'picked_up' }));
    const again = enqueueWrite(first, write(a, { status: 'picked_up' }));
    expect(again).toBe(first);
    expect(again).toHaveLength(1);
    // The next step, taken on the version the first one leads to, is a new intent.
    const next = enqueueWrite(first, write({ ...a, status: 'picked_up', version: 2 }, { status: 'in_transit' }));
    expect(next).toHaveLength(2);
  });

  it('writes leave in order, and a held head (undo window) holds the rest', () => {
    const a = write(row('a'), { status: 'delivered' }, { sendAfter: 5_000 });
    const b = write(row('b'), { status: 'picked_up' });
    expect(dueWrite([a, b], 1_000)).toBeNull();
    expect(dueWrite([a, b], 5_000)).toBe(a);
    expect(dueWrite([b, a], 0)).toBe(b);
  });

  it('undo removes the newest unsent write of a row only', () => {
    const a1 = write(row('a'), { status: 'picked_up' });
    const a2 = write(row('a', { status: 'picked_up', version: 2 }), { status: 'in_transit' });
    const queue = [a1, a2];
    expect(cancelWrite(queue, a1.id, null)).toBe(queue); // a2 builds on it
    expect(cancelWrite(queue, a2.id, a2.id)).toBe(queue); // already on its way
    expect(cancelWrite(queue, a2.id, null)).toEqual([a1]);
  });

  it('overlay shows queued writes applied in order, versions counted on, other rows untouched', () => {
    const a = row('a');
    const b = row('b');
    const queue = [
      write(a, { status: 'picked_up' }),
      write({ ...a, status: 'picked_up', version: 2 }, { status: 'in_transit' }),
    ];
    const [shownA, shownB] = overlayQueuedWrites([a, b], queue, (r) => r.id);
    expect(shownA).toMatchObject({ status: 'in_transit', version: 3 });
    expect(shownB).toBe(b);
  });

  it('saved: removed, and the next write of the row builds on the saved row', () => {
    const a1 = write(row('a'), { status: 'picked_up' });
    const a2 = write(row('a', { status: 'picked_up', version: 2 }), { status: 'in_transit' });
    const saved = row('a', { status: 'picked_up', eta: '10:00', version: 3 }); // a dispatcher's ETA came first
    const settled = settleWrite([a1, a2], a1, { kind: 'saved', row: saved });
    expect(settled.outcomes).toEqual([{ kind: 'applied', write: a1, row: saved }]);
    expect(settled.queue).toHaveLength(1);
    expect(settled.queue[0]).toMatchObject({ id: a2.id, baseVersion: 3, base: { eta: '10:00' } });
  });

  it('stale, but nobody touched its columns or the guard columns: re-applied on the newer version', () => {
    const a1 = write(row('a'), { status: 'picked_up' });
    const latest = row('a', { eta: '11:30', version: 2 });
    const settled = settleWrite([a1], a1, { kind: 'stale', latest }, { guardColumns: ['status', 'driver'] });
    expect(settled.outcomes).toEqual([]);
    expect(settled.queue[0]).toMatchObject({ id: a1.id, baseVersion: 2, rebases: 1, base: { eta: '11:30' } });
  });

  it('stale, and someone changed what it changes: a conflict; their change stands; later writes of the row are skipped', () => {
    const a1 = write(row('a'), { status: 'picked_up' });
    const a2 = write(row('a', { status: 'picked_up', version: 2 }), { status: 'in_transit' });
    const b1 = write(row('b'), { status: 'picked_up' });
    const latest = row('a', { status: 'cancelled', version: 2 });
    const settled = settleWrite([a1, b1, a2], a1, { kind: 'stale', latest });
    expect(settled.outcomes).toEqual([
      { kind: 'conflict', write: a1, latest },
      { kind: 'skipped', write: a2, cause: a1 },
    ]);
    expect(settled.queue).toEqual([b1]);
  });

  it('stale, and a guard column changed (reassigned and back): a conflict', () => {
    const a1 = write(row('a'), { status: 'picked_up' });
    const latest = row('a', { driver: 'someone else', version: 3 });
    const guarded = settleWrite([a1], a1, { kind: 'stale', latest }, { guardColumns: ['driver'] });
    expect(guarded.outcomes[0]).toMatchObject({ kind: 'conflict' });
    const unguarded = settleWrite([a1], a1, { kind: 'stale', latest });
    expect(unguarded.outcomes).toEqual([]);
  });

  it('stale because it was applied already (the answer was lost): applied, not sent again', () => {
    const a1 = write(row('a'), { status: 'picked_up' });
    const latest = row('a', { status: 'picked_up', version: 2 });
    const settled = settleWrite([a1], a1, { kind: 'stale', latest });
    expect(settled.outcomes).toEqual([{ kind: 'applied', write: a1, row: latest }]);
    expect(settled.queue).toEqual([]);
  });

  it('re-applying is bounded', () => {
    const a1 = write(row('a'), { status: 'picked_up' }, { rebases: 3 });
    const settled = settleWrite([a1], a1, { kind: 'stale', latest: row('a', { version: 9 }) });
    expect(settled.outcomes[0]).toMatchObject({ kind: 'conflict' });
  });

  it('gone and refused drop the write and its row’s later writes; unreachable and signed-out keep everything and stop', () => {
    const a1 = write(row('a'), { status: 'picked_up' });
    const a2 = write(row('a', { version: 2 }), { status: 'in_transit' });
    const gone = settleWrite<Row>([a1, a2], a1, { kind: 'gone' });
    expect(gone.outcomes.map((o) => o.kind)).toEqual(['gone', 'skipped']);
    expect(gone.queue).toEqual([]);
    const refused = settleWrite<Row>([a1, a2], a1, { kind: 'refused', message: 'no' });
    expect(refused.outcomes[0]).toEqual({ kind: 'refused', write: a1, message: 'no' });
    for (const result of [{ kind: 'unreachable', message: 'offline' }, { kind: 'signed-out' }] as const) {
      const kept = settleWrite<Row>([a1, a2], a1, result);
      expect(kept).toEqual({ queue: [a1, a2], outcomes: [], stop: true });
    }
  });
});

/** A tiny "database" of rows with version-guarded updates, and a switch for the network. */
function scriptedDatabase(rows: Row[]) {
  const table = new Map(rows.map((r) => [r.id, { ...r }]));
  const log: { id: string; version: number; status: string }[] = [];
  let reachable = true;
  const send = async (w: QueuedWrite): Promise<WriteResult<Row>> => {
    if (!reachable) return { kind: 'unreachable', message: 'Failed to fetch' };
    const current = table.get(w.rowId);
    if (!current) return { kind: 'gone' };
    if (current.version !== w.baseVersion) return { kind: 'stale', latest: { ...current } };
    const next = { ...current, ...(w.patch as Partial<Row>), version: current.version + 1 };
    table.set(w.rowId, next);
    log.push({ id: next.id, version: next.version, status: next.status });
    return { kind: 'saved', row: { ...next } };
  };
  return {
    table,
    log,
    send,
    setReachable: (value: boolean) => (reachable = value),
  };
}

describe('the runner', () => {
  it('keeps writes while offline and across a restart, then sends them in order once', async () => {
    const storage = memoryQueueStorage();
    const db = scriptedDatabase([row('a'), row('b')]);
    let online = false;
    const first = new LiveWriteQueue<Row>({ storage, key: 'k', send: db.send, online: () => online });
    await first.load();
    const a = row('a');
    await first.enqueue(write(a, { status: 'picked_up' }));
    await first.enqueue(write(row('b'), { status: 'picked_up' }));
    await first.enqueue(write({ ...a, status: 'picked_up', version: 2 }, { status: 'in_transit' }));
    await first.flush();
    expect(first.getSnapshot()).toMatchObject({ state: 'offline' });
    expect(db.log).toEqual([]);
    first.dispose(); // the tab is closed

    online = true;
    const reopened = new LiveWriteQueue<Row>({ storage, key: 'k', send: db.send, online: () => online });
    const outcomes: WriteOutcome<Row>[] = [];
    const waited: boolean[] = [];
    reopened.onOutcome((o, info) => {
      outcomes.push(o);
      waited.push(info.waited);
    });
    await reopened.load();
    await reopened.flush();
    expect(db.log).toEqual([
      { id: 'a', version: 2, status: 'picked_up' },
      { id: 'b', version: 2, status: 'picked_up' },
      { id: 'a', version: 3, status: 'in_transit' },
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'applied', 'applied']);
    expect(waited).toEqual([true, true, true]); // left by the closed tab
    expect(reopened.getSnapshot()).toMatchObject({ state: 'idle', writes: [] });
    expect(await storage.read('k')).toEqual({ v: 1, writes: [] });
  });

  it('an unreachable server keeps the write and retries on a timer; the next flush sends it', async () => {
    const db = scriptedDatabase([row('a')]);
    db.setReachable(false);
    const queue = new LiveWriteQueue<Row>({ storage: memoryQueueStorage(), key: 'k', send: db.send });
    await queue.load();
    await queue.enqueue(write(row('a'), { status: 'picked_up' }));
    await queue.flush();
    const waiting = queue.getSnapshot();
    expect(waiting).toMatchObject({ state: 'offline', problem: 'Failed to fetch' });
    expect(waiting.nextAttemptAt).toBeGreaterThan(Date.now());
    expect(waiting.writes).toHaveLength(1);
    db.setReachable(true);
    await queue.flush();
    expect(db.log).toEqual([{ id: 'a', version: 2, status: 'picked_up' }]);
    queue.dispose();
  });

  it('a held write waits for its undo window and can be cancelled within it', async () => {
    let now = 1_000;
    const db = scriptedDatabase([row('a', { status: 'in_transit' })]);
    const queue = new LiveWriteQueue<Row>({ storage: memoryQueueStorage(), key: 'k', send: db.send, now: () => now });
    await queue.load();
    const held = write(row('a', { status: 'in_transit' }), { status: 'delivered' }, { sendAfter: 6_000 });
    await queue.enqueue(held);
    await queue.flush();
    expect(queue.getSnapshot()).toMatchObject({ state: 'held', nextAttemptAt: 6_000 });
    expect(await queue.cancel(held.id)).toBe(true);
    expect(queue.getSnapshot().writes).toEqual([]);

    const again = write(row('a', { status: 'in_transit' }), { status: 'delivered' }, { sendAfter: 6_000 });
    await queue.enqueue(again);
    now = 6_000;
    await queue.flush();
    expect(db.log).toEqual([{ id: 'a', version: 2, status: 'delivered' }]);
    queue.dispose();
  });

  it('a conflict reports the latest row and keeps the other change; the rest of the queue goes on', async () => {
    const storage = memoryQueueStorage();
    const db = scriptedDatabase([row('a'), row('b')]);
    let online = false;
    const queue = new LiveWriteQueue<Row>({ storage, key: 'k', send: db.send, online: () => online });
    const outcomes: WriteOutcome<Row>[] = [];
    const waited: boolean[] = [];
    queue.onOutcome((o, info) => {
      outcomes.push(o);
      waited.push(info.waited);
    });
    await queue.load();
    await queue.enqueue(write(row('a'), { status: 'picked_up' }));
    await queue.enqueue(write(row('b'), { status: 'picked_up' }));
    await queue.flush();
    expect(queue.getSnapshot().state).toBe('offline');
    // A dispatcher cancels a while the driver is offline.
    db.table.set('a', row('a', { status: 'cancelled', version: 2 }));
    online = true;
    await queue.flush();
    expect(outcomes.map((o) => o.kind)).toEqual(['conflict', 'applied']);
    expect(waited).toEqual([true, true]); // queued while offline
    expect(outcomes[0]).toMatchObject({ latest: { status: 'cancelled', version: 2 } });
    expect(db.table.get('a')).toMatchObject({ status: 'cancelled', version: 2 });
    expect(db.table.get('b')).toMatchObject({ status: 'picked_up', version: 2 });
    queue.dispose();
  });

  it('stored writes that no longer validate are dropped, the rest are kept', async () => {
    const storage = memoryQueueStorage();
    const good = write(row('a'), { status: 'picked_up' });
    await storage.update('k', () => ({ v: 1, writes: [{ nonsense: true }, good] }));
    const queue = new LiveWriteQueue<Row>({
      storage,
      key: 'k',
      send: async () => ({ kind: 'gone' }),
      online: () => false,
    });
    await queue.load();
    expect(queue.getSnapshot().writes).toEqual([good]);
    queue.dispose();
  });
});
