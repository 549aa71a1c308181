'use client';

import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { AppHeader } from '@/components/app-header';
import { NoteThread } from '@/components/notes/note-thread';
import { useAudienceList } from '@/lib/live/hooks';
import { writesByRow } from '@/lib/live/queued-writes';
import { useConnectionStatus } from '@/lib/realtime/connection-status';
import { useDriverActions } from '@/lib/shipments/driver-actions';
import {
  assignmentNotices,
  knownShipments,
  type DriverNotice,
  type KnownShipments,
} from '@/lib/shipments/driver-notices';
import { describeFailure } from '@/lib/shipments/failure';
import { shipmentsTable } from '@/lib/shipments/live';
import { useUpdateShipment } from '@/lib/shipments/mutations';
import { myNoteReadsQuery, notesTable, unreadCounts } from '@/lib/shipments/notes';
import { usePositionSharing, type Fix, type PositionSource } from '@/lib/shipments/position-sharing';
import { depotPeopleQuery, type Depot } from '@/lib/shipments/queries';
import { DRIVER_ACTIVE_STATUSES, STATUS_LABEL } from '@/lib/shipments/status';
import { useDepotLive, type Me } from '@/lib/shipments/use-depot-live';
import { createClient } from '@/lib/supabase/client';
import { DriverCard } from './driver-card';
import { NoticeList } from './notice-list';
import { PositionPanel } from './position-panel';
import { QueueBanner } from './queue-banner';

const MAX_NOTICES = 6;
const byEta = (a: { eta: string | null }, b: { eta: string | null }) =>
  (a.eta ?? '\uffff').localeCompare(b.eta ?? '\uffff');

export function DriverView({ me, depot }: { me: Me; depot: Depot }) {
  const { data } = useAudienceList(shipmentsTable, me.id);
  const [notices, setNotices] = useState<DriverNotice[]>([]);
  const notify = useCallback(
    (notice: DriverNotice) =>
      setNotices((list) => [notice, ...list.filter((n) => n.id !== notice.id)].slice(0, MAX_NOTICES)),
    [],
  );
  const actions = useDriverActions(me.id, notify);

  // Shipments that came or went since the last reading: say so instead of a silent change.
  const known = useRef<KnownShipments | null>(null);
  useEffect(() => {
    if (!data) return;
    if (known.current) for (const notice of assignmentNotices(known.current, data.rows)) notify(notice);
    known.current = knownShipments(data.rows);
  }, [data, notify]);

  const { overlay, writes } = actions;
  const shipments = useMemo(() => overlay(data?.rows ?? []).sort(byEta), [overlay, data]);
  const pendingByRow = useMemo(() => writesByRow(writes), [writes]);
  const active = shipments.filter((s) => DRIVER_ACTIVE_STATUSES.includes(s.status) || pendingByRow.has(s.id));
  const done = shipments.filter((s) => !DRIVER_ACTIVE_STATUSES.includes(s.status) && !pendingByRow.has(s.id));

  const supabase = useMemo(() => createClient(), []);
  const { data: notes } = useAudienceList(notesTable, me.id);
  const { data: reads } = useQuery(myNoteReadsQuery(supabase, me.id));
  const unread = useMemo(() => unreadCounts(notes?.rows ?? [], reads ?? {}, me.id), [notes, reads, me.id]);
  const [openNotes, setOpenNotes] = useState<string | null>(null);
  const { data: people = [] } = useQuery(depotPeopleQuery(supabase, depot.id));
  const names = useMemo(() => new Map(people.map((p) => [p.id, p.full_name])), [people]);
  const connection = useConnectionStatus();

  // Positions: broadcast live, saved to the shipment on the road every 15 s,
  // only while nothing of it waits in the queue (the save is version-guarded too).
  const { sharePosition } = useDepotLive(depot.id, me);
  const savePosition = useUpdateShipment();
  const [source, setSource] = useState<PositionSource>('off');
  const onTheRoad = (data?.rows ?? []).find((s) => s.status === 'in_transit' || s.status === 'picked_up') ?? null;
  const onBroadcast = (fix: Fix) =>
    sharePosition({ driver_id: me.id, lat: fix.lat, lng: fix.lng, at: fix.at, shipment_id: onTheRoad?.id ?? null });
  const onPersist = (fix: Fix) => {
    if (!onTheRoad || pendingByRow.has(onTheRoad.id) || connection.state === 'offline') return;
    savePosition.mutate({
      row: onTheRoad,
      patch: { last_lat: fix.lat, last_lng: fix.lng, last_position_at: new Date(fix.at).toISOString() },
    });
  };
  const position = usePositionSharing(source, depot, onBroadcast, onPersist);

  return (
    <div className="min-h-screen">
      <AppHeader userName={me.name}>
        <span className="text-sm whitespace-nowrap text-slate-600 dark:text-slate-400">{depot.name}</span>
      </AppHeader>
      <main id="main" tabIndex={-1} className="mx-auto max-w-lg space-y-5 px-4 py-4 outline-none">
        <NoticeList notices={notices} onDismiss={(id) => setNotices((list) => list.filter((n) => n.id !== id))} />
        <QueueBanner
          count={writes.length}
          state={actions.state}
          durable={actions.durable}
          problem={actions.problem}
          nextAttemptAt={actions.nextAttemptAt}
        />

        <PositionPanel
          source={source}
          onSource={setSource}
          last={position.last}
          problem={position.problem}
          saveProblem={savePosition.error?.message ?? null}
        />

        <section aria-labelledby="active-heading">
          <h1 id="active-heading" className="text-xl font-semibold">
            My shipments <span className="font-normal text-slate-600 dark:text-slate-400">({active.length})</span>
          </h1>
          {active.length === 0 && (
            <p className="mt-2 text-slate-600 dark:text-slate-400">Nothing assigned to you right now.</p>
          )}
          <ul className="mt-3 space-y-3">
            {active.map((s) => (
              <DriverCard
                key={s.id}
                shipment={s}
                pending={pendingByRow.get(s.id) ?? []}
                queueState={actions.state}
                sendingId={actions.sendingId}
                unread={unread.get(s.id) ?? 0}
                notesOpen={openNotes === s.id}
                onToggleNotes={() => setOpenNotes(openNotes === s.id ? null : s.id)}
                onAdvance={actions.advance}
                onReportFailure={actions.reportFailure}
                onUndo={actions.cancel}
              >
                <NoteThread
                  shipmentId={s.id}
                  depotId={s.depot_id}
                  notes={notes?.rows ?? []}
                  names={names}
                  meId={me.id}
                  offline={connection.state === 'offline'}
                />
              </DriverCard>
            ))}
          </ul>
        </section>

        {done.length > 0 && (
          <section aria-labelledby="done-heading">
            <h2 id="done-heading" className="text-base font-semibold text-slate-700 dark:text-slate-300">
              Finished
            </h2>
            <ul className="mt-2 space-y-1 text-sm text-slate-600 dark:text-slate-400">
              {done.map((s) => (
                <li key={s.id} data-testid={`driver-finished-${s.reference}`} data-status={s.status}>
                  <span className="font-mono">{s.reference}</span> · {STATUS_LABEL[s.status]}
                  {s.status === 'failed' && describeFailure(s) && <> · {describeFailure(s)}</>}
                </li>
              ))}
            </ul>
          </section>
        )}
      </main>
    </div>
  );
}
