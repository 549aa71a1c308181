import type { Shipment, ShipmentChange } from './schema';

// Pure cache updates: old cache + delta → new cache. They return the SAME
// object when a delta changes nothing (older or duplicate version), so React
// Query keeps its reference and nothing re-renders.

export interface DepotBoard {
  /** Highest change seq this data includes (the depot's watermark when read). */
  watermark: number;
  shipments: Shipment[];
}

/** Whether `change` is newer than what we hold for that shipment. */
function isNewer(current: Shipment | undefined, change: Pick<ShipmentChange, 'version'>): boolean {
  return !current || change.version > current.version;
}

export function applyChangeToList(list: Shipment[], change: ShipmentChange): Shipment[] {
  const index = list.findIndex((s) => s.id === change.id);
  const current = index === -1 ? undefined : list[index];
  if (change.operation === 'DELETE' || change.record === null) {
    if (!current || current.version > change.version) return list;
    return list.filter((s) => s.id !== change.id);
  }
  if (!isNewer(current, change)) return list;
  if (index === -1) return [...list, change.record];
  const next = list.slice();
  next[index] = change.record;
  return next;
}

/** Applies a change to a depot board; the watermark only moves forward. */
export function applyShipmentChange(board: DepotBoard | undefined, change: ShipmentChange): DepotBoard | undefined {
  if (!board) return board;
  const shipments = applyChangeToList(board.shipments, change);
  const watermark = Math.max(board.watermark, change.seq);
  if (shipments === board.shipments && watermark === board.watermark) return board;
  return { watermark, shipments };
}

/** Applies a change to a single shipment's detail cache. */
export function applyChangeToDetail(
  detail: Shipment | null | undefined,
  change: ShipmentChange,
): Shipment | null | undefined {
  if (detail === undefined) return detail;
  if (detail && detail.id !== change.id) return detail;
  if (change.operation === 'DELETE' || change.record === null) {
    return detail && detail.version > change.version ? detail : null;
  }
  return isNewer(detail ?? undefined, change) ? change.record : detail;
}

/** Removes a shipment that left a driver's list (reassigned), unless we hold a newer version. */
export function removeFromList(list: Shipment[], id: string, version: number): Shipment[] {
  const current = list.find((s) => s.id === id);
  if (!current || current.version > version) return list;
  return list.filter((s) => s.id !== id);
}
