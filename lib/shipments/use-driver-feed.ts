'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useChannel } from '@/lib/realtime/use-channel';
import { applyChangeToList, removeFromList } from './merge';
import { shipmentKeys } from './queries';
import { shipmentChangeSchema, shipmentRemovedSchema, type Shipment } from './schema';

/**
 * Keeps a driver's own shipment list live from driver:<user id>. The driver's
 * stream is a filtered subset of the depot's seq, so instead of seq gap
 * detection it re-reads the (short) list after every (re)subscription.
 */
export function useDriverFeed(driverId: string): void {
  const queryClient = useQueryClient();
  const key = shipmentKeys.driver(driverId);

  useChannel(`driver:${driverId}`, {
    events: {
      shipment_changed: (payload) => {
        const parsed = shipmentChangeSchema.safeParse(payload);
        if (!parsed.success) {
          console.warn('[realtime] dropped an invalid shipment_changed message', parsed.error.issues);
          return;
        }
        const change = parsed.data;
        queryClient.setQueryData<Shipment[]>(key, (list) => {
          if (!list) return list;
          // Reassigned away from this driver: the row is no longer theirs to see.
          if (change.record && change.record.driver_id !== driverId)
            return removeFromList(list, change.id, change.version);
          return applyChangeToList(list, change);
        });
      },
      shipment_removed: (payload) => {
        const parsed = shipmentRemovedSchema.safeParse(payload);
        if (!parsed.success) {
          console.warn('[realtime] dropped an invalid shipment_removed message', parsed.error.issues);
          return;
        }
        queryClient.setQueryData<Shipment[]>(
          key,
          (list) => list && removeFromList(list, parsed.data.id, parsed.data.version),
        );
      },
    },
    onSubscribed: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
}
