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

/** What a driver's buttons say: the action, as a verb (the current state is shown apart). */
export const DRIVER_ACTION_LABEL: Partial<Record<ShipmentStatus, string>> = {
  picked_up: 'Mark picked up',
  in_transit: 'Start driving',
  delivered: 'Mark delivered',
  failed: "Couldn't deliver",
};

/** Statuses a driver still works on (the rest are finished). */
export const DRIVER_ACTIVE_STATUSES: readonly ShipmentStatus[] = ['assigned', 'picked_up', 'in_transit'];

/** Whether a driver can report a failed delivery from this status (the graph allows → failed). */
export const canReportFailure = (status: ShipmentStatus) =>
  NEXT_STATUSES[status].includes('failed') && DRIVER_SETTABLE.includes('failed');

/**
 * Final moves (delivered, failed) wait this long on the phone before they are
 * sent, with an Undo button: one tap instead of a confirm dialog, and a
 * mistaken tap costs nothing (README, "The driver app").
 */
export const UNDO_WINDOW_MS = 5_000;

/** After any tap, a card's buttons stay locked this long, so a double tap never makes a second move. */
export const TAP_SETTLE_MS = 800;
