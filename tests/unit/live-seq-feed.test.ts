import { describe, expect, it } from 'vitest';
import type { ShipmentChange } from '../../lib/shipments/schema';
import { SeqFeed } from '../../lib/live/seq-feed';

const ID = '00000000-0000-4000-8000-000000000001';
const DEPOT = '00000000-0000-4000-8000-0000000000d1';

function change(seq: number): ShipmentChange {
  return { seq, scope: DEPOT, id: ID, version: seq + 1, operation: 'UPDATE', changed: ['status'], record: null };
}

/** A feed over an in-memory "database" of committed changes. */
function setup(initialSeq: number, committed: number[]) {
  const applied: number[] = [];
  const backfillCalls: number[] = [];
  const db = new Set(committed);
  const feed = new SeqFeed<ShipmentChange>({
    initialSeq,
    apply: (changes) => applied.push(...changes.map((c) => c.seq)),
    backfill: async (after, limit) => {
      backfillCalls.push(after);
      return [...db]
        .filter((s) => s > after)
        .sort((a, b) => a - b)
        .slice(0, limit)
        .map(change);
    },
    pageSize: 3,
  });
  return { feed, applied, backfillCalls, db };
}

describe('SeqFeed', () => {
  it('applies in-order live changes directly, without touching the database', () => {
    const { feed, applied, backfillCalls } = setup(10, []);
    feed.receive(change(11));
    feed.receive(change(12));
    expect(applied).toEqual([11, 12]);
    expect(backfillCalls).toEqual([]);
    expect(feed.lastSeq).toBe(12);
  });

  it('ignores duplicates and changes at or below the watermark', () => {
    const { feed, applied } = setup(10, []);
    feed.receive(change(9));
    feed.receive(change(10));
    feed.receive(change(11));
    feed.receive(change(11));
    expect(applied).toEqual([11]);
  });

  it('fills a gap from the database, then applies the held change once', async () => {
    const { feed, applied, backfillCalls } = setup(10, [11, 12, 13]);
    feed.receive(change(13));
    await feed.catchUp();
    expect(applied).toEqual([11, 12, 13]);
    expect(backfillCalls[0]).toBe(10);
  });

  it('reorders out-of-order arrivals once the gap is filled', async () => {
    const { feed, applied } = setup(0, [1, 2, 3, 4]);
    feed.receive(change(3));
    feed.receive(change(2));
    feed.receive(change(4));
    feed.receive(change(1));
    await feed.catchUp();
    expect(applied).toEqual([1, 2, 3, 4]);
  });

  it('catches up across several pages (handoff after a long gap)', async () => {
    const { feed, applied } = setup(0, [1, 2, 3, 4, 5, 6, 7]);
    await feed.catchUp();
    expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('does not skip past a hole in the record, and does not loop on it', async () => {
    const { feed, applied, backfillCalls } = setup(0, [1, 3]);
    feed.receive(change(3));
    await feed.catchUp();
    expect(applied).toEqual([1]);
    expect(backfillCalls.length).toBeLessThan(5);
  });

  it('shares one run between concurrent catch-ups and re-reads when asked meanwhile', async () => {
    const { feed, applied, db } = setup(0, [1]);
    const first = feed.catchUp();
    db.add(2);
    const second = feed.catchUp();
    await Promise.all([first, second]);
    expect(applied).toEqual([1, 2]);
  });

  it('reports a failed backfill and recovers on the next catch-up', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const applied: number[] = [];
    const feed = new SeqFeed<ShipmentChange>({
      initialSeq: 0,
      apply: (c) => applied.push(...c.map((x) => x.seq)),
      backfill: async (after) => {
        if (fail) throw new Error('offline');
        return [1, 2].filter((s) => s > after).map(change);
      },
      onError: (e) => errors.push(e),
    });
    feed.receive(change(2));
    await feed.catchUp();
    expect(applied).toEqual([]);
    expect(errors).toHaveLength(1);
    fail = false;
    await feed.catchUp();
    expect(applied).toEqual([1, 2]);
  });

  it('stops applying after close()', async () => {
    const { feed, applied } = setup(0, [1]);
    feed.close();
    feed.receive(change(1));
    await feed.catchUp();
    expect(applied).toEqual([]);
  });

  it('advanceTo: continues from a newer snapshot, releasing held changes, never moving back', async () => {
    // The record cannot fill 1..5 (say they were merged from a snapshot instead).
    const { feed, applied, backfillCalls } = setup(0, [6, 7]);
    feed.receive(change(6));
    await feed.catchUp();
    expect(applied).toEqual([]);
    feed.advanceTo(5);
    expect(applied).toEqual([6]);
    feed.advanceTo(2);
    expect(feed.lastSeq).toBe(6);
    feed.receive(change(7));
    expect(applied).toEqual([6, 7]);
    await feed.catchUp();
    expect(backfillCalls.at(-1)).toBe(7);
  });
});
