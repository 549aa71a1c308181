'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useCallback, useMemo, useState } from 'react';
import { AppHeader } from '@/components/app-header';
import { PresenceList } from '@/components/presence-list';
import { useConnectionStatus } from '@/lib/realtime/connection-status';
import { useLiveList } from '@/lib/live/hooks';
import { shipmentsTable } from '@/lib/shipments/live';
import { myNoteReadsQuery, notesTable, unreadCounts } from '@/lib/shipments/notes';
import { depotPeopleQuery, type Depot } from '@/lib/shipments/queries';
import { SHIPMENT_STATUSES, type Shipment, type ShipmentChange, type ShipmentStatus } from '@/lib/shipments/schema';
import { STATUS_LABEL } from '@/lib/shipments/status';
import { useDepotLive, type Me } from '@/lib/shipments/use-depot-live';
import { createClient } from '@/lib/supabase/client';
import { MapPanel } from './map-panel';
import { ShipmentCard } from './shipment-card';
import { ShipmentDrawer } from './shipment-drawer';
import { matchesFilters, useBoardFilters } from './use-board-filters';

interface Props {
  depot: Depot;
  depots: Depot[];
  me: Me;
}

export function BoardView({ depot, depots, me }: Props) {
  const supabase = useMemo(() => createClient(), []);
  const { data: people = [] } = useQuery(depotPeopleQuery(supabase, depot.id));
  const { filters, setFilters } = useBoardFilters();
  const { members, positions, setActivity } = useDepotLive(depot.id, me);
  const connection = useConnectionStatus();
  const [announcement, setAnnouncement] = useState('');

  const onChanges = useCallback((changes: ShipmentChange[]) => {
    const last = changes[changes.length - 1];
    if (last.record) setAnnouncement(`${last.record.reference} is now ${STATUS_LABEL[last.record.status]}`);
  }, []);
  const { data: board } = useLiveList(shipmentsTable, depot.id, onChanges);
  const { data: notes } = useLiveList(notesTable, depot.id);
  const { data: reads } = useQuery(myNoteReadsQuery(supabase, me.id));
  const unread = useMemo(() => unreadCounts(notes?.rows ?? [], reads ?? {}, me.id), [notes, reads, me.id]);

  const driverNames = useMemo(() => new Map(people.map((p) => [p.id, p.full_name])), [people]);
  const markers = useMemo(() => {
    const viewing = new Map<string, string[]>();
    const editing = new Map<string, string[]>();
    for (const m of members) {
      if (m.userId === me.id || m.role !== 'dispatcher') continue;
      for (const id of m.viewing) viewing.set(id, [...(viewing.get(id) ?? []), m.name]);
      for (const id of m.editing) editing.set(id, [...(editing.get(id) ?? []), m.name]);
    }
    return { viewing, editing };
  }, [members, me.id]);

  const shipments = useMemo(() => board?.rows ?? [], [board]);
  // One pass over the shipments per change, grouped by column.
  const { byStatus, visibleCount } = useMemo(() => {
    const groups = new Map<ShipmentStatus, Shipment[]>(SHIPMENT_STATUSES.map((s) => [s, []]));
    let count = 0;
    for (const s of shipments) {
      if (!matchesFilters(s, filters, driverNames)) continue;
      groups.get(s.status)!.push(s);
      count += 1;
    }
    return { byStatus: groups, visibleCount: count };
  }, [shipments, filters, driverNames]);
  const openShipment = useCallback((id: string) => setFilters({ shipment: id }), [setFilters]);
  const columns = SHIPMENT_STATUSES.filter((s) => filters.statuses.length === 0 || filters.statuses.includes(s));

  return (
    <div className="min-h-screen">
      <AppHeader userName={me.name}>
        <nav aria-label="Depots" className="flex gap-1">
          {depots.map((d) => (
            <Link
              key={d.id}
              href={`/board/${d.id}`}
              aria-current={d.id === depot.id ? 'page' : undefined}
              className={`rounded-md px-2 py-1 text-sm ${d.id === depot.id ? 'bg-indigo-600 text-white' : 'text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800'}`}
            >
              {d.name}
            </Link>
          ))}
        </nav>
        <PresenceList members={members} meId={me.id} />
      </AppHeader>

      <p aria-live="polite" className="sr-only" data-testid="announcer">
        {announcement}
      </p>

      <div className="mx-auto max-w-[1600px] px-4 py-4">
        <form role="search" className="flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
          <label className="text-sm">
            <span className="block text-slate-500">Search</span>
            <input
              type="search"
              data-testid="filter-query"
              defaultValue={filters.query}
              onChange={(e) => setFilters({ query: e.target.value })}
              placeholder="Reference, recipient, address, driver"
              className="mt-1 w-64 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
            />
          </label>
          <label className="text-sm">
            <span className="block text-slate-500">Driver</span>
            <select
              data-testid="filter-driver"
              value={filters.driver ?? ''}
              onChange={(e) => setFilters({ driver: e.target.value || null })}
              className="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
            >
              <option value="">All drivers</option>
              <option value="none">Unassigned</option>
              {people
                .filter((p) => p.role === 'driver')
                .map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.full_name}
                  </option>
                ))}
            </select>
          </label>
          <fieldset className="text-sm">
            <legend className="text-slate-500">Status</legend>
            <div className="mt-1 flex flex-wrap gap-1">
              {SHIPMENT_STATUSES.map((status) => {
                const on = filters.statuses.includes(status);
                return (
                  <button
                    key={status}
                    type="button"
                    aria-pressed={on}
                    onClick={() =>
                      setFilters({
                        statuses: on ? filters.statuses.filter((s) => s !== status) : [...filters.statuses, status],
                      })
                    }
                    className={`rounded-full px-2.5 py-1 text-xs ${on ? 'bg-indigo-600 text-white' : 'bg-slate-100 text-slate-700 hover:bg-slate-200 dark:bg-slate-800 dark:text-slate-300'}`}
                  >
                    {STATUS_LABEL[status]}
                  </button>
                );
              })}
            </div>
          </fieldset>
          <span className="ml-auto text-sm text-slate-500" data-testid="board-count">
            {visibleCount} of {shipments.length} shipments · seq {board?.watermark ?? 0}
          </span>
        </form>

        <div className="mt-4 grid gap-4 xl:grid-cols-[1fr_340px]">
          <div className="flex gap-3 overflow-x-auto pb-4">
            {columns.map((status) => {
              const inColumn = byStatus.get(status) ?? [];
              return (
                <section
                  key={status}
                  aria-labelledby={`col-${status}`}
                  data-testid={`column-${status}`}
                  className="w-64 shrink-0"
                >
                  <h2 id={`col-${status}`} className="mb-2 flex justify-between text-sm font-semibold">
                    {STATUS_LABEL[status]} <span className="font-normal text-slate-500">{inColumn.length}</span>
                  </h2>
                  <ul className="space-y-2">
                    {inColumn.map((s) => (
                      <ShipmentCard
                        key={s.id}
                        shipment={s}
                        driverName={s.driver_id ? (driverNames.get(s.driver_id) ?? 'Driver') : null}
                        viewers={(markers.viewing.get(s.id) ?? []).join(', ')}
                        editors={(markers.editing.get(s.id) ?? []).join(', ')}
                        unread={unread.get(s.id) ?? 0}
                        onOpen={openShipment}
                      />
                    ))}
                  </ul>
                </section>
              );
            })}
          </div>
          <MapPanel depot={depot} shipments={shipments} positions={positions} driverNames={driverNames} />
        </div>
      </div>

      {filters.shipment && (
        <ShipmentDrawer
          depotId={depot.id}
          shipmentId={filters.shipment}
          people={people}
          meId={me.id}
          members={members}
          notes={notes?.rows ?? []}
          offline={connection.state === 'offline'}
          setActivity={setActivity}
          onClose={() => setFilters({ shipment: null })}
        />
      )}
    </div>
  );
}
