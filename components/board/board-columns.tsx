'use client';

import {
  createRef,
  useCallback,
  useImperativeHandle,
  useMemo,
  type KeyboardEvent,
  type Ref,
  type RefObject,
} from 'react';
import type { BoardModel } from '@/lib/shipments/board';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '@/lib/shipments/schema';
import { BoardColumn, type CardContext, type ColumnHandle } from './board-column';

export interface BoardColumnsHandle {
  /** Scrolls to a card and focuses it (e.g. when its drawer closes); false if it is not on the board. */
  focusCard(id: string): boolean;
}

interface Props {
  model: BoardModel;
  statuses: ShipmentStatus[];
  collapsed: ReadonlySet<ShipmentStatus>;
  context: CardContext;
  onToggleCollapsed: (status: ShipmentStatus) => void;
  onSelectAll: (ids: string[], select: boolean) => void;
  onActiveCard: (id: string) => void;
  handle: Ref<BoardColumnsHandle>;
}

const PAGE = 5;

/**
 * The columns side by side, scrolling sideways when they do not fit, with one
 * tab stop for all cards: arrow keys move between cards (up/down within a
 * column, left/right across columns), Home/End and PageUp/PageDown jump,
 * Enter opens, Space on the checkbox selects.
 */
export function BoardColumns({
  model,
  statuses,
  collapsed,
  context,
  onToggleCollapsed,
  onSelectAll,
  onActiveCard,
  handle,
}: Props) {
  const handles = useMemo(
    () =>
      Object.fromEntries(SHIPMENT_STATUSES.map((s) => [s, createRef<ColumnHandle>()])) as Record<
        ShipmentStatus,
        RefObject<ColumnHandle | null>
      >,
    [],
  );
  const open = statuses.filter((s) => !collapsed.has(s));

  const locate = useCallback(
    (id: string): { status: ShipmentStatus; index: number } | null => {
      for (const status of open) {
        const index = handles[status].current?.indexOf(id) ?? -1;
        if (index !== -1) return { status, index };
      }
      return null;
    },
    [open, handles],
  );

  useImperativeHandle(
    handle,
    () => ({
      focusCard(id) {
        const at = locate(id);
        return at ? (handles[at.status].current?.focusIndex(at.index) ?? false) : false;
      },
    }),
    [locate, handles],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    const card = target.closest<HTMLElement>('.card-shell')?.querySelector<HTMLElement>('[data-card-id]');
    const id = card?.dataset.cardId;
    if (!id || event.altKey || event.ctrlKey || event.metaKey) return;
    const at = locate(id);
    if (!at) return;
    const column = handles[at.status].current;
    const size = column?.size() ?? 0;
    let moved = false;
    switch (event.key) {
      case 'ArrowDown':
        moved = column?.focusIndex(Math.min(size - 1, at.index + 1)) ?? false;
        break;
      case 'ArrowUp':
        moved = column?.focusIndex(Math.max(0, at.index - 1)) ?? false;
        break;
      case 'PageDown':
        moved = column?.focusIndex(Math.min(size - 1, at.index + PAGE)) ?? false;
        break;
      case 'PageUp':
        moved = column?.focusIndex(Math.max(0, at.index - PAGE)) ?? false;
        break;
      case 'Home':
        moved = column?.focusIndex(0) ?? false;
        break;
      case 'End':
        moved = column?.focusIndex(size - 1) ?? false;
        break;
      case 'ArrowLeft':
      case 'ArrowRight': {
        const step = event.key === 'ArrowLeft' ? -1 : 1;
        const position = open.indexOf(at.status);
        for (let i = position + step; i >= 0 && i < open.length; i += step) {
          const next = handles[open[i]].current;
          const nextSize = next?.size() ?? 0;
          if (next && nextSize > 0) {
            moved = next.focusIndex(Math.min(at.index, nextSize - 1));
            break;
          }
        }
        break;
      }
      default:
        return;
    }
    // Keys that move stay on the board (no page or column scrolling of their own).
    event.preventDefault();
    void moved;
  };

  const onFocus = (event: React.FocusEvent<HTMLDivElement>) => {
    const id = (event.target as HTMLElement)
      .closest<HTMLElement>('.card-shell')
      ?.querySelector<HTMLElement>('[data-card-id]')?.dataset.cardId;
    if (id) onActiveCard(id);
  };

  return (
    <div
      className="relative flex min-h-0 flex-1 snap-x snap-mandatory gap-2.5 overflow-x-auto pb-2 sm:snap-none"
      data-testid="board-columns"
      onKeyDown={onKeyDown}
      onFocus={onFocus}
    >
      {statuses.map((status) => (
        <BoardColumn
          key={status}
          status={status}
          items={model.columns[status]}
          total={model.totals[status]}
          collapsed={collapsed.has(status)}
          context={context}
          onToggleCollapsed={onToggleCollapsed}
          onSelectAll={onSelectAll}
          handle={handles[status]}
        />
      ))}
    </div>
  );
}
