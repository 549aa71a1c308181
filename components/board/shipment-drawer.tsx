'use client';

import { useEffect, useMemo, useRef } from 'react';
import { NoteThread } from '@/components/notes/note-thread';
import { LiveMutationError } from '@/lib/live/use-live-mutation';
import { assignmentPatch } from '@/lib/shipments/assign';
import { lateBy, type ShipmentFlag } from '@/lib/shipments/exceptions';
import { describeFailure } from '@/lib/shipments/failure';
import { useUpdateShipment, type ShipmentPatch } from '@/lib/shipments/mutations';
import type { Note } from '@/lib/shipments/notes';
import type { Person } from '@/lib/shipments/queries';
import type { Refusal } from '@/lib/shipments/refusals';
import type { Shipment } from '@/lib/shipments/schema';
import { NEXT_STATUSES, STATUS_LABEL } from '@/lib/shipments/status';
import type { OnlineMember } from '@/lib/shipments/use-depot-live';
import { DrawerTimeline } from './drawer-timeline';

interface Props {
  /** The shipment as the board holds it; null when it is not (or no longer) on this depot's board. */
  shipment: Shipment | null;
  shipmentId: string;
  depotId: string;
  people: Person[];
  meId: string;
  members: OnlineMember[];
  notes: Note[];
  flag: ShipmentFlag | null;
  now: number;
  /** The database refused this person's last change to this shipment (and nothing changed since). */
  refusal: Refusal | null;
  /** Writes need the connection: controls are disabled, and say so, while offline. */
  offline: boolean;
  setActivity: (activity: { viewing?: string | null; editing?: string | null }) => void;
  onRefused: (refusal: Refusal) => void;
  onSaved: (shipmentId: string) => void;
  onDismissRefusal: (shipmentId: string) => void;
  onClose: () => void;
}

function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const control =
  'mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 disabled:cursor-not-allowed disabled:border-slate-200 disabled:bg-slate-100 disabled:text-slate-500 dark:border-slate-700 dark:bg-slate-950 dark:disabled:border-slate-800 dark:disabled:bg-slate-900 dark:disabled:text-slate-500';

/**
 * The detail panel of one shipment, beside the board (in place of it on a
 * phone): status, driver, ETA and moves, notes and a live timeline. Opening and
 * closing it changes only the URL (no server round trip); Escape closes it and
 * the board puts focus back on the card.
 */
export function ShipmentDrawer({
  shipment,
  shipmentId,
  depotId,
  people,
  meId,
  members,
  notes,
  flag,
  now,
  refusal,
  offline,
  setActivity,
  onRefused,
  onSaved,
  onDismissRefusal,
  onClose,
}: Props) {
  const update = useUpdateShipment();
  const names = useMemo(() => new Map(people.map((p) => [p.id, p.full_name])), [people]);
  const drivers = people.filter((p) => p.role === 'driver');
  const othersEditing = members.filter((m) => m.userId !== meId && m.editing.includes(shipmentId));
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    setActivity({ viewing: shipmentId });
    heading.current?.focus();
    return () => setActivity({ viewing: null, editing: null });
  }, [shipmentId, setActivity]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      // Escape in a modal dialog (the new-shipment form) closes that, not this.
      if ((e.target as HTMLElement | null)?.closest('dialog[open]')) return;
      onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const change = (patch: ShipmentPatch) => {
    if (!shipment) return;
    update.mutateAsync({ row: shipment, patch }).then(
      () => onSaved(shipment.id),
      (error: unknown) =>
        onRefused({
          shipmentId: shipment.id,
          reference: shipment.reference,
          message: error instanceof Error ? error.message : String(error),
          kind: error instanceof LiveMutationError ? error.kind : 'network',
          version: shipment.version,
        }),
    );
  };

  const reference = shipment?.reference ?? 'Shipment';
  return (
    <aside
      role="dialog"
      aria-labelledby="drawer-title"
      data-testid="shipment-drawer"
      onFocus={() => setActivity({ editing: shipmentId })}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setActivity({ editing: null });
      }}
      className="flex min-h-0 w-full flex-col overflow-y-auto rounded-lg border border-slate-200 bg-white shadow-lg lg:w-[26rem] lg:shrink-0 dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="sticky top-0 z-10 flex items-start justify-between gap-2 border-b border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
        <div className="min-w-0">
          <h2 id="drawer-title" ref={heading} tabIndex={-1} className="font-mono text-lg font-semibold">
            {reference}
          </h2>
          {shipment && (
            <p className="truncate text-sm text-slate-600 dark:text-slate-400">
              {shipment.recipient} · {shipment.address}
            </p>
          )}
        </div>
        <button
          type="button"
          onClick={onClose}
          aria-label={`Close details of ${reference}`}
          title="Close (Esc)"
          className="rounded p-1 text-slate-600 hover:bg-slate-100 dark:text-slate-400 dark:hover:bg-slate-800"
        >
          ✕
        </button>
      </div>

      {!shipment ? (
        <p className="p-4 text-sm text-slate-600 dark:text-slate-400">
          This shipment is not on this depot&apos;s board (any more).
        </p>
      ) : (
        <div className="space-y-5 p-4">
          {othersEditing.length > 0 && (
            <p
              role="alert"
              data-testid="editing-warning"
              className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200"
            >
              {othersEditing.map((m) => m.name).join(', ')} {othersEditing.length === 1 ? 'is' : 'are'} editing this
              shipment right now.
            </p>
          )}
          {shipment.status === 'failed' && (
            <p
              data-testid="drawer-failed"
              className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-900 dark:bg-red-950 dark:text-red-200"
            >
              Delivery failed{shipment.failure_reason ? `: ${describeFailure(shipment)}` : ''}. Put it back to pending
              to plan it again.
            </p>
          )}
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-600 dark:text-slate-400">Status</dt>
            <dd data-testid="drawer-status">{STATUS_LABEL[shipment.status]}</dd>
            {flag && (
              <>
                <dt className="text-slate-600 dark:text-slate-400">Exception</dt>
                <dd data-testid="drawer-flag" className="font-medium text-red-800 dark:text-red-300">
                  {flag === 'late' ? lateBy(shipment, now) : 'At risk: due within the hour and not picked up yet'}
                </dd>
              </>
            )}
            <dt className="text-slate-600 dark:text-slate-400">Version</dt>
            <dd>{shipment.version}</dd>
          </dl>

          {refusal && (
            <div
              role="alert"
              data-testid="update-error"
              className="flex items-start gap-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200"
            >
              <span className="flex-1">{refusal.message}</span>
              <button
                type="button"
                onClick={() => onDismissRefusal(shipment.id)}
                className="shrink-0 text-xs underline"
                aria-label={`Dismiss the refusal on ${shipment.reference}`}
              >
                Dismiss
              </button>
            </div>
          )}

          <fieldset
            // Also while a change is saving: the next one must be guarded by the version it produces.
            disabled={offline || update.isPending}
            aria-busy={update.isPending}
            aria-describedby={offline ? 'drawer-offline' : undefined}
            className="space-y-4"
          >
            <legend className="sr-only">Change {shipment.reference}</legend>
            {offline && (
              <p
                id="drawer-offline"
                data-testid="drawer-offline"
                className="flex items-center gap-2 rounded-md border border-slate-300 bg-slate-50 px-3 py-2 text-sm text-slate-700 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-300"
              >
                <span aria-hidden>⚡</span>
                You are offline. Changes need the connection; they are disabled until it returns.
              </p>
            )}
            <label className="block text-sm">
              <span className="font-medium">Driver</span>
              <select
                data-testid="driver-select"
                value={shipment.driver_id ?? ''}
                onChange={(e) => change(assignmentPatch(shipment, e.target.value || null))}
                className={control}
              >
                <option value="">Unassigned</option>
                {drivers.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.full_name}
                  </option>
                ))}
              </select>
            </label>
            <label className="block text-sm">
              <span className="font-medium">ETA</span>
              <input
                type="datetime-local"
                data-testid="eta-input"
                defaultValue={toLocalInput(shipment.eta)}
                key={`${shipment.id}-${shipment.version}`}
                onBlur={(e) => {
                  const value = e.target.value ? new Date(e.target.value).toISOString() : null;
                  if (value !== shipment.eta && toLocalInput(value) !== toLocalInput(shipment.eta))
                    change({ eta: value });
                }}
                className={control}
              />
            </label>
            <div>
              <span className="text-sm font-medium" id="move-label">
                Move to
              </span>
              <div className="mt-1 flex flex-wrap gap-2" role="group" aria-labelledby="move-label">
                {NEXT_STATUSES[shipment.status].length === 0 && (
                  <span className="text-sm text-slate-600 dark:text-slate-400">Final status.</span>
                )}
                {NEXT_STATUSES[shipment.status].map((next) => (
                  <button
                    key={next}
                    type="button"
                    data-testid={`move-${next}`}
                    onClick={() => change({ status: next })}
                    className={`rounded-md px-3 py-1.5 text-sm font-medium disabled:cursor-not-allowed disabled:bg-slate-100 disabled:text-slate-500 dark:disabled:bg-slate-800 dark:disabled:text-slate-500 ${next === 'cancelled' || next === 'failed' ? 'bg-red-50 text-red-800 hover:bg-red-100 dark:bg-red-950 dark:text-red-200' : 'bg-indigo-50 text-indigo-800 hover:bg-indigo-100 dark:bg-indigo-950 dark:text-indigo-200'}`}
                  >
                    {next === 'cancelled' ? 'Cancel shipment' : STATUS_LABEL[next]}
                  </button>
                ))}
              </div>
            </div>
          </fieldset>

          <NoteThread
            shipmentId={shipment.id}
            depotId={depotId}
            notes={notes}
            names={names}
            meId={meId}
            offline={offline}
          />

          <DrawerTimeline shipment={shipment} names={names} />
        </div>
      )}
    </aside>
  );
}
