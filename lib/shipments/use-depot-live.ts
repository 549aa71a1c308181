'use client';

import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { z } from 'zod';
import type { PresenceState } from '@/lib/realtime/types';
import { useChannel } from '@/lib/realtime/use-channel';
import { driverPositionSchema, type DriverPosition } from './schema';

/** Presence and ephemeral broadcasts of a depot (see the realtime migration). */
export const depotLiveTopic = (depotId: string) => `depot:${depotId}:live`;

export const presenceMetaSchema = z.object({
  user_id: z.uuid(),
  name: z.string().max(200),
  role: z.enum(['dispatcher', 'driver']),
  viewing: z.uuid().nullable(),
  editing: z.uuid().nullable(),
  online_at: z.number(),
});
export type PresenceMeta = z.infer<typeof presenceMetaSchema>;

export interface OnlineMember {
  userId: string;
  name: string;
  role: 'dispatcher' | 'driver';
  /** Shipments this person views or edits, over all their tabs. */
  viewing: string[];
  editing: string[];
  tabs: number;
}

export interface Me {
  id: string;
  name: string;
  role: 'dispatcher' | 'driver';
}

/** Folds the presence state (one key per user, one meta per tab) into one entry per person. */
export function membersFromPresence(state: PresenceState): OnlineMember[] {
  const members: OnlineMember[] = [];
  for (const metas of Object.values(state)) {
    const valid = metas.map((m) => presenceMetaSchema.safeParse(m)).flatMap((r) => (r.success ? [r.data] : []));
    if (valid.length === 0) continue;
    const first = valid[0];
    members.push({
      userId: first.user_id,
      name: first.name,
      role: first.role,
      viewing: [...new Set(valid.flatMap((m) => (m.viewing ? [m.viewing] : [])))],
      editing: [...new Set(valid.flatMap((m) => (m.editing ? [m.editing] : [])))],
      tabs: valid.length,
    });
  }
  return members.sort((a, b) => a.name.localeCompare(b.name));
}

const POSITION_EVENT = 'position';

/**
 * Who is online in a depot and what they look at, plus live driver positions.
 * `setActivity` updates this tab's presence; `sharePosition` broadcasts one
 * position (throttle on the caller's side).
 */
export function useDepotLive(depotId: string, me: Me) {
  const [members, setMembers] = useState<OnlineMember[]>([]);
  const [positions, setPositions] = useState<Record<string, DriverPosition>>({});
  const activity = useRef<{ viewing: string | null; editing: string | null }>({ viewing: null, editing: null });
  const onlineAt = useRef(0);
  const publishRef = useRef<() => void>(() => {});

  const subscription = useChannel(depotLiveTopic(depotId), {
    presence: { key: me.id, onSync: (state) => setMembers(membersFromPresence(state)) },
    // (Re)joined: say who we are and what we look at.
    onSubscribed: () => publishRef.current(),
    events: {
      [POSITION_EVENT]: (payload) => {
        const parsed = driverPositionSchema.safeParse(payload);
        if (!parsed.success) {
          console.warn('[realtime] dropped an invalid position message', parsed.error.issues);
          return;
        }
        setPositions((current) => {
          const previous = current[parsed.data.driver_id];
          if (previous && previous.at >= parsed.data.at) return current;
          return { ...current, [parsed.data.driver_id]: parsed.data };
        });
      },
    },
  });

  const publish = useCallback(() => {
    if (onlineAt.current === 0) onlineAt.current = Date.now();
    const meta: PresenceMeta = {
      user_id: me.id,
      name: me.name,
      role: me.role,
      viewing: activity.current.viewing,
      editing: activity.current.editing,
      online_at: onlineAt.current,
    };
    subscription.current?.track(meta);
  }, [me.id, me.name, me.role, subscription]);
  useLayoutEffect(() => {
    publishRef.current = publish;
  });

  useEffect(() => () => setMembers([]), [depotId]);

  const setActivity = useCallback(
    (next: { viewing?: string | null; editing?: string | null }) => {
      const merged = { ...activity.current, ...next };
      if (merged.viewing === activity.current.viewing && merged.editing === activity.current.editing) return;
      activity.current = merged;
      publish();
    },
    [publish],
  );

  const sharePosition = useCallback(
    (position: DriverPosition) => {
      subscription.current?.publish(POSITION_EVENT, position);
    },
    [subscription],
  );

  return { members, positions, setActivity, sharePosition };
}
