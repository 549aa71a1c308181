'use client';

import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useImperativeHandle, useRef, useSyncExternalStore, type Ref } from 'react';
import { lateBy, type ShipmentFlag } from '@/lib/shipments/exceptions';
import type { Shipment, ShipmentStatus } from '@/lib/shipments/schema';
import { STATUS_LABEL } from '@/lib/shipments/status';
import { ShipmentCard } from './shipment-card';

/** What the board tells every column about the cards it may show. */
export interface CardContext {
  driverNames: Map<string, string>;
  viewing: Map<string, string[]>;
  editing: Map<string, string[]>;
  unread: Map<string, number>;
  flagged: Map<string, ShipmentFlag>;
  refused: ReadonlySet<string>;
  selected: ReadonlySet<string>;
  changed: ReadonlyMap<string, number>;
  /** The card holding the board's tab stop. */
  tabStop: string | null;
  now: number;
  onOpen: (id: string) => void;
  onToggleSelect: (id: string) => void;
}

/** How the board moves focus into a column (keyboard navigation, focus return). */
export interface ColumnHandle {
  /** Scrolls the card at `index` into view and focuses it; false when out of range. */
  focusIndex(index: number): boolean;
  indexOf(id: string): number;
  size(): number;
}

interface Props {
  status: ShipmentStatus;
  items: Shipment[];
  /** Shipments in this status before filters. */
  total: number;
  collapsed: boolean;
  context: CardContext;
  onToggleCollapsed: (status: ShipmentStatus) => void;
  onSelectAll: (ids: string[], select: boolean) => void;
  handle: Ref<ColumnHandle>;
}

/** A card's height before it is measured (px); cards with markers are taller. */
const ESTIMATED_CARD = 82;
const GAP = 8;

const noSubscription = () => () => {};
/**
 * False while rendering on the server and hydrating, true after. Positions come
 * from inline styles, which the Content-Security-Policy refuses in server HTML
 * (no 'unsafe-inline'); set by React on the client (CSSOM), they are allowed.
 */
function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

/**
 * One status column: a sticky header with the count, and its cards in a
 * virtualized list (TanStack Virtual), so the DOM holds only the cards in
 * view plus a few, whether the column has 10 or 10,000. Collapsed, it is a
 * narrow rail with the status and count.
 */
export const BoardColumn = memo(function BoardColumn({
  status,
  items,
  total,
  collapsed,
  context,
  onToggleCollapsed,
  onSelectAll,
  handle,
}: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const hydrated = useHydrated();
  // TanStack Virtual hands out fresh functions by design; the compiler leaves this component as written.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: collapsed ? 0 : items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_CARD,
    getItemKey: (index) => items[index].id,
    overscan: 6,
    gap: GAP,
    paddingStart: 2,
    paddingEnd: 8,
    // What the server renders (and hydration reuses) before the column is measured.
    initialRect: { width: 240, height: 900 },
  });

  const itemsRef = useRef(items);
  useEffect(() => {
    itemsRef.current = items;
  }, [items]);
  useImperativeHandle(
    handle,
    () => ({
      size: () => itemsRef.current.length,
      indexOf: (id) => itemsRef.current.findIndex((s) => s.id === id),
      focusIndex(index) {
        if (index < 0 || index >= itemsRef.current.length) return false;
        const id = itemsRef.current[index].id;
        virtualizer.scrollToIndex(index, { align: 'auto' });
        // The card may mount only after the scroll: try on the next frames.
        let tries = 0;
        const focus = () => {
          const el = scrollRef.current?.querySelector<HTMLElement>(`[data-card-id="${id}"]`);
          if (el) el.focus();
          else if (tries++ < 10) requestAnimationFrame(focus);
        };
        focus();
        return true;
      },
    }),
    [virtualizer],
  );

  const toggle = useCallback(() => onToggleCollapsed(status), [onToggleCollapsed, status]);
  const label = STATUS_LABEL[status];
  const count = items.length;
  const filtered = count !== total;

  if (collapsed) {
    return (
      <section
        aria-labelledby={`col-${status}`}
        data-testid={`column-${status}`}
        data-collapsed="true"
        className="flex w-11 shrink-0 snap-start flex-col items-center rounded-lg border border-slate-200 bg-slate-100/70 py-2 dark:border-slate-800 dark:bg-slate-900/60"
      >
        <h2 id={`col-${status}`} className="contents">
          <button
            type="button"
            aria-expanded={false}
            onClick={toggle}
            title={`Show the ${label} column`}
            className="flex flex-1 flex-col items-center gap-2 rounded px-1 text-sm font-semibold text-slate-700 hover:text-indigo-700 dark:text-slate-300"
          >
            <span aria-hidden>▸</span>
            <span className="[writing-mode:vertical-rl]">{label}</span>
            <span className="rounded-full bg-white px-1.5 text-xs font-normal tabular-nums dark:bg-slate-800">
              <span className="sr-only">, </span>
              {count}
              <span className="sr-only"> shipments, collapsed</span>
            </span>
          </button>
        </h2>
      </section>
    );
  }

  const virtualItems = virtualizer.getVirtualItems();
  const allSelected = context.selected.size > 0 && count > 0 && items.every((s) => context.selected.has(s.id));
  return (
    <section
      aria-labelledby={`col-${status}`}
      data-testid={`column-${status}`}
      className="flex min-h-0 w-[82vw] min-w-[82vw] flex-1 snap-start flex-col sm:w-56 sm:min-w-[13.5rem] rounded-lg bg-slate-100/70 dark:bg-slate-900/60"
    >
      <div className="flex items-center gap-2 border-b border-slate-200 px-2.5 py-2 dark:border-slate-800">
        <h2 id={`col-${status}`} className="flex min-w-0 flex-1 items-baseline gap-1.5 text-sm font-semibold">
          <button
            type="button"
            aria-expanded
            onClick={toggle}
            title={`Collapse the ${label} column`}
            className="flex items-baseline gap-1.5 rounded hover:text-indigo-700 dark:hover:text-indigo-300"
          >
            <span aria-hidden className="text-xs text-slate-500 dark:text-slate-400">
              ▾
            </span>
            {label}
          </button>
          <span data-testid={`count-${status}`} className="font-normal text-slate-600 tabular-nums dark:text-slate-400">
            {count}
            {filtered && <span className="text-xs"> of {total}</span>}
          </span>
        </h2>
        {count > 0 && (
          <input
            type="checkbox"
            checked={allSelected}
            onChange={() =>
              onSelectAll(
                items.map((s) => s.id),
                !allSelected,
              )
            }
            aria-label={`Select all ${count} ${label} shipments`}
            title="Select all in this column"
            className="h-4 w-4 cursor-pointer accent-indigo-600"
          />
        )}
      </div>
      {/* Focusable, so a keyboard can scroll it even when the board's one card stop is in another column (WCAG 2.1.1; axe: scrollable-region-focusable). */}
      <div
        ref={scrollRef}
        tabIndex={0}
        className="min-h-0 flex-1 overflow-y-auto px-1.5 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-500"
        data-testid={`scroll-${status}`}
      >
        {count === 0 ? (
          <p className="px-1 py-3 text-xs text-slate-600 dark:text-slate-400">
            {total === 0 ? 'No shipments.' : 'None match the filters.'}
          </p>
        ) : (
          <ul
            aria-label={`${label} shipments`}
            className={hydrated ? 'relative' : 'space-y-2 pt-0.5'}
            style={hydrated ? { height: virtualizer.getTotalSize() } : undefined}
          >
            {virtualItems.map((row) => {
              const s = items[row.index];
              return (
                <li
                  key={row.key}
                  data-index={row.index}
                  ref={hydrated ? virtualizer.measureElement : undefined}
                  aria-setsize={count}
                  aria-posinset={row.index + 1}
                  className={hydrated ? 'absolute top-0 left-0 w-full' : undefined}
                  style={hydrated ? { transform: `translateY(${row.start}px)` } : undefined}
                >
                  <ShipmentCard
                    shipment={s}
                    driverName={s.driver_id ? (context.driverNames.get(s.driver_id) ?? 'Driver') : null}
                    viewers={context.viewing.get(s.id)?.join(', ') ?? ''}
                    editors={context.editing.get(s.id)?.join(', ') ?? ''}
                    unread={context.unread.get(s.id) ?? 0}
                    flag={context.flagged.get(s.id) ?? null}
                    lateLabel={context.flagged.get(s.id) === 'late' ? lateBy(s, context.now) : null}
                    refused={context.refused.has(s.id)}
                    selected={context.selected.has(s.id)}
                    tabbable={context.tabStop === s.id}
                    changedAt={context.changed.get(s.id)}
                    onOpen={context.onOpen}
                    onToggleSelect={context.onToggleSelect}
                  />
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </section>
  );
});
