import { describe, expect, it } from 'vitest';
import { applyChangeToDetail, applyShipmentChange, removeFromList, type DepotBoard } from '../../lib/shipments/merge';
import type { Shipment, ShipmentChange } from '../../lib/shipments/schema';

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
    version,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  };
}

function update(seq: number, record: Shipment, operation: ShipmentChange['operation'] = 'UPDATE'): ShipmentChange {
  return {
    seq,
    depot_id: DEPOT,
    id: record.id,
    version: record.version,
    operation,
    changed: ['status'],
    record: operation === 'DELETE' ? null : record,
  };
}

const board = (): DepotBoard => ({ watermark: 10, shipments: [shipment(A, 3), shipment(B, 1)] });

describe('applyShipmentChange', () => {
  it('replaces a shipment with a newer version and moves the watermark', () => {
    const next = applyShipmentChange(board(), update(11, shipment(A, 4, 'assigned')))!;
    expect(next.shipments[0]).toMatchObject({ id: A, version: 4, status: 'assigned' });
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
    expect(next.shipments[1]).toBe(before.shipments[1]);
  });

  it('adds an inserted shipment and removes a deleted one', () => {
    const C = '00000000-0000-4000-8000-00000000000c';
    const inserted = applyShipmentChange(board(), update(11, shipment(C, 1), 'INSERT'))!;
    expect(inserted.shipments.map((s) => s.id)).toEqual([A, B, C]);
    const deleted = applyShipmentChange(inserted, {
      ...update(12, shipment(B, 2)),
      operation: 'DELETE',
      record: null,
    })!;
    expect(deleted.shipments.map((s) => s.id)).toEqual([A, C]);
  });

  it('does not resurrect or delete over a newer copy', () => {
    const before = board();
    const staleDelete = applyShipmentChange(before, {
      ...update(4, shipment(A, 2)),
      operation: 'DELETE',
      record: null,
    })!;
    expect(staleDelete.shipments.map((s) => s.id)).toEqual([A, B]);
  });

  it('applies out-of-order deltas to the same final state', () => {
    const v4 = update(11, shipment(A, 4, 'assigned'));
    const v5 = update(12, shipment(A, 5, 'picked_up'));
    const inOrder = applyShipmentChange(applyShipmentChange(board(), v4), v5)!;
    const reversed = applyShipmentChange(applyShipmentChange(board(), v5), v4)!;
    expect(reversed.shipments).toEqual(inOrder.shipments);
    expect(reversed.watermark).toBe(12);
  });

  it('leaves an absent cache absent', () => {
    expect(applyShipmentChange(undefined, update(1, shipment(A, 1)))).toBeUndefined();
  });
});

describe('applyChangeToDetail', () => {
  it('updates a detail with a newer version, ignores older ones and other shipments', () => {
    const detail = shipment(A, 3);
    expect(applyChangeToDetail(detail, update(1, shipment(A, 4)))).toMatchObject({ version: 4 });
    expect(applyChangeToDetail(detail, update(1, shipment(A, 2)))).toBe(detail);
    expect(applyChangeToDetail(detail, update(1, shipment(B, 9)))).toBe(detail);
  });

  it('marks a deleted shipment as gone (null)', () => {
    expect(
      applyChangeToDetail(shipment(A, 3), { ...update(1, shipment(A, 4)), operation: 'DELETE', record: null }),
    ).toBeNull();
  });
});

describe('removeFromList', () => {
  it('removes a reassigned shipment unless we hold a newer copy', () => {
    const list = [shipment(A, 3), shipment(B, 1)];
    expect(removeFromList(list, A, 4).map((s) => s.id)).toEqual([B]);
    expect(removeFromList(list, A, 2)).toBe(list);
  });
});
