import type { Shipment, ShipmentStatus } from './schema';

// What a dispatcher must look at first. Late and at-risk depend on the time, so
// they are computed in the browser from the ETA and a clock corrected to the
// server's (see components/board/use-server-now.ts); failed is a status.

/** Statuses in which a shipment is still on its way to the recipient. */
export const OPEN_STATUSES: readonly ShipmentStatus[] = ['pending', 'assigned', 'picked_up', 'in_transit'];
const OPEN = new Set<ShipmentStatus>(OPEN_STATUSES);

/** A shipment not yet on the road whose ETA is this close is at risk. */
export const AT_RISK_WINDOW_MS = 60 * 60_000;

export const SHIPMENT_FLAGS = ['late', 'at_risk'] as const;
export type ShipmentFlag = (typeof SHIPMENT_FLAGS)[number];

export const FLAG_LABEL: Record<ShipmentFlag, string> = { late: 'Late', at_risk: 'At risk' };

const etaCache = new WeakMap<Shipment, number | null>();
/** The ETA in epoch ms (null: none), parsed once per row object (rows are immutable). */
export function etaMs(shipment: Shipment): number | null {
  let value = etaCache.get(shipment);
  if (value === undefined) {
    value = shipment.eta === null ? null : Date.parse(shipment.eta);
    if (Number.isNaN(value)) value = null;
    etaCache.set(shipment, value);
  }
  return value;
}

/**
 * The exception flag of a shipment at `now` (epoch ms):
 * - `late`: past its ETA and not delivered, failed or cancelled;
 * - `at_risk`: not late, ETA within the next hour, and not yet picked up
 *   (pending or assigned), so it cannot realistically make it;
 * - null otherwise (no ETA, on time, or finished).
 */
export function shipmentFlag(shipment: Shipment, now: number): ShipmentFlag | null {
  if (!OPEN.has(shipment.status)) return null;
  const eta = etaMs(shipment);
  if (eta === null) return null;
  if (eta < now) return 'late';
  if (eta - now <= AT_RISK_WINDOW_MS && (shipment.status === 'pending' || shipment.status === 'assigned'))
    return 'at_risk';
  return null;
}

/** "12 min late", "2 h 5 min late": how far past its ETA a shipment is. */
export function lateBy(shipment: Shipment, now: number): string | null {
  const eta = etaMs(shipment);
  if (eta === null || eta >= now) return null;
  const minutes = Math.floor((now - eta) / 60_000);
  if (minutes < 60) return `${Math.max(1, minutes)} min late`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `${hours} h${rest ? ` ${rest} min` : ''} late`;
}

/**
 * What to announce to screen readers when exceptions appear: only shipments
 * that newly failed or newly became late (never every change), summarised
 * when there are many. `previous` and `current` are the sets of ids.
 */
export function exceptionAnnouncement(
  newlyFailed: string[],
  newlyLate: string[],
  referenceOf: (id: string) => string | undefined,
): string | null {
  const parts: string[] = [];
  const describe = (ids: string[], one: string, many: string) => {
    if (ids.length === 0) return;
    if (ids.length <= 3) {
      for (const id of ids) parts.push(`${referenceOf(id) ?? 'A shipment'} ${one}`);
    } else parts.push(`${ids.length} shipments ${many}`);
  };
  describe(newlyFailed, 'delivery failed', 'failed delivery');
  describe(newlyLate, 'is now late', 'are now late');
  return parts.length ? `${parts.join('. ')}.` : null;
}
