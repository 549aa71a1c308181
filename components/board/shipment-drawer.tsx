'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef } from 'react';
import { NoteThread } from '@/components/notes/note-thread';
import { useUpdateShipment, type ShipmentPatch } from '@/lib/shipments/mutations';
import type { Note } from '@/lib/shipments/notes';
import { depotBoardQuery, shipmentHistoryQuery, type Person } from '@/lib/shipments/queries';
import type { Shipment, ShipmentEvent } from '@/lib/shipments/schema';
import { NEXT_STATUSES, STATUS_LABEL } from '@/lib/shipments/status';
import type { OnlineMember } from '@/lib/shipments/use-depot-live';
import { createClient } from '@/lib/supabase/client';

interface Props {
  depotId: string;
  shipmentId: string;
  people: Person[];
  meId: string;
  members: OnlineMember[];
  notes: Note[];
  /** Live data is unavailable (offline): editing is disabled. */
  offline: boolean;
  setActivity: (activity: { viewing?: string | null; editing?: string | null }) => void;
  onClose: () => void;
}

function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function describeEvent(event: ShipmentEvent, names: Map<string, string>): string {
  if (event.operation === 'INSERT') return 'Created';
  if (event.operation === 'DELETE') return 'Deleted';
  const parts: string[] = [];
  const changes = event.changes;
  if (changes.status)
    parts.push(
      `${STATUS_LABEL[changes.status.old as Shipment['status']] ?? changes.status.old} → ${STATUS_LABEL[changes.status.new as Shipment['status']] ?? changes.status.new}`,
    );
  if (changes.driver_id)
    parts.push(
      changes.driver_id.new
        ? `assigned to ${names.get(String(changes.driver_id.new)) ?? 'a driver'}`
        : 'driver removed',
    );
  if (changes.eta)
    parts.push(
      `ETA ${changes.eta.new ? new Date(String(changes.eta.new)).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : 'cleared'}`,
    );
  if (changes.last_lat || changes.last_lng) parts.push('position reported');
  return parts.join(', ') || Object.keys(changes).join(', ') || 'Updated';
}

export function ShipmentDrawer({
  depotId,
  shipmentId,
  people,
  meId,
  members,
  notes,
  offline,
  setActivity,
  onClose,
}: Props) {
  const supabase = useMemo(() => createClient(), []);
  const { data: board } = useQuery(depotBoardQuery(supabase, depotId));
  const shipment = board?.rows.find((s) => s.id === shipmentId) ?? null;
  const history = useQuery({ ...shipmentHistoryQuery(supabase, shipmentId), enabled: Boolean(shipment) });
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
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const change = (patch: ShipmentPatch) => {
    if (shipment) update.mutate({ row: shipment, patch });
  };

  return (
    <aside
      role="dialog"
      aria-labelledby="drawer-title"
      data-testid="shipment-drawer"
      onFocus={() => setActivity({ editing: shipmentId })}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setActivity({ editing: null });
      }}
      className="fixed inset-y-0 right-0 z-30 flex w-full max-w-md flex-col overflow-y-auto border-l border-slate-200 bg-white shadow-xl dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex items-start justify-between border-b border-slate-200 p-4 dark:border-slate-800">
        <div>
          <h2 id="drawer-title" ref={heading} tabIndex={-1} className="font-mono text-lg font-semibold outline-none">
            {shipment?.reference ?? 'Shipment'}
          </h2>
          {shipment && (
            <p className="text-sm text-slate-500">
              {shipment.recipient} · {shipment.address}
            </p>
          )}
        </div>
        <button
          type="button"
          onClick={onClose}
          aria-label="Close details"
          className="rounded p-1 text-slate-500 hover:bg-slate-100 dark:hover:bg-slate-800"
        >
          ✕
        </button>
      </div>

      {!shipment ? (
        <p className="p-4 text-sm text-slate-500">This shipment is not on this depot&apos;s board (any more).</p>
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
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-500">Status</dt>
            <dd data-testid="drawer-status">{STATUS_LABEL[shipment.status]}</dd>
            <dt className="text-slate-500">Version</dt>
            <dd>{shipment.version}</dd>
          </dl>

          <fieldset disabled={offline || update.isPending} className="space-y-4">
            <legend className="sr-only">Change this shipment</legend>
            <label className="block text-sm">
              <span className="font-medium">Driver</span>
              <select
                data-testid="driver-select"
                value={shipment.driver_id ?? ''}
                onChange={(e) => change({ driver_id: e.target.value || null })}
                className="mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-950"
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
                  if (value !== shipment.eta) change({ eta: value });
                }}
                className="mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 dark:border-slate-700 dark:bg-slate-950"
              />
            </label>
            <div>
              <span className="text-sm font-medium">Move to</span>
              <div className="mt-1 flex flex-wrap gap-2">
                {NEXT_STATUSES[shipment.status].length === 0 && (
                  <span className="text-sm text-slate-500">Final status.</span>
                )}
                {NEXT_STATUSES[shipment.status].map((next) => (
                  <button
                    key={next}
                    type="button"
                    data-testid={`move-${next}`}
                    onClick={() => change({ status: next })}
                    className={`rounded-md px-3 py-1.5 text-sm font-medium ${next === 'cancelled' || next === 'failed' ? 'bg-red-50 text-red-800 hover:bg-red-100 dark:bg-red-950 dark:text-red-200' : 'bg-indigo-50 text-indigo-800 hover:bg-indigo-100 dark:bg-indigo-950 dark:text-indigo-200'}`}
                  >
                    {next === 'cancelled' ? 'Cancel shipment' : STATUS_LABEL[next]}
                  </button>
                ))}
              </div>
            </div>
          </fieldset>
          {offline && <p className="text-sm text-slate-500">Editing is disabled while offline.</p>}
          {update.error && (
            <p
              role="alert"
              data-testid="update-error"
              className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200"
            >
              {update.error.message}
            </p>
          )}

          <NoteThread
            shipmentId={shipment.id}
            depotId={depotId}
            notes={notes}
            names={names}
            meId={meId}
            offline={offline}
          />

          <section aria-labelledby="timeline-heading">
            <h3 id="timeline-heading" className="text-sm font-medium">
              Timeline
            </h3>
            {history.isPending ? (
              <p className="mt-2 text-sm text-slate-500">Loading…</p>
            ) : history.error ? (
              <p className="mt-2 text-sm text-red-700">{history.error.message}</p>
            ) : (
              <ol
                data-testid="timeline"
                className="mt-2 space-y-2 border-l border-slate-200 pl-4 text-sm dark:border-slate-700"
              >
                {history.data.map((event) => (
                  <li key={event.id}>
                    <div>{describeEvent(event, names)}</div>
                    <div className="text-xs text-slate-500">
                      {new Date(event.created_at).toLocaleString()} ·{' '}
                      {event.actor_id ? (names.get(event.actor_id) ?? 'someone') : 'system'} · #{event.seq}
                    </div>
                  </li>
                ))}
              </ol>
            )}
          </section>
        </div>
      )}
    </aside>
  );
}
