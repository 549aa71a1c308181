'use client';

import { useState } from 'react';
import type { Refusal } from '@/lib/shipments/refusals';
import { describeFailure } from '@/lib/shipments/failure';
import type { Shipment } from '@/lib/shipments/schema';

interface Props {
  /** Shipments whose delivery failed (status failed), newest change first. */
  failed: Shipment[];
  refusals: ReadonlyMap<string, Refusal>;
  driverNames: Map<string, string>;
  onOpen: (id: string) => void;
  onDismissRefusal: (id: string) => void;
  onShowFailed: () => void;
}

const SHOWN = 4;

/**
 * Alerts, each about one shipment: failed deliveries (gone once the shipment
 * leaves "failed") and changes the database refused (gone once the shipment
 * changes again, or dismissed). Not a live region: the board's announcer speaks
 * new exceptions once; this list is for looking at.
 */
export function ExceptionAlerts({ failed, refusals, driverNames, onOpen, onDismissRefusal, onShowFailed }: Props) {
  const [expanded, setExpanded] = useState(false);
  const refused = [...refusals.values()];
  const total = failed.length + refused.length;
  if (total === 0) return null;
  const shownFailed = expanded ? failed : failed.slice(0, Math.max(0, SHOWN - refused.length));

  return (
    <section
      aria-labelledby="alerts-heading"
      data-testid="alerts"
      className="flex flex-col gap-x-3 gap-y-1 rounded-lg border border-red-200 bg-red-50/70 px-3 py-1.5 text-sm sm:flex-row sm:flex-wrap sm:items-start dark:border-red-900 dark:bg-red-950/40"
    >
      <h2 id="alerts-heading" className="font-semibold text-red-900 dark:text-red-200">
        Needs attention <span className="font-normal tabular-nums">({total})</span>
      </h2>
      <ul
        className={
          expanded
            ? 'grid max-h-40 w-full gap-x-4 gap-y-0.5 overflow-y-auto sm:grid-cols-2 xl:grid-cols-3'
            : 'flex min-w-0 flex-1 flex-wrap gap-x-4 gap-y-0.5'
        }
      >
        {refused.map((r) => (
          <li
            key={`refused-${r.shipmentId}`}
            data-testid={`alert-${r.reference}`}
            data-kind="refused"
            className="flex min-w-0 basis-full items-baseline gap-1.5 sm:basis-auto"
          >
            <span aria-hidden className="text-red-700 dark:text-red-300">
              ⛔
            </span>
            <button
              type="button"
              onClick={() => onOpen(r.shipmentId)}
              className="font-mono font-semibold text-red-950 underline dark:text-red-100"
              aria-label={`Open ${r.reference}: change refused`}
            >
              {r.reference}
            </button>
            <span className="truncate text-red-900 dark:text-red-200" title={r.message}>
              change refused: {r.message}
            </span>
            <button
              type="button"
              onClick={() => onDismissRefusal(r.shipmentId)}
              aria-label={`Dismiss the refusal on ${r.reference}`}
              className="shrink-0 rounded px-1 text-xs text-red-900 underline dark:text-red-200"
            >
              Dismiss
            </button>
          </li>
        ))}
        {shownFailed.map((s) => (
          <li
            key={`failed-${s.id}`}
            data-testid={`alert-${s.reference}`}
            data-kind="failed"
            className="flex min-w-0 basis-full items-baseline gap-1.5 sm:basis-auto"
          >
            <span aria-hidden className="text-red-700 dark:text-red-300">
              ⚠
            </span>
            <button
              type="button"
              onClick={() => onOpen(s.id)}
              className="font-mono font-semibold text-red-950 underline dark:text-red-100"
              aria-label={`Open ${s.reference}: delivery failed`}
            >
              {s.reference}
            </button>
            <span className="truncate text-red-900 dark:text-red-200" title={describeFailure(s) ?? undefined}>
              failed{s.driver_id ? ` · ${driverNames.get(s.driver_id) ?? 'driver'}` : ''}
              {s.failure_reason ? ` · ${describeFailure(s)}` : ''}
            </span>
          </li>
        ))}
      </ul>
      <span className="flex gap-3 text-xs">
        {!expanded && failed.length > shownFailed.length && (
          <button type="button" onClick={() => setExpanded(true)} className="text-red-900 underline dark:text-red-200">
            Show all {total}
          </button>
        )}
        {expanded && (
          <button type="button" onClick={() => setExpanded(false)} className="text-red-900 underline dark:text-red-200">
            Show fewer
          </button>
        )}
        {failed.length > 0 && (
          <button type="button" onClick={onShowFailed} className="text-red-900 underline dark:text-red-200">
            Failed only
          </button>
        )}
      </span>
    </section>
  );
}
