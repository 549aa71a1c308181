'use client';

import { useState } from 'react';
import { LiveMutationError } from '@/lib/live/use-live-mutation';
import { assignmentPatch } from '@/lib/shipments/assign';
import { useUpdateShipment } from '@/lib/shipments/mutations';
import type { Person } from '@/lib/shipments/queries';
import type { Refusal } from '@/lib/shipments/refusals';
import type { Shipment, ShipmentStatus } from '@/lib/shipments/schema';
import { STATUS_LABEL } from '@/lib/shipments/status';

/** Statuses a dispatcher plans: a shipment already on the road keeps its driver. */
const ASSIGNABLE = new Set<ShipmentStatus>(['pending', 'assigned']);

export interface BulkResult {
  id: string;
  reference: string;
  outcome: 'assigned' | 'refused' | 'skipped';
  message: string;
}

interface Props {
  /** The selected shipments as the board holds them now (in board order). */
  selected: Shipment[];
  /** Selected shipments the filters hide. */
  hidden: number;
  people: Person[];
  offline: boolean;
  onClear: () => void;
  onRefused: (refusal: Refusal) => void;
  onSaved: (shipmentId: string) => void;
}

/**
 * Multi-select actions: assign every selected shipment to one driver. Each is
 * its own optimistic, version-guarded write (the same as a single edit), so
 * one refusal never undoes the others, and each gets its own result.
 */
export function BulkAssignBar({ selected, hidden, people, offline, onClear, onRefused, onSaved }: Props) {
  const update = useUpdateShipment();
  const [driver, setDriver] = useState('');
  const [results, setResults] = useState<BulkResult[] | null>(null);
  const [running, setRunning] = useState(false);
  const drivers = people.filter((p) => p.role === 'driver');

  const assign = async () => {
    if (!driver || selected.length === 0) return;
    const name = drivers.find((d) => d.id === driver)?.full_name ?? 'the driver';
    setRunning(true);
    setResults(null);
    // All writes start at once (each shows optimistically); the browser's connection pool paces the requests.
    const outcomes = await Promise.all(
      selected.map(async (row): Promise<BulkResult> => {
        if (!ASSIGNABLE.has(row.status))
          return {
            id: row.id,
            reference: row.reference,
            outcome: 'skipped',
            message: `not assigned: it is ${STATUS_LABEL[row.status].toLowerCase()}`,
          };
        if (row.driver_id === driver)
          return { id: row.id, reference: row.reference, outcome: 'skipped', message: `already ${name}'s` };
        try {
          const saved = await update.mutateAsync({ row, patch: assignmentPatch(row, driver) });
          onSaved(row.id);
          return {
            id: row.id,
            reference: row.reference,
            outcome: 'assigned',
            message: `assigned (version ${saved.version})`,
          };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          onRefused({
            shipmentId: row.id,
            reference: row.reference,
            message,
            kind: error instanceof LiveMutationError ? error.kind : 'network',
            version: row.version,
          });
          return { id: row.id, reference: row.reference, outcome: 'refused', message };
        }
      }),
    );
    setResults(outcomes);
    setRunning(false);
    // Keep the refused ones selected, so the dispatcher can look at them and retry.
    if (outcomes.every((o) => o.outcome !== 'refused')) onClear();
  };

  const counts = results && {
    assigned: results.filter((r) => r.outcome === 'assigned').length,
    refused: results.filter((r) => r.outcome === 'refused').length,
    skipped: results.filter((r) => r.outcome === 'skipped').length,
  };

  if (selected.length === 0 && !results) return null;
  return (
    <section
      aria-label="Selected shipments"
      data-testid="bulk-bar"
      className="rounded-lg border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm dark:border-indigo-900 dark:bg-indigo-950/50"
    >
      {selected.length > 0 && (
        <div className="flex flex-wrap items-center gap-3">
          <span data-testid="selected-count" className="font-medium">
            {selected.length} selected{hidden > 0 ? ` (${hidden} hidden by filters)` : ''}
          </span>
          <label className="flex items-center gap-2">
            <span>Assign to</span>
            <select
              data-testid="bulk-driver"
              value={driver}
              onChange={(e) => setDriver(e.target.value)}
              disabled={offline || running}
              className="rounded-md border border-slate-300 bg-white px-2 py-1 disabled:cursor-not-allowed disabled:bg-slate-100 disabled:text-slate-500 dark:border-slate-700 dark:bg-slate-900 dark:disabled:bg-slate-800"
            >
              <option value="">Choose a driver…</option>
              {drivers.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.full_name}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            data-testid="bulk-assign"
            onClick={() => void assign()}
            disabled={!driver || offline || running}
            aria-describedby={offline ? 'bulk-offline' : undefined}
            className="rounded-md bg-indigo-600 px-3 py-1 font-medium text-white hover:bg-indigo-500 disabled:cursor-not-allowed disabled:bg-slate-300 disabled:text-slate-600 dark:disabled:bg-slate-700 dark:disabled:text-slate-400"
          >
            {running ? 'Assigning…' : `Assign ${selected.length}`}
          </button>
          <button type="button" onClick={onClear} className="text-indigo-800 underline dark:text-indigo-200">
            Clear selection
          </button>
          {offline && (
            <span id="bulk-offline" className="text-slate-700 dark:text-slate-300">
              Offline: assigning needs the connection.
            </span>
          )}
        </div>
      )}
      {results && counts && (
        <div className="mt-2" data-testid="bulk-results">
          <div className="flex items-center gap-3">
            <p role="status" className="font-medium">
              Assigned {counts.assigned} of {results.length}
              {counts.refused ? `, ${counts.refused} refused` : ''}
              {counts.skipped ? `, ${counts.skipped} skipped` : ''}.
            </p>
            <button type="button" onClick={() => setResults(null)} className="text-xs underline">
              Hide results
            </button>
          </div>
          <ul className="mt-1 max-h-32 space-y-0.5 overflow-y-auto text-xs">
            {results.map((r) => (
              <li key={r.id} data-testid={`bulk-result-${r.reference}`} data-outcome={r.outcome}>
                <span aria-hidden>{r.outcome === 'assigned' ? '✓' : r.outcome === 'refused' ? '✗' : '–'}</span>{' '}
                <span className="font-mono">{r.reference}</span>: {r.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
