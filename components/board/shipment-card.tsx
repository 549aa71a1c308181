'use client';

import { memo } from 'react';
import { UnreadBadge } from '@/components/notes/unread-badge';
import type { ShipmentFlag } from '@/lib/shipments/exceptions';
import type { Shipment } from '@/lib/shipments/schema';

export interface CardProps {
  shipment: Shipment;
  driverName: string | null;
  /** Names of colleagues viewing / editing this shipment, joined (a string keeps memo cheap). */
  viewers: string;
  editors: string;
  /** Notes by others the person has not read. */
  unread: number;
  flag: ShipmentFlag | null;
  /** "25 min late", for late shipments only (so only they re-render as the clock moves). */
  lateLabel: string | null;
  /** The database refused this person's last change to it. */
  refused: boolean;
  selected: boolean;
  /** The card that takes the board's one tab stop (roving tabindex). */
  tabbable: boolean;
  /** When a live change last touched it (ms, browser clock), for a brief highlight. */
  changedAt: number | undefined;
  onOpen: (id: string) => void;
  onToggleSelect: (id: string) => void;
}

function formatEta(eta: string | null): string | null {
  if (!eta) return null;
  return new Date(eta).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

const FLAG_STYLE: Record<ShipmentFlag, string> = {
  late: 'bg-red-600 text-white dark:bg-red-400 dark:text-red-950',
  at_risk: 'bg-amber-300 text-amber-950 dark:bg-amber-400',
};

/**
 * One shipment on the board: a selection checkbox and the button that opens
 * it. Memoized: a delta re-renders only the card whose shipment object changed.
 */
export const ShipmentCard = memo(function ShipmentCard({
  shipment,
  driverName,
  viewers,
  editors,
  unread,
  flag,
  lateLabel,
  refused,
  selected,
  tabbable,
  changedAt,
  onOpen,
  onToggleSelect,
}: CardProps) {
  const eta = formatEta(shipment.eta);
  const tabIndex = tabbable ? 0 : -1;
  const border = refused
    ? 'border-red-500 dark:border-red-500'
    : flag === 'late'
      ? 'border-red-300 dark:border-red-800'
      : flag === 'at_risk'
        ? 'border-amber-300 dark:border-amber-700'
        : 'border-slate-200 dark:border-slate-800';
  return (
    <div
      className={`card-shell relative rounded-lg border bg-white shadow-sm dark:bg-slate-900 ${border} ${selected ? 'ring-2 ring-indigo-500' : ''}`}
      data-changed={changedAt === undefined ? undefined : 'true'}
    >
      {/* Re-keyed on every change, so the highlight runs again (CSS: .card-flash, off for reduced motion). */}
      {changedAt !== undefined && <span key={changedAt} aria-hidden className="card-flash" />}
      <input
        type="checkbox"
        checked={selected}
        tabIndex={tabIndex}
        onChange={() => onToggleSelect(shipment.id)}
        aria-label={`Select ${shipment.reference}`}
        data-testid={`select-${shipment.reference}`}
        className="absolute top-2.5 left-2.5 h-4 w-4 cursor-pointer accent-indigo-600"
      />
      <button
        type="button"
        tabIndex={tabIndex}
        onClick={() => onOpen(shipment.id)}
        data-card-id={shipment.id}
        data-testid={`card-${shipment.reference}`}
        data-status={shipment.status}
        data-version={shipment.version}
        data-flag={flag ?? undefined}
        className="block w-full rounded-lg py-2 pr-2.5 pl-8 text-left hover:bg-slate-50 dark:hover:bg-slate-800/60"
      >
        <span className="flex items-baseline gap-1.5">
          <span className="min-w-0 truncate font-mono text-sm font-semibold">{shipment.reference}</span>
          <span className="ml-auto flex shrink-0 items-center gap-1">
            <UnreadBadge count={unread} testId={`unread-${shipment.reference}`} />
            {eta && <span className="text-xs text-slate-600 tabular-nums dark:text-slate-400">ETA {eta}</span>}
          </span>
        </span>
        <span className="mt-0.5 block truncate text-sm">
          {shipment.recipient} <span className="text-slate-600 dark:text-slate-400">· {shipment.address}</span>
        </span>
        <span className="mt-1 flex flex-wrap items-center gap-1 text-xs">
          <span
            className={`rounded px-1.5 py-0.5 ${driverName ? 'bg-slate-100 dark:bg-slate-800' : 'border border-dashed border-slate-300 text-slate-600 dark:border-slate-600 dark:text-slate-400'}`}
          >
            {driverName ?? 'Unassigned'}
          </span>
          {flag && (
            <span data-testid="flag" className={`rounded px-1.5 py-0.5 font-semibold ${FLAG_STYLE[flag]}`}>
              {flag === 'late' ? (lateLabel ?? 'Late') : 'At risk'}
            </span>
          )}
          {refused && (
            <span
              data-testid="refused-marker"
              className="rounded bg-red-100 px-1.5 py-0.5 font-semibold text-red-900 dark:bg-red-950 dark:text-red-200"
            >
              Refused
            </span>
          )}
          {editors && (
            <span
              data-testid="editing-marker"
              className="rounded bg-amber-100 px-1.5 py-0.5 text-amber-900 dark:bg-amber-900/40 dark:text-amber-200"
            >
              <span aria-hidden>✎ </span>
              <span className="sr-only">Editing: </span>
              {editors}
            </span>
          )}
          {viewers && (
            <span
              data-testid="viewing-marker"
              className="rounded bg-sky-100 px-1.5 py-0.5 text-sky-900 dark:bg-sky-900/40 dark:text-sky-200"
            >
              <svg
                aria-hidden
                viewBox="0 0 16 16"
                className="mr-1 inline-block h-3 w-3 align-[-1px]"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.5"
              >
                <path d="M1 8s2.5-5 7-5 7 5 7 5-2.5 5-7 5-7-5-7-5Z" />
                <circle cx="8" cy="8" r="2" />
              </svg>
              <span className="sr-only">Viewing: </span>
              {viewers}
            </span>
          )}
        </span>
      </button>
    </div>
  );
});
