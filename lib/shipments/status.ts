import type { ShipmentStatus } from './schema';

// Mirrors public.allowed_next_statuses and public.driver_settable_statuses (the
// database enforces them; a test keeps this copy in step with the SQL).
export const NEXT_STATUSES: Record<ShipmentStatus, readonly ShipmentStatus[]> = {
  pending: ['assigned', 'cancelled'],
  assigned: ['picked_up', 'pending', 'cancelled'],
  picked_up: ['in_transit', 'failed'],
  in_transit: ['delivered', 'failed'],
  failed: ['pending'],
  delivered: [],
  cancelled: [],
};

export const DRIVER_SETTABLE: readonly ShipmentStatus[] = ['picked_up', 'in_transit', 'delivered', 'failed'];

/** The one forward step a driver's big button offers, if any. */
export function nextDriverStatus(status: ShipmentStatus): ShipmentStatus | null {
  const forward: Partial<Record<ShipmentStatus, ShipmentStatus>> = {
    assigned: 'picked_up',
    picked_up: 'in_transit',
    in_transit: 'delivered',
  };
  return forward[status] ?? null;
}

export const STATUS_LABEL: Record<ShipmentStatus, string> = {
  pending: 'Pending',
  assigned: 'Assigned',
  picked_up: 'Picked up',
  in_transit: 'In transit',
  delivered: 'Delivered',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const DRIVER_ACTION_LABEL: Partial<Record<ShipmentStatus, string>> = {
  picked_up: 'Picked up',
  in_transit: 'Start driving',
  delivered: 'Delivered',
};
