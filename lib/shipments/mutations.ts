'use client';

import type { Database } from '@/lib/database.types';
import { LiveMutationError, useLiveMutation } from '@/lib/live/use-live-mutation';
import { shipmentsTable } from './live';
import type { Shipment } from './schema';

export type ShipmentPatch = Pick<
  Database['public']['Tables']['shipments']['Update'],
  'status' | 'driver_id' | 'eta' | 'last_lat' | 'last_lng' | 'last_position_at'
>;

/** A refusal the person can read: what the database said, in plain words. */
export { LiveMutationError as ShipmentUpdateError };

/**
 * Updates a shipment optimistically (lib/live's version-guarded mutation):
 * `mutate({ row: shipment, patch })`. A refusal rolls the shipment back and
 * says why (transition rule, permission, or someone else's newer change).
 */
export function useUpdateShipment() {
  return useLiveMutation(shipmentsTable, {
    describeConflict: (seen: Shipment, latest: Shipment) =>
      `Someone else changed ${seen.reference} first (now ${latest.status.replace('_', ' ')}, version ${latest.version}). Review the latest state and try again.`,
    goneMessage: 'You can no longer change this shipment (it was reassigned or you lost access).',
  });
}
