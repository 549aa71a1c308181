'use client';

import { useCallback, useEffect, useState } from 'react';

/** How long a card stays highlighted after a live change (ms). */
export const HIGHLIGHT_MS = 2_000;

function pruned(map: ReadonlyMap<string, number>, now: number): Map<string, number> {
  const next = new Map<string, number>();
  for (const [id, at] of map) if (now - at < HIGHLIGHT_MS) next.set(id, at);
  return next;
}

/**
 * Which shipments a live change touched in the last two seconds (id → when,
 * browser clock: only durations are measured with it), for the brief highlight
 * on their cards, wherever they are now (a status change moves a card to
 * another column, which mounts it afresh).
 */
export function useRecentChanges() {
  const [changed, setChanged] = useState<ReadonlyMap<string, number>>(() => new Map());
  const mark = useCallback((ids: string[]) => {
    if (ids.length === 0) return;
    const at = Date.now();
    setChanged((current) => {
      const next = pruned(current, at);
      for (const id of ids) next.set(id, at);
      return next;
    });
  }, []);
  useEffect(() => {
    if (changed.size === 0) return;
    const timer = setInterval(() => {
      setChanged((current) => {
        const next = pruned(current, Date.now());
        return next.size === current.size ? current : next;
      });
    }, HIGHLIGHT_MS / 2);
    return () => clearInterval(timer);
  }, [changed.size]);
  return { changed, mark };
}
