'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useLayoutEffect, useRef } from 'react';
import { subscribeDelayMs } from '@/lib/realtime/test-hooks';
import { useChannel } from '@/lib/realtime/use-channel';
import { createClient } from '@/lib/supabase/client';
import { applyChangeToDetail, applyShipmentChange, type DepotBoard } from './merge';
import { fetchChangesAfter, shipmentKeys } from './queries';
import { shipmentChangeSchema, type Shipment, type ShipmentChange } from './schema';
import { SeqFeed } from './seq-feed';

/** The channel carrying a depot's committed shipment changes (see the realtime migration). */
export const depotChangesChannel = (depotId: string) => `depot:${depotId}`;

/**
 * Keeps a depot board's caches live: subscribes to the depot's changes, then
 * catches up from the watermark the server render included (changes committed
 * in between are never lost), again after every reconnect, when the device comes
 * back online and whenever the tab becomes visible. Deltas are applied in seq
 * order, version-guarded. Works the same over every realtime provider.
 */
export function useDepotFeed(depotId: string, onChanges?: (changes: ShipmentChange[]) => void): void {
  const queryClient = useQueryClient();
  const onChangesRef = useRef(onChanges);
  useLayoutEffect(() => {
    onChangesRef.current = onChanges;
  });

  // The feed lives with the effect (not a memo), so React StrictMode's extra
  // unmount/mount closes one and opens a fresh one from the cache's watermark.
  const feedRef = useRef<SeqFeed | null>(null);
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
          queryClient.setQueryData<Shipment | null>(shipmentKeys.detail(change.id), (detail) =>
            applyChangeToDetail(detail, change),
          );
          void queryClient.invalidateQueries({ queryKey: shipmentKeys.history(change.id) });
        }
        onChangesRef.current?.(changes);
      },
      backfill: (afterSeq, limit) => fetchChangesAfter(supabase, depotId, afterSeq, limit),
      onError: (error) =>
        console.error('[realtime] catching up on depot changes failed; will retry on the next reconnect', error),
    });
    feedRef.current = feed;
    // Messages may have been lost while the tab was hidden or the device
    // offline, even if the connection itself survived: read the record again.
    const onVisible = () => {
      if (document.visibilityState === 'visible') void feed.catchUp();
    };
    const onOnline = () => void feed.catchUp();
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('online', onOnline);
    return () => {
      feed.close();
      if (feedRef.current === feed) feedRef.current = null;
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('online', onOnline);
    };
  }, [depotId, queryClient]);

  useChannel(
    depotChangesChannel(depotId),
    {
      events: {
        shipment_changed: (payload) => {
          const parsed = shipmentChangeSchema.safeParse(payload);
          if (!parsed.success || parsed.data.depot_id !== depotId) {
            console.warn('[realtime] dropped an invalid shipment_changed message', parsed.error?.issues ?? payload);
            return;
          }
          feedRef.current?.receive(parsed.data);
        },
      },
      onSubscribed: () => void feedRef.current?.catchUp(),
    },
    subscribeDelayMs(),
  );
}
