'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { subscribeToTopic, type TopicSubscription } from '@/lib/realtime/supabase';
import { subscribeDelayMs } from '@/lib/realtime/test-hooks';
import { createClient } from '@/lib/supabase/client';
import { applyChangeToDetail, applyShipmentChange, type DepotBoard } from './merge';
import { fetchChangesAfter, shipmentKeys } from './queries';
import { shipmentChangeSchema, type Shipment, type ShipmentChange } from './schema';
import { SeqFeed } from './seq-feed';

/** The private topic carrying a depot's committed shipment changes (see the realtime migration). */
export const depotChangesTopic = (depotId: string) => `depot:${depotId}`;

/**
 * Keeps a depot board's caches live: subscribes to the depot's changes, then
 * catches up from the watermark the server render included (changes committed
 * in between are never lost), again after every reconnect, when the device comes
 * back online and whenever the tab becomes visible. Deltas are applied in seq order, version-guarded.
 */
export function useDepotFeed(depotId: string, onChanges?: (changes: ShipmentChange[]) => void): void {
  const queryClient = useQueryClient();
  const onChangesRef = useRef(onChanges);
  onChangesRef.current = onChanges;

  useEffect(() => {
    const supabase = createClient();
    const boardKey = shipmentKeys.board(depotId);
    const feed = new SeqFeed({
      initialSeq: queryClient.getQueryData<DepotBoard>(boardKey)?.watermark ?? 0,
      apply: (changes) => {
        queryClient.setQueryData<DepotBoard>(boardKey, (board) =>
          changes.reduce<DepotBoard | undefined>((current, change) => applyShipmentChange(current, change), board),
        );
        for (const change of changes) {
          queryClient.setQueryData<Shipment | null>(shipmentKeys.detail(change.id), (detail) => applyChangeToDetail(detail, change));
          void queryClient.invalidateQueries({ queryKey: shipmentKeys.history(change.id) });
        }
        onChangesRef.current?.(changes);
      },
      backfill: (afterSeq, limit) => fetchChangesAfter(supabase, depotId, afterSeq, limit),
      onError: (error) => console.error('[realtime] catching up on depot changes failed; will retry on the next reconnect', error),
    });

    let subscription: TopicSubscription | null = null;
    const subscribe = () => {
      subscription = subscribeToTopic(supabase, depotChangesTopic(depotId), {
        events: {
          shipment_changed: (payload) => {
            const parsed = shipmentChangeSchema.safeParse(payload);
            if (!parsed.success || parsed.data.depot_id !== depotId) {
              console.warn('[realtime] dropped an invalid shipment_changed message', parsed.error?.issues ?? payload);
              return;
            }
            feed.receive(parsed.data);
          },
        },
        onSubscribed: () => void feed.catchUp(),
      });
    };
    const delay = subscribeDelayMs();
    const timer = delay > 0 ? setTimeout(subscribe, delay) : null;
    if (!timer) subscribe();

    // Messages may have been lost while the tab was hidden or the device offline,
    // even if the socket itself survived: read the record again.
    const onVisible = () => {
      if (document.visibilityState === 'visible') void feed.catchUp();
    };
    const onOnline = () => void feed.catchUp();
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('online', onOnline);
    return () => {
      if (timer) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('online', onOnline);
      feed.close();
      subscription?.unsubscribe();
    };
  }, [depotId, queryClient]);
}
