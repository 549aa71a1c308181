'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { AppHeader } from '@/components/app-header';
import { OnlineOnlyLink } from '@/components/online-only';
import { PresenceList } from '@/components/presence-list';
import { useLiveList } from '@/lib/live/hooks';
import type { LiveList } from '@/lib/live/merge';
import { useConnectionStatus } from '@/lib/realtime/connection-status';
import { createBoardBuilder } from '@/lib/shipments/board';
import { exceptionAnnouncement } from '@/lib/shipments/exceptions';
import { shipmentsTable } from '@/lib/shipments/live';
import { myNoteReadsQuery, notesTable, unreadCounts } from '@/lib/shipments/notes';
import { depotPeopleQuery, type Depot } from '@/lib/shipments/queries';
import { RefusalStore, type Refusal } from '@/lib/shipments/refusals';
import { SHIPMENT_STATUSES, type Shipment, type ShipmentChange, type ShipmentStatus } from '@/lib/shipments/schema';
import { useDepotLive, type Me } from '@/lib/shipments/use-depot-live';
import { createClient } from '@/lib/supabase/client';
import type { CardContext } from './board-column';
import { BoardColumns, type BoardColumnsHandle } from './board-columns';
import { BoardToolbar } from './board-toolbar';
import { BulkAssignBar } from './bulk-assign';
import { EmptyBoard } from './empty-board';
import { ExceptionAlerts } from './exception-alerts';
import { MapPanel } from './map-panel';
import { NewShipmentDialog } from './new-shipment-dialog';
import { ShipmentDrawer } from './shipment-drawer';
import { useBoardParams } from './use-board-params';
import { useRecentChanges } from './use-recent-changes';
import { useServerNow } from './use-server-now';

interface Props {
  depot: Depot;
  depots: Depot[];
  me: Me;
  /** The server's clock when it rendered the page (epoch ms): lateness is measured by it. */
  serverNow: number;
}

const NO_ROWS: Shipment[] = [];

/**
 * The dispatcher board: every interaction after the first paint (search,
 * filters, sort, opening and closing a shipment) runs in the browser on the
 * React Query cache, with its state in the URL, so it is instant and works
 * offline; live changes arrive through the depot's seq feed (lib/live).
 */
export function BoardView({ depot, depots, me, serverNow }: Props) {
  const supabase = useMemo(() => createClient(), []);
  const queryClient = useQueryClient();
  const { data: people = [] } = useQuery(depotPeopleQuery(supabase, depot.id));
  const { params, filters, shipment: openId, setParams } = useBoardParams();
  const { members, positions, setActivity } = useDepotLive(depot.id, me);
  const connection = useConnectionStatus();
  const offline = connection.state === 'offline';
  const now = useServerNow(serverNow);
  const [announcement, setAnnouncement] = useState('');
  const { changed, mark } = useRecentChanges();
  const [refusalStore] = useState(() => new RefusalStore());
  const refusals = useSyncExternalStore(refusalStore.subscribe, refusalStore.getSnapshot, refusalStore.getSnapshot);
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const [activeId, setActiveId] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const columnsHandle = useRef<BoardColumnsHandle>(null);
  const mainRef = useRef<HTMLElement>(null);

  const referenceOf = useRef<(id: string) => string | undefined>(() => undefined);
  const onChanges = useCallback(
    (changes: ShipmentChange[]) => {
      const failed: string[] = [];
      const touched: string[] = [];
      for (const change of changes) {
        refusalStore.shipmentChanged(change.id, change.version);
        if (!change.record) continue;
        touched.push(change.id);
        if (change.record.status === 'failed' && change.changed.includes('status')) failed.push(change.id);
      }
      mark(touched);
      const message = exceptionAnnouncement(
        failed,
        [],
        (id) => changes.find((c) => c.id === id)?.record?.reference ?? referenceOf.current(id),
      );
      if (message) setAnnouncement(message);
    },
    [mark, refusalStore],
  );
  const { data: board } = useLiveList(shipmentsTable, depot.id, onChanges);
  const rows = board?.rows ?? NO_ROWS;
  const { data: notes } = useLiveList(notesTable, depot.id);
  const { data: reads } = useQuery(myNoteReadsQuery(supabase, me.id));
  const unread = useMemo(() => unreadCounts(notes?.rows ?? [], reads ?? {}, me.id), [notes, reads, me.id]);

  const driverNames = useMemo(() => new Map(people.map((p) => [p.id, p.full_name])), [people]);
  const [build] = useState(createBoardBuilder);
  const model = useMemo(() => build(rows, filters, driverNames, now), [build, rows, filters, driverNames, now]);
  const byId = model.byId;
  useEffect(() => {
    referenceOf.current = (id) => byId.get(id)?.reference;
  }, [byId]);

  // Exceptions are announced once, as they appear (never every change): newly late ones here.
  const lateBefore = useRef<Set<string> | null>(null);
  useEffect(() => {
    const late = new Set<string>();
    for (const [id, flag] of model.flagged) if (flag === 'late') late.add(id);
    const previous = lateBefore.current;
    lateBefore.current = late;
    if (!previous) return;
    const newly = [...late].filter((id) => !previous.has(id));
    const message = exceptionAnnouncement([], newly, (id) => byId.get(id)?.reference);
    if (message) setAnnouncement(message);
  }, [model.flagged, byId]);

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

  const statuses = useMemo(
    () => SHIPMENT_STATUSES.filter((s) => filters.statuses.length === 0 || filters.statuses.includes(s)),
    [filters.statuses],
  );
  const collapsedKey = params.collapsed.join(',');
  const collapsed = useMemo(
    () => new Set(collapsedKey ? (collapsedKey.split(',') as ShipmentStatus[]) : []),
    [collapsedKey],
  );
  const tabStop = useMemo(() => {
    const open = statuses.filter((s) => !collapsed.has(s));
    if (activeId && open.some((s) => model.columns[s].some((r) => r.id === activeId))) return activeId;
    for (const s of open) if (model.columns[s].length) return model.columns[s][0].id;
    return null;
  }, [activeId, model, statuses, collapsed]);

  const openShipment = useCallback((id: string) => void setParams({ shipment: id }), [setParams]);
  const toggleSelect = useCallback((id: string) => {
    setSelected((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  }, []);
  const selectAll = useCallback((ids: string[], select: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      for (const id of ids) {
        if (select) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  }, []);
  const toggleCollapsed = useCallback(
    (status: ShipmentStatus) =>
      void setParams((current) => ({
        collapsed: current.collapsed.includes(status)
          ? current.collapsed.filter((s) => s !== status)
          : [...current.collapsed, status],
      })),
    [setParams],
  );

  const context = useMemo<CardContext>(
    () => ({
      driverNames,
      viewing: markers.viewing,
      editing: markers.editing,
      unread,
      flagged: model.flagged,
      refused: new Set(refusals.keys()),
      selected,
      changed,
      tabStop,
      now,
      onOpen: openShipment,
      onToggleSelect: toggleSelect,
    }),
    [
      driverNames,
      markers,
      unread,
      model.flagged,
      refusals,
      selected,
      changed,
      tabStop,
      now,
      openShipment,
      toggleSelect,
    ],
  );

  // The held version once a write settled: a later version means the refusal's cause is gone.
  const heldVersion = (id: string, fallback: number) =>
    queryClient.getQueryData<LiveList<Shipment>>(shipmentsTable.keys.list(depot.id))?.rows.find((r) => r.id === id)
      ?.version ?? fallback;
  const onRefused = (refusal: Refusal) =>
    refusalStore.add({ ...refusal, version: Math.max(refusal.version, heldVersion(refusal.shipmentId, 0)) });
  const onSaved = (id: string) => refusalStore.clear(id);

  // Closing the drawer (button, Escape, or the URL) puts focus back on its card.
  const lastOpen = useRef<string | null>(openId);
  useEffect(() => {
    const closed = lastOpen.current;
    lastOpen.current = openId;
    if (!closed || openId) return;
    const active = document.activeElement;
    if (active && active !== document.body && mainRef.current?.contains(active)) return;
    if (!columnsHandle.current?.focusCard(closed)) mainRef.current?.focus();
  }, [openId]);

  const openRow = openId ? (byId.get(openId) ?? null) : null;
  const failed = useMemo(
    () => rows.filter((s) => s.status === 'failed').sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at)),
    [rows],
  );
  const selectedRows = useMemo(
    () => (selected.size === 0 ? NO_ROWS : [...selected].flatMap((id) => model.byId.get(id) ?? [])),
    [selected, model],
  );
  const hiddenSelected = useMemo(() => {
    if (selectedRows.length === 0) return 0;
    const shown = new Set(Object.values(model.columns).flat());
    return selectedRows.filter((s) => !shown.has(s)).length;
  }, [selectedRows, model]);

  const otherFilters = filters.statuses.length > 0 || filters.driver !== null || filters.flags.length > 0;
  const clearFilters = () => void setParams({ q: null, status: null, driver: null, flag: null });

  return (
    <div className="flex min-h-dvh flex-col lg:h-dvh">
      <AppHeader userName={me.name}>
        <nav aria-label="Depots" className="flex gap-1">
          {depots.map((d) => (
            <OnlineOnlyLink
              key={d.id}
              href={`/board/${d.id}`}
              aria-current={d.id === depot.id ? 'page' : undefined}
              className={`rounded-md px-2 py-1 text-sm ${d.id === depot.id ? 'bg-indigo-600 text-white' : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800'}`}
            >
              {d.name}
            </OnlineOnlyLink>
          ))}
        </nav>
        <PresenceList members={members} meId={me.id} />
      </AppHeader>

      <main
        id="main"
        ref={mainRef}
        tabIndex={-1}
        className="mx-auto flex w-full max-w-[1800px] min-h-0 flex-1 flex-col gap-2 px-3 py-2 outline-none lg:px-4"
      >
        <div className="flex flex-wrap items-center gap-x-4 gap-y-1">
          <h1 className="text-xl font-semibold tracking-tight">{depot.name}</h1>
          <span
            className="text-sm text-slate-600 tabular-nums dark:text-slate-400"
            data-testid="board-count"
            data-visible={model.visible}
            data-seq={board?.watermark ?? 0}
          >
            {model.visible === model.total
              ? `${model.total} shipments`
              : `${model.visible} of ${model.total} shipments`}{' '}
            · seq {board?.watermark ?? 0}
          </span>
          <div className="ml-auto flex items-center gap-2">
            <button
              type="button"
              aria-pressed={params.map}
              onClick={() => void setParams({ map: !params.map })}
              className="rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 ring-1 ring-slate-300 ring-inset hover:bg-slate-100 aria-pressed:bg-slate-800 aria-pressed:text-white dark:text-slate-200 dark:ring-slate-700 dark:hover:bg-slate-800 dark:aria-pressed:bg-slate-200 dark:aria-pressed:text-slate-900"
            >
              Map
            </button>
            <button
              type="button"
              data-testid="new-shipment"
              onClick={() => setCreating(true)}
              disabled={offline}
              title={offline ? 'You are offline: creating a shipment needs the connection.' : undefined}
              className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 disabled:cursor-not-allowed disabled:bg-slate-300 disabled:text-slate-600 dark:disabled:bg-slate-700 dark:disabled:text-slate-400"
            >
              New shipment
            </button>
          </div>
        </div>

        <BoardToolbar
          filters={filters}
          model={model}
          people={people}
          onChange={(patch) => void setParams(patch)}
          onClear={clearFilters}
        />
        <ExceptionAlerts
          failed={failed}
          refusals={refusals}
          driverNames={driverNames}
          onOpen={openShipment}
          onDismissRefusal={(id) => refusalStore.clear(id)}
          onShowFailed={() =>
            void setParams({ status: ['failed'], collapsed: params.collapsed.filter((s) => s !== 'failed') })
          }
        />
        <BulkAssignBar
          selected={selectedRows}
          hidden={hiddenSelected}
          people={people}
          offline={offline}
          onClear={() => setSelected(new Set())}
          onRefused={onRefused}
          onSaved={onSaved}
        />

        <div className="flex h-[75dvh] min-h-0 gap-3 lg:h-auto lg:flex-1">
          <div className={`min-h-0 min-w-0 flex-1 ${openId ? 'hidden lg:flex' : 'flex'}`}>
            {model.visible === 0 ? (
              <EmptyBoard
                total={model.total}
                query={filters.query}
                otherFilters={otherFilters}
                onClearSearch={() => void setParams({ q: null })}
                onClearFilters={clearFilters}
                onCreate={() => setCreating(true)}
              />
            ) : (
              <BoardColumns
                model={model}
                statuses={statuses}
                collapsed={collapsed}
                context={context}
                onToggleCollapsed={toggleCollapsed}
                onSelectAll={selectAll}
                onActiveCard={setActiveId}
                handle={columnsHandle}
              />
            )}
          </div>
          {params.map && (
            <div className={`w-[22rem] shrink-0 ${openId ? 'hidden 2xl:block' : 'hidden md:block'}`}>
              <MapPanel depot={depot} shipments={rows} positions={positions} driverNames={driverNames} />
            </div>
          )}
          {openId && (
            <ShipmentDrawer
              key={openId}
              shipment={openRow}
              shipmentId={openId}
              depotId={depot.id}
              people={people}
              meId={me.id}
              members={members}
              notes={notes?.rows ?? []}
              flag={model.flagged.get(openId) ?? null}
              now={now}
              refusal={refusals.get(openId) ?? null}
              offline={offline}
              setActivity={setActivity}
              onRefused={onRefused}
              onSaved={onSaved}
              onDismissRefusal={(id) => refusalStore.clear(id)}
              onClose={() => void setParams({ shipment: null })}
            />
          )}
        </div>

        {/* Exceptions only (a failure, a shipment turning late): never every change. */}
        <p aria-live="polite" className="sr-only" data-testid="announcer">
          {announcement}
        </p>
      </main>

      <NewShipmentDialog
        open={creating}
        depotId={depot.id}
        depotName={depot.name}
        rows={rows}
        people={people}
        offline={offline}
        onClose={() => setCreating(false)}
        onCreated={(row) => {
          setActiveId(row.id);
          mark([row.id]);
          requestAnimationFrame(() => columnsHandle.current?.focusCard(row.id));
        }}
      />
    </div>
  );
}
