import type { ShipmentPatch } from './mutations';
import type { Shipment } from './schema';

/**
 * The patch that gives a shipment to a driver (or takes it back, with null),
 * with the status the database will set: assigning a pending shipment makes it
 * assigned, removing the driver of an assigned one makes it pending
 * (public.enforce_shipment_rules). Sending the status too lets the optimistic
 * card move to its column at once; the database checks the transition as usual.
 */
export function assignmentPatch(shipment: Shipment, driverId: string | null): ShipmentPatch {
  if (shipment.status === 'pending' && driverId) return { driver_id: driverId, status: 'assigned' };
  if (shipment.status === 'assigned' && !driverId) return { driver_id: null, status: 'pending' };
  return { driver_id: driverId };
}
