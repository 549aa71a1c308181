'use client';

import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { AppHeader } from '@/components/app-header';
import { NoteThread } from '@/components/notes/note-thread';
import { UnreadBadge } from '@/components/notes/unread-badge';
import { useConnectionStatus } from '@/lib/realtime/connection-status';
import { useUpdateShipment } from '@/lib/shipments/mutations';
import { usePositionSharing, type Fix, type PositionSource } from '@/lib/shipments/position-sharing';
import { useAudienceList } from '@/lib/live/hooks';
import { shipmentsTable } from '@/lib/shipments/live';
import { myNoteReadsQuery, notesTable, unreadCounts } from '@/lib/shipments/notes';
import { depotPeopleQuery, type Depot } from '@/lib/shipments/queries';
import type { Shipment } from '@/lib/shipments/schema';
import { createClient } from '@/lib/supabase/client';
import { DRIVER_ACTION_LABEL, nextDriverStatus, STATUS_LABEL } from '@/lib/shipments/status';
import { useDepotLive, type Me } from '@/lib/shipments/use-depot-live';

const ACTIVE = new Set(['assigned', 'picked_up', 'in_transit']);

export function DriverView({ me, depot }: { me: Me; depot: Depot }) {
  const { data } = useAudienceList(shipmentsTable, me.id);
  // Soonest ETA first, unknown last.
  const shipments = useMemo(
    () => [...(data?.rows ?? [])].sort((a, b) => (a.eta ?? '\uffff').localeCompare(b.eta ?? '\uffff')),
    [data],
  );
  const { sharePosition } = useDepotLive(depot.id, me);
  const update = useUpdateShipment();
  const supabase = useMemo(() => createClient(), []);
  const { data: notes } = useAudienceList(notesTable, me.id);
  const { data: reads } = useQuery(myNoteReadsQuery(supabase, me.id));
  const unread = useMemo(() => unreadCounts(notes?.rows ?? [], reads ?? {}, me.id), [notes, reads, me.id]);
  const [openNotes, setOpenNotes] = useState<string | null>(null);
  const { data: people = [] } = useQuery(depotPeopleQuery(supabase, depot.id));
  const names = useMemo(() => new Map(people.map((p) => [p.id, p.full_name])), [people]);
  const connection = useConnectionStatus();
  const [source, setSource] = useState<PositionSource>('off');

  const active = shipments.filter((s) => ACTIVE.has(s.status));
  const done = shipments.filter((s) => !ACTIVE.has(s.status));
  const onTheRoad = active.find((s) => s.status === 'in_transit' || s.status === 'picked_up') ?? null;

  // usePositionSharing always calls the latest callbacks, so they need no memoizing.
  const onBroadcast = (fix: Fix) =>
    sharePosition({ driver_id: me.id, lat: fix.lat, lng: fix.lng, at: fix.at, shipment_id: onTheRoad?.id ?? null });
  const onPersist = (fix: Fix) => {
    if (onTheRoad)
      update.mutate({
        row: onTheRoad,
        patch: { last_lat: fix.lat, last_lng: fix.lng, last_position_at: new Date(fix.at).toISOString() },
      });
  };
  const position = usePositionSharing(source, depot, onBroadcast, onPersist);

  const advance = (shipment: Shipment) => {
    const next = nextDriverStatus(shipment.status);
    if (next) update.mutate({ row: shipment, patch: { status: next } });
  };

  return (
    <div className="min-h-screen">
      <AppHeader userName={me.name}>
        <span className="text-sm text-slate-500 dark:text-slate-400">{depot.name}</span>
      </AppHeader>
      <main className="mx-auto max-w-lg space-y-6 px-4 py-4">
        <section
          aria-labelledby="position-heading"
          className="rounded-xl border border-slate-200 p-4 dark:border-slate-800"
        >
          <h2 id="position-heading" className="text-sm font-semibold">
            Share my position
          </h2>
          <div className="mt-2 flex gap-2" role="radiogroup" aria-label="Position source">
            {(['off', 'device', 'simulated'] as const).map((s) => (
              <button
                key={s}
                type="button"
                role="radio"
                aria-checked={source === s}
                data-testid={`position-${s}`}
                onClick={() => setSource(s)}
                className={`rounded-md px-3 py-1.5 text-sm ${source === s ? 'bg-indigo-600 text-white' : 'bg-slate-100 dark:bg-slate-800'}`}
              >
                {s === 'off' ? 'Off' : s === 'device' ? 'GPS' : 'Simulated route'}
              </button>
            ))}
          </div>
          {position.error && (
            <p role="alert" className="mt-2 text-sm text-red-700">
              {position.error}
            </p>
          )}
          {position.last && source !== 'off' && (
            <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
              Sharing {position.last.lat.toFixed(4)}, {position.last.lng.toFixed(4)} (live every second, saved every 15
              s)
            </p>
          )}
        </section>

        {update.error && (
          <p
            role="alert"
            data-testid="update-error"
            className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200"
          >
            {update.error.message}
          </p>
        )}

        <section aria-labelledby="active-heading">
          <h2 id="active-heading" className="text-lg font-semibold">
            My shipments ({active.length})
          </h2>
          {active.length === 0 && (
            <p className="mt-2 text-sm text-slate-500 dark:text-slate-400">Nothing assigned right now.</p>
          )}
          <ul className="mt-3 space-y-3">
            {active.map((s) => {
              const next = nextDriverStatus(s.status);
              return (
                <li
                  key={s.id}
                  data-testid={`driver-shipment-${s.reference}`}
                  data-status={s.status}
                  className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
                >
                  <div className="flex items-baseline justify-between">
                    <span className="font-mono font-semibold">{s.reference}</span>
                    <span className="flex items-center gap-2 text-sm">
                      <UnreadBadge count={unread.get(s.id) ?? 0} testId={`driver-unread-${s.reference}`} />
                      {STATUS_LABEL[s.status]}
                    </span>
                  </div>
                  <p className="mt-1 text-sm">{s.recipient}</p>
                  <p className="text-sm text-slate-500 dark:text-slate-400">{s.address}</p>
                  {next && (
                    <button
                      type="button"
                      data-testid={`advance-${s.reference}`}
                      disabled={connection.state === 'offline' || update.isPending}
                      onClick={() => advance(s)}
                      className="mt-3 w-full rounded-lg bg-indigo-600 px-4 py-4 text-lg font-semibold text-white shadow hover:bg-indigo-500 disabled:opacity-50"
                    >
                      {DRIVER_ACTION_LABEL[next] ?? STATUS_LABEL[next]}
                    </button>
                  )}
                  <button
                    type="button"
                    aria-expanded={openNotes === s.id}
                    data-testid={`notes-toggle-${s.reference}`}
                    onClick={() => setOpenNotes(openNotes === s.id ? null : s.id)}
                    className="mt-3 text-sm text-indigo-700 underline dark:text-indigo-300"
                  >
                    {openNotes === s.id ? 'Hide notes' : 'Notes'}
                  </button>
                  {openNotes === s.id && (
                    <div className="mt-2">
                      <NoteThread
                        shipmentId={s.id}
                        depotId={s.depot_id}
                        notes={notes?.rows ?? []}
                        names={names}
                        meId={me.id}
                        offline={connection.state === 'offline'}
                      />
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        </section>

        {done.length > 0 && (
          <section aria-labelledby="done-heading">
            <h2 id="done-heading" className="text-sm font-semibold text-slate-500 dark:text-slate-400">
              Finished
            </h2>
            <ul className="mt-2 space-y-1 text-sm text-slate-500 dark:text-slate-400">
              {done.map((s) => (
                <li key={s.id}>
                  <span className="font-mono">{s.reference}</span> · {STATUS_LABEL[s.status]}
                </li>
              ))}
            </ul>
          </section>
        )}
      </main>
    </div>
  );
}
