import { describe, expect, it } from 'vitest';
import {
  applyChangeToList,
  applyChangeToRow,
  mergeListSnapshot,
  mergeRowSnapshot,
  removeRow,
  type LiveList,
} from '../../lib/live/merge';
import type { Shipment, ShipmentChange } from '../../lib/shipments/schema';

type DepotBoard = LiveList<Shipment>;
const key = (s: Shipment) => s.id;
const applyShipmentChange = (b: DepotBoard | undefined, c: ShipmentChange) => applyChangeToList(b, c, key);

const DEPOT = '00000000-0000-4000-8000-0000000000d1';
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';

function shipment(id: string, version: number, status: Shipment['status'] = 'pending'): Shipment {
  return {
    id,
    depot_id: DEPOT,
    reference: `REF-${id.slice(-1)}`,
    recipient: 'R',
    address: 'A',
    status,
    driver_id: null,
    eta: null,
    last_lat: null,
    last_lng: null,
    last_position_at: null,
    failure_reason: null,
    failure_note: null,
    version,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  };
}

function update(seq: number, record: Shipment, operation: ShipmentChange['operation'] = 'UPDATE'): ShipmentChange {
  return {
    seq,
    scope: DEPOT,
    id: record.id,
    version: record.version,
    operation,
    changed: ['status'],
    record: operation === 'DELETE' ? null : record,
  };
}

const board = (): DepotBoard => ({ watermark: 10, rows: [shipment(A, 3), shipment(B, 1)] });

describe('applyShipmentChange', () => {
  it('replaces a shipment with a newer version and moves the watermark', () => {
    const next = applyShipmentChange(board(), update(11, shipment(A, 4, 'assigned')))!;
    expect(next.rows[0]).toMatchObject({ id: A, version: 4, status: 'assigned' });
    expect(next.watermark).toBe(11);
  });

  it('keeps the same objects for an older or duplicate version (no re-render)', () => {
    const before = board();
    const older = applyShipmentChange(before, update(5, shipment(A, 2, 'cancelled')));
    expect(older).toBe(before);
    const duplicate = applyShipmentChange(before, update(9, shipment(A, 3, 'cancelled')));
    expect(duplicate).toBe(before);
  });

  it('touches only the changed shipment: other rows keep their identity', () => {
    const before = board();
    const next = applyShipmentChange(before, update(11, shipment(A, 4)))!;
    expect(next.rows[1]).toBe(before.rows[1]);
  });

  it('adds an inserted shipment and removes a deleted one', () => {
    const C = '00000000-0000-4000-8000-00000000000c';
    const inserted = applyShipmentChange(board(), update(11, shipment(C, 1), 'INSERT'))!;
    expect(inserted.rows.map((s) => s.id)).toEqual([A, B, C]);
    const deleted = applyShipmentChange(inserted, {
      ...update(12, shipment(B, 2)),
      operation: 'DELETE',
      record: null,
    })!;
    expect(deleted.rows.map((s) => s.id)).toEqual([A, C]);
  });

  it('does not resurrect or delete over a newer copy', () => {
    const before = board();
    const staleDelete = applyShipmentChange(before, {
      ...update(4, shipment(A, 2)),
      operation: 'DELETE',
      record: null,
    })!;
    expect(staleDelete.rows.map((s) => s.id)).toEqual([A, B]);
  });

  it('applies out-of-order deltas to the same final state', () => {
    const v4 = update(11, shipment(A, 4, 'assigned'));
    const v5 = update(12, shipment(A, 5, 'picked_up'));
    const inOrder = applyShipmentChange(applyShipmentChange(board(), v4), v5)!;
    const reversed = applyShipmentChange(applyShipmentChange(board(), v5), v4)!;
    expect(reversed.rows).toEqual(inOrder.rows);
    expect(reversed.watermark).toBe(12);
  });

  it('leaves an absent cache absent', () => {
    expect(applyShipmentChange(undefined, update(1, shipment(A, 1)))).toBeUndefined();
  });
});

describe('applyChangeToRow', () => {
  const cached = (row: Shipment | null, watermark: number | null = 10) => ({ watermark, row });
  it('updates a row with a newer version, ignores older ones and other rows', () => {
    const detail = cached(shipment(A, 3));
    expect(applyChangeToRow(detail, update(11, shipment(A, 4)), key)?.row).toMatchObject({ version: 4 });
    expect(applyChangeToRow(detail, update(11, shipment(A, 2)), key)).toBe(detail);
    expect(applyChangeToRow(detail, update(11, shipment(B, 9)), key)).toBe(detail);
  });

  it('marks a deleted row as gone (null)', () => {
    expect(
      applyChangeToRow(
        cached(shipment(A, 3)),
        { ...update(11, shipment(A, 4)), operation: 'DELETE', record: null },
        key,
      )?.row,
    ).toBeNull();
  });

  it('moves the watermark only for the feed that owns the cache', () => {
    expect(applyChangeToRow(cached(shipment(A, 3)), update(11, shipment(A, 4)), key)?.watermark).toBe(10);
    expect(applyChangeToRow(cached(shipment(A, 3)), update(11, shipment(A, 4)), key, true)?.watermark).toBe(11);
  });
});

describe('removeRow', () => {
  it('removes a row that left the audience unless we hold a newer copy', () => {
    const list: DepotBoard = { watermark: null, rows: [shipment(A, 3), shipment(B, 1)] };
    expect(removeRow(list, A, 4, key)?.rows.map((s) => s.id)).toEqual([B]);
    expect(removeRow(list, A, 2, key)).toBe(list);
  });
});

describe('mergeListSnapshot: a server snapshot never replaces newer data (issue 17)', () => {
  it('ignores an older snapshot (lower watermark): the cache keeps its newer rows', () => {
    const current: DepotBoard = { watermark: 12, rows: [shipment(A, 5, 'assigned'), shipment(B, 1)] };
    const older: DepotBoard = { watermark: 10, rows: [shipment(A, 3), shipment(B, 1)] };
    expect(mergeListSnapshot(current, older, key)).toBe(current);
  });

  it('lifts single rows of an older snapshot that carry a higher version', () => {
    const current: DepotBoard = { watermark: 12, rows: [shipment(A, 5), shipment(B, 1)] };
    const older: DepotBoard = { watermark: 10, rows: [shipment(A, 3), shipment(B, 2, 'assigned')] };
    const merged = mergeListSnapshot(current, older, key);
    expect(merged.watermark).toBe(12);
    expect(merged.rows.map((s) => [s.id, s.version])).toEqual([
      [A, 5],
      [B, 2],
    ]);
  });

  it('takes a newer snapshot (higher watermark): its rows and watermark, deletions included', () => {
    const C = '00000000-0000-4000-8000-00000000000c';
    const current: DepotBoard = { watermark: 10, rows: [shipment(A, 3), shipment(B, 1)] };
    const newer: DepotBoard = { watermark: 14, rows: [shipment(A, 4), shipment(C, 1)] };
    const merged = mergeListSnapshot(current, newer, key);
    expect(merged.watermark).toBe(14);
    expect(merged.rows.map((s) => [s.id, s.version])).toEqual([
      [A, 4],
      [C, 1],
    ]);
  });

  it('keeps a row the cache holds at a higher version than the newer snapshot', () => {
    const current: DepotBoard = { watermark: 10, rows: [shipment(A, 6)] };
    const newer: DepotBoard = { watermark: 11, rows: [shipment(A, 5)] };
    expect(mergeListSnapshot(current, newer, key).rows[0].version).toBe(6);
  });

  it('returns the same object when the snapshot adds nothing', () => {
    const current = board();
    expect(mergeListSnapshot(current, { watermark: 10, rows: [shipment(A, 3), shipment(B, 1)] }, key)).toBe(current);
  });

  it('merges lists without a watermark (audience lists) row by row by version', () => {
    const current: DepotBoard = { watermark: null, rows: [shipment(A, 5)] };
    const merged = mergeListSnapshot(current, { watermark: null, rows: [shipment(A, 4), shipment(B, 1)] }, key);
    expect(merged.rows.map((s) => [s.id, s.version])).toEqual([
      [A, 5],
      [B, 1],
    ]);
  });
});

describe('mergeRowSnapshot', () => {
  it('orders by watermark, then version', () => {
    const current = { watermark: 12, row: shipment(A, 5) };
    expect(mergeRowSnapshot(current, { watermark: 10, row: shipment(A, 3) })).toBe(current);
    expect(mergeRowSnapshot(current, { watermark: 13, row: null })).toEqual({ watermark: 13, row: null });
    expect(mergeRowSnapshot(current, { watermark: 13, row: shipment(A, 4) }).row?.version).toBe(5);
  });
});
