'use client';

import { useEffect, useState } from 'react';
import { useConnectionStatus } from '@/lib/realtime/connection-status';
import { watchBrowserNetwork } from '@/lib/realtime/network';

const STYLE = {
  connected: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-200',
  connecting: 'bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200',
  reconnecting: 'bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-200',
  offline: 'bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-200',
} as const;

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Live connection state: connected / reconnecting (attempt, next try) / offline, and the last update time. */
export function ConnectionBadge() {
  const status = useConnectionStatus();
  const now = useNow(1000);
  useEffect(() => watchBrowserNetwork(), []);

  const label = { connected: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting', offline: 'Offline' }[
    status.state
  ];
  const seconds = status.nextRetryAt ? Math.max(0, Math.ceil((status.nextRetryAt - now) / 1000)) : 0;
  const detail =
    status.state === 'reconnecting'
      ? `(attempt ${status.attempt}${seconds > 0 ? `, next try in ${seconds}s` : ''})`
      : null;
  const last = status.lastMessageAt ? new Date(status.lastMessageAt).toLocaleTimeString() : null;

  return (
    <div
      data-testid="connection-badge"
      data-state={status.state}
      title={status.reason ?? undefined}
      className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-xs font-medium ${STYLE[status.state]}`}
    >
      <span
        aria-hidden
        className={`h-2 w-2 rounded-full ${status.state === 'connected' ? 'bg-emerald-500' : status.state === 'offline' ? 'bg-red-500' : 'bg-amber-500'}`}
      />
      {/* Announced to screen readers: the state only, not the ticking countdown. */}
      <span role="status" aria-live="polite">
        {label}
      </span>
      {detail && <span aria-hidden>{detail}</span>}
      {last && <span className="font-normal opacity-75">· last update {last}</span>}
    </div>
  );
}
