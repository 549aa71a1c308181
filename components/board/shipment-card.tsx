'use client';

import { memo } from 'react';
import { UnreadBadge } from '@/components/notes/unread-badge';
import type { Shipment } from '@/lib/shipments/schema';

interface Props {
  shipment: Shipment;
  driverName: string | null;
  /** Names of colleagues viewing / editing this shipment, joined (a string keeps memo cheap). */
  viewers: string;
  editors: string;
  /** Notes by others the person has not read. */
  unread: number;
  onOpen: (id: string) => void;
}

function formatEta(eta: string | null): string | null {
  if (!eta) return null;
  return new Date(eta).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** One shipment on the board. Memoized: a delta re-renders only the card whose shipment object changed. */
export const ShipmentCard = memo(function ShipmentCard({
  shipment,
  driverName,
  viewers,
  editors,
  unread,
  onOpen,
}: Props) {
  const eta = formatEta(shipment.eta);
  return (
    <li>
      <button
        type="button"
        onClick={() => onOpen(shipment.id)}
        data-testid={`card-${shipment.reference}`}
        data-status={shipment.status}
        data-version={shipment.version}
        className="w-full rounded-lg border border-slate-200 bg-white p-3 text-left shadow-sm transition hover:border-indigo-400 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-800 dark:bg-slate-900"
      >
        <div className="flex items-baseline justify-between gap-2">
          <span className="font-mono text-sm font-semibold">{shipment.reference}</span>
          <span className="flex items-center gap-1">
            <UnreadBadge count={unread} testId={`unread-${shipment.reference}`} />
            {eta && <span className="text-xs text-slate-500">ETA {eta}</span>}
          </span>
        </div>
        <div className="mt-1 truncate text-sm">{shipment.recipient}</div>
        <div className="truncate text-xs text-slate-500">{shipment.address}</div>
        <div className="mt-2 flex flex-wrap items-center gap-1 text-xs">
          <span className="rounded bg-slate-100 px-1.5 py-0.5 dark:bg-slate-800">{driverName ?? 'Unassigned'}</span>
          {editors && (
            <span
              data-testid="editing-marker"
              className="rounded bg-amber-100 px-1.5 py-0.5 text-amber-900 dark:bg-amber-900/40 dark:text-amber-200"
            >
              ✎ {editors}
            </span>
          )}
          {viewers && (
            <span
              data-testid="viewing-marker"
              className="rounded bg-sky-100 px-1.5 py-0.5 text-sky-900 dark:bg-sky-900/40 dark:text-sky-200"
            >
              👁 {viewers}
            </span>
          )}
        </div>
      </button>
    </li>
  );
});
