'use client';

import { hashKey, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useLayoutEffect, useRef } from 'react';
import { subscribeDelayMs } from '@/lib/realtime/test-hooks';
import { useChannel } from '@/lib/realtime/use-channel';
import { createClient } from '@/lib/supabase/client';
import { catchUpPoller } from './catch-up-poller';
import { applyChangeToList, applyChangeToRow, type LiveList, type LiveRow } from './merge';
import type { LiveChange, VersionedRow } from './schema';
import { SeqFeed } from './seq-feed';
import type { LiveTable } from './table';

/** Which cache a feed owns: its watermark is the feed's starting point and only this feed moves it. */
export type FeedTarget = { kind: 'list'; scope: string } | { kind: 'row'; scope: string; id: string };

/** Writes changes into the caches: the owned one (watermark and rows), every cached row by version only. */
export function applyLiveChanges<Row extends VersionedRow>(
  queryClient: QueryClient,
  table: LiveTable<Row>,
  target: FeedTarget,
  changes: LiveChange<Row>[],
): void {
  if (target.kind === 'list') {
    queryClient.setQueryData<LiveList<Row>>(table.keys.list(target.scope), (list) =>
      changes.reduce<LiveList<Row> | undefined>((current, c) => applyChangeToList(current, c, table.keyOf), list),
    );
  }
  for (const change of changes) {
    const owned = target.kind === 'row' && target.id === change.id;
    queryClient.setQueryData<LiveRow<Row>>(table.keys.row(change.id), (cached) =>
      applyChangeToRow(cached, change, table.keyOf, owned),
    );
  }
  if (target.kind === 'row') {
    // Changes of other rows still move the owned row cache's watermark: the feed has seen them.
    const last = changes[changes.length - 1];
    queryClient.setQueryData<LiveRow<Row>>(table.keys.row(target.id), (cached) =>
      cached && cached.watermark !== null && cached.watermark < last.seq ? { ...cached, watermark: last.seq } : cached,
    );
  }
}

/**
 * Keeps a cache of a live table's scope current: subscribes to
 * `<table>:<scope>` (through useChannel, on whichever provider is configured),
 * then catches up from the cache's watermark (changes committed between the
 * server render and the subscription are never lost), again after every
 * reconnect, when the device comes back online and whenever the tab becomes
 * visible. Changes are applied exactly once in seq order, version-guarded;
 * a gap is filled from the history (public.live_changes_after), not by a refetch.
 * When a newer server snapshot is merged into the cache, the feed continues from it.
 * While realtime is down (degraded mode, see catch-up-poller.ts) the same
 * catch-up runs on the tab's polling clock.
 */
export function useLiveFeed<Row extends VersionedRow>(
  table: LiveTable<Row>,
  target: FeedTarget | null,
  onChanges?: (changes: LiveChange<Row>[]) => void,
): void {
  const queryClient = useQueryClient();
  const onChangesRef = useRef(onChanges);
  useLayoutEffect(() => {
    onChangesRef.current = onChanges;
  });
  const scope = target?.scope ?? null;
  const rowId = target?.kind === 'row' ? target.id : null;
  const ownedKey = scope === null ? null : rowId === null ? table.keys.list(scope) : table.keys.row(rowId);

  // The feed lives with the effect (not a memo), so React StrictMode's extra
  // unmount/mount closes one and opens a fresh one from the cache's watermark.
  const feedRef = useRef<SeqFeed<LiveChange<Row>> | null>(null);
  useEffect(() => {
    if (scope === null || ownedKey === null) return;
    const owned: FeedTarget = rowId === null ? { kind: 'list', scope } : { kind: 'row', scope, id: rowId };
    const supabase = createClient();
    const watermarkOf = () => queryClient.getQueryData<LiveList<Row> | LiveRow<Row>>(ownedKey)?.watermark ?? null;
    const feed = new SeqFeed<LiveChange<Row>>({
      initialSeq: watermarkOf() ?? 0,
      apply: (changes) => {
        applyLiveChanges(queryClient, table, owned, changes);
        onChangesRef.current?.(changes);
      },
      backfill: (afterSeq, limit) => table.fetchChangesAfter(supabase, scope, afterSeq, limit),
      onError: (error) =>
        console.error(
          `[live] catching up on ${table.config.name} changes failed; will retry on the next reconnect`,
          error,
        ),
    });
    feedRef.current = feed;
    // A server snapshot merged into the cache may be newer than the feed: continue from it.
    const unwatch = queryClient.getQueryCache().subscribe((event) => {
      if (event.type !== 'updated' || event.query.queryHash !== hashKey(ownedKey)) return;
      const watermark = watermarkOf();
      if (watermark !== null) feed.advanceTo(watermark);
    });
    // Messages may have been lost while the tab was hidden or the device
    // offline, even if the connection itself survived: read the record again.
    const onVisible = () => {
      if (document.visibilityState === 'visible') void feed.catchUp();
    };
    const onOnline = () => void feed.catchUp();
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('online', onOnline);
    const unpoll = catchUpPoller.register(async () => {
      const before = feed.lastSeq;
      await feed.catchUp();
      return feed.lastSeq - before;
    });
    return () => {
      feed.close();
      unwatch();
      unpoll();
      if (feedRef.current === feed) feedRef.current = null;
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('online', onOnline);
    };
    // ownedKey is derived from table, scope and rowId.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [table, scope, rowId, queryClient]);

  useChannel(
    scope === null ? null : table.topic(scope),
    {
      events: {
        changed: (payload) => {
          const parsed = table.changeSchema.safeParse(payload);
          if (!parsed.success || parsed.data.scope !== scope) {
            console.warn(`[live] dropped an invalid ${table.config.name} change`, parsed.error?.issues ?? payload);
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
