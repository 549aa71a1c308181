'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { useChannel } from '@/lib/realtime/use-channel';
import { createClient } from '@/lib/supabase/client';
import { mergeListSnapshot, removeRow, applyChangeToRows, type LiveList } from './merge';
import { liveRemovedSchema, type LiveChange, type VersionedRow } from './schema';
import { catchUpPoller } from './catch-up-poller';
import type { LiveTable } from './table';
import { useLiveFeed } from './use-live-feed';

/**
 * A live list of one scope's rows (`table.listQuery`), kept current by the
 * scope's seq feed. Prefetch the same query on the server to render it first.
 * `onChanges` hears every applied run of changes (e.g. to announce them).
 */
export function useLiveList<Row extends VersionedRow>(
  table: LiveTable<Row>,
  scope: string,
  onChanges?: (changes: LiveChange<Row>[]) => void,
) {
  const supabase = useMemo(() => createClient(), []);
  const query = useQuery(table.listQuery(supabase, scope));
  useLiveFeed(table, { kind: 'list', scope }, onChanges);
  return query;
}

/** One live row (`table.rowQuery`), kept current by its scope's seq feed. */
export function useLiveRow<Row extends VersionedRow>(table: LiveTable<Row>, scope: string, id: string) {
  const supabase = useMemo(() => createClient(), []);
  const query = useQuery(table.rowQuery(supabase, scope, id));
  useLiveFeed(table, { kind: 'row', scope, id });
  return query;
}

/**
 * The rows whose audience is `userId` (`table.audienceQuery`), live from
 * `<table>:@<user id>`. That topic carries a subset of each scope's seq, so
 * instead of gap detection the list is read again, and merged by version,
 * after every (re)subscription, and on the polling clock while realtime is down.
 */
export function useAudienceList<Row extends VersionedRow>(table: LiveTable<Row>, userId: string) {
  const supabase = useMemo(() => createClient(), []);
  const queryClient = useQueryClient();
  const key = table.keys.audience(userId);
  const audienceColumn = table.config.audienceColumn;
  if (!audienceColumn) throw new Error(`live table ${table.config.name} has no audience column`);
  const query = useQuery(table.audienceQuery(supabase, userId));
  /** Reads the list again and merges it by version; resolves to 1 if anything changed. */
  const reread = useMemo(
    () => async () => {
      const fresh = await table.fetchAudienceList(supabase, userId);
      let changed = 0;
      queryClient.setQueryData<LiveList<Row>>(table.keys.audience(userId), (list) => {
        const merged = mergeListSnapshot(list, fresh, table.keyOf);
        if (merged !== list) changed = 1;
        return merged;
      });
      return changed;
    },
    [table, supabase, userId, queryClient],
  );

  useChannel(table.audienceTopic(userId), {
    events: {
      changed: (payload) => {
        const parsed = table.changeSchema.safeParse(payload);
        if (!parsed.success) {
          console.warn(`[live] dropped an invalid ${table.config.name} change`, parsed.error.issues);
          return;
        }
        const change = parsed.data;
        queryClient.setQueryData<LiveList<Row>>(key, (list) => {
          if (!list) return list;
          // No longer addressed to this person: the row is not theirs to see.
          if (change.record && String(change.record[audienceColumn]) !== userId)
            return removeRow(list, change.id, change.version, table.keyOf);
          const rows = applyChangeToRows(list.rows, change, table.keyOf);
          return rows === list.rows ? list : { ...list, rows };
        });
      },
      removed: (payload) => {
        const parsed = liveRemovedSchema.safeParse(payload);
        if (!parsed.success || parsed.data.table !== table.config.name) {
          console.warn(`[live] dropped an invalid ${table.config.name} removal`, parsed.error?.issues ?? payload);
          return;
        }
        queryClient.setQueryData<LiveList<Row>>(key, (list) =>
          removeRow(list, parsed.data.id, parsed.data.version, table.keyOf),
        );
      },
    },
    onSubscribed: () => {
      void reread().catch((error: unknown) => console.error(`[live] re-reading ${table.config.name} failed`, error));
    },
  });
  useEffect(() => catchUpPoller.register(reread), [reread]);
  return query;
}
