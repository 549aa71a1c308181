'use client';

import { HydrationBoundary, hydrate, useQueryClient, type DehydratedState, type QueryKey } from '@tanstack/react-query';
import { useEffect, useMemo, type ReactNode } from 'react';
import { mergeListSnapshot, mergeRowSnapshot, type LiveList, type LiveRow } from './merge';
import { livePrimaryKey } from './registry';
import type { VersionedRow } from './schema';

// Why not HydrationBoundary alone: it decides whether a server snapshot
// replaces a cache by comparing the server's dataUpdatedAt with the browser's
// (two different clocks), so after Back/Forward, with the browser's clock behind
// the server's, a replayed older snapshot overwrote newer live data and the seq
// feed never re-applied what was lost (issue 17). Live caches are ordered by the
// database instead: the scope's watermark (seq) and each row's version.

type Key = (row: VersionedRow) => string;

const isLiveKey = (key: QueryKey) => key[0] === 'live' && typeof key[1] === 'string';

function keyFor(table: string): Key {
  const column = livePrimaryKey(table);
  return (row) => String((row as unknown as Record<string, unknown>)[column]);
}

/** Merges one live snapshot into whatever the cache holds, by watermark and version. */
export function mergeLiveSnapshot(key: QueryKey, current: unknown, incoming: unknown): unknown {
  if (current === undefined) return incoming;
  if (key[2] === 'row') return mergeRowSnapshot(current as LiveRow<VersionedRow>, incoming as LiveRow<VersionedRow>);
  return mergeListSnapshot(
    current as LiveList<VersionedRow>,
    incoming as LiveList<VersionedRow>,
    keyFor(String(key[1])),
  );
}

/**
 * HydrationBoundary for pages that prefetch live tables: other queries hydrate
 * as usual; live ones (keys `['live', table, …]`) are put in the cache when it
 * has none, and otherwise merged into it by the database's order, so a server
 * snapshot never replaces newer data whatever the clocks say. A feed whose
 * cache receives a newer snapshot continues from its watermark (useLiveFeed).
 */
export function LiveHydrationBoundary({ state, children }: { state: DehydratedState; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [live, others] = useMemo(() => {
    const liveQueries = state.queries.filter((q) => isLiveKey(q.queryKey) && q.state.status === 'success');
    const rest: DehydratedState = { ...state, queries: state.queries.filter((q) => !isLiveKey(q.queryKey)) };
    return [liveQueries, rest] as const;
  }, [state]);

  // Caches that do not exist yet: fill them during render (no observer to
  // notify yet), so the first paint already shows the server's rows.
  useMemo(() => {
    const fresh = live.filter((q) => queryClient.getQueryData(q.queryKey) === undefined);
    if (fresh.length > 0) hydrate(queryClient, { mutations: [], queries: fresh });
  }, [live, queryClient]);

  // Caches that exist: merge after render (observers are subscribed by now).
  useEffect(() => {
    for (const q of live) {
      queryClient.setQueryData(q.queryKey, (current: unknown) => mergeLiveSnapshot(q.queryKey, current, q.state.data));
    }
  }, [live, queryClient]);

  return <HydrationBoundary state={others}>{children}</HydrationBoundary>;
}
