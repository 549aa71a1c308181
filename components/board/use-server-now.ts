'use client';

import { useEffect, useState } from 'react';

/**
 * The current time by the server's clock (epoch ms), moving every `tickMs`.
 * Lateness must not depend on how wrong the browser's clock is: the offset is
 * measured once against the server render's time (a second or two of error at
 * most, the time the page took to arrive). The first render, server and
 * hydration alike, uses the server's time itself, so they agree.
 */
export function useServerNow(serverNow: number, tickMs = 15_000): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    const offset = serverNow - Date.now();
    const tick = () => setNow(Date.now() + offset);
    tick();
    const timer = setInterval(tick, tickMs);
    return () => clearInterval(timer);
  }, [serverNow, tickMs]);
  return now;
}
