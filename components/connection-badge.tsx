'use client';

import { useEffect, useState } from 'react';
import { useConnectionStatus, type ConnectionStatus } from '@/lib/realtime/connection-status';
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

/**
 * What the badge says for a status at time `now` (epoch ms): the state
 * ("Live", "Reconnecting", …, or in degraded mode "Live updates limited —
 * checking every N s") and the retry detail. A retry time that has passed is
 * never shown.
 */
export function describeConnection(status: ConnectionStatus, now: number): { label: string; detail: string | null } {
  if (status.state !== 'connected' && status.polling) {
    const seconds = Math.round(status.polling.intervalMs / 1000);
    return { label: `Live updates limited — checking every ${seconds} s`, detail: null };
  }
  const label = { connected: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting', offline: 'Offline' }[
    status.state
  ];
  const seconds = status.nextRetryAt ? Math.ceil((status.nextRetryAt - now) / 1000) : 0;
  const detail =
    status.state === 'reconnecting'
      ? `(attempt ${status.attempt}${seconds > 0 ? `, next try in ${seconds}s` : ''})`
      : null;
  return { label, detail };
}

/** The badge for a given status (rendered by ConnectionBadge; separate so it can be rendered for any status). */
export function ConnectionBadgeView({ status, now }: { status: ConnectionStatus; now: number }) {
  const { label, detail } = describeConnection(status, now);
  const polling = status.state !== 'connected' && status.polling !== null;
  const last = status.lastMessageAt ? new Date(status.lastMessageAt).toLocaleTimeString() : null;
  return (
    <div
      data-testid="connection-badge"
      data-state={status.state}
      data-polling={polling ? String(status.polling?.intervalMs) : undefined}
      title={status.reason ?? (last ? `Last update ${last}` : undefined)}
      className={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-xs font-medium ${STYLE[polling ? 'reconnecting' : status.state]}`}
    >
      <span
        aria-hidden
        className={`h-2 w-2 rounded-full ${status.state === 'connected' ? 'bg-emerald-500' : status.state === 'offline' && !polling ? 'bg-red-500' : 'bg-amber-500'}`}
      />
      {/* Announced to screen readers: the state only, not the ticking countdown. */}
      <span role="status" aria-live="polite">
        {label}
      </span>
      {detail && <span aria-hidden>{detail}</span>}
      {last && <span className="hidden font-normal opacity-75 sm:inline">· last update {last}</span>}
    </div>
  );
}

/** Live connection state: live / reconnecting (attempt, next try) / offline / polling, and the last update time. */
export function ConnectionBadge() {
  const status = useConnectionStatus();
  const now = useNow(1000);
  useEffect(() => watchBrowserNetwork(), []);
  return <ConnectionBadgeView status={status} now={now} />;
}
