'use client';

import { useEffect, useRef } from 'react';
import { BOARD_SORTS, SORT_LABEL, type BoardFilters, type BoardModel, type BoardSort } from '@/lib/shipments/board';
import { FLAG_LABEL, SHIPMENT_FLAGS, type ShipmentFlag } from '@/lib/shipments/exceptions';
import type { Person } from '@/lib/shipments/queries';
import type { ShipmentStatus } from '@/lib/shipments/schema';
import { STATUS_LABEL } from '@/lib/shipments/status';

interface Props {
  filters: BoardFilters;
  model: BoardModel;
  people: Person[];
  onChange: (
    patch: Partial<{
      q: string;
      status: ShipmentStatus[];
      driver: string | null;
      flag: ShipmentFlag[];
      sort: BoardSort;
    }>,
  ) => void;
  onClear: () => void;
}

const chip = (on: boolean) =>
  `rounded-full px-2.5 py-1 text-xs font-medium ${on ? 'bg-indigo-600 text-white dark:bg-indigo-500' : 'bg-white text-slate-700 ring-1 ring-slate-300 ring-inset hover:bg-slate-100 dark:bg-slate-900 dark:text-slate-300 dark:ring-slate-700 dark:hover:bg-slate-800'}`;
const field = 'rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900';

/**
 * Search, driver and exception filters (late, at risk, failed) and the sort
 * order: all in the URL, applied in the browser. Columns themselves collapse
 * from their headers.
 */
export function BoardToolbar({ filters, model, people, onChange, onClear }: Props) {
  const search = useRef<HTMLInputElement>(null);
  const active =
    filters.query !== '' || filters.statuses.length > 0 || filters.driver !== null || filters.flags.length > 0;

  // "/" jumps to the search box from anywhere on the board (not while typing).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      e.preventDefault();
      search.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const failedOnly = filters.statuses.length === 1 && filters.statuses[0] === 'failed';
  return (
    <form
      role="search"
      aria-label="Filter shipments"
      className="flex flex-wrap items-center gap-x-3 gap-y-2"
      onSubmit={(e) => e.preventDefault()}
    >
      <label className="relative w-full text-sm sm:w-auto">
        <span className="sr-only">Search</span>
        <input
          ref={search}
          type="search"
          data-testid="filter-query"
          value={filters.query}
          onChange={(e) => onChange({ q: e.target.value })}
          placeholder="Search reference, recipient, address, driver"
          autoComplete="off"
          aria-keyshortcuts="/"
          className={`${field} w-full pr-7 sm:w-72`}
        />
        <kbd
          aria-hidden
          className="pointer-events-none absolute top-1/2 right-2 -translate-y-1/2 rounded border border-slate-300 px-1 text-[10px] text-slate-500 dark:border-slate-600 dark:text-slate-400"
        >
          /
        </kbd>
      </label>
      <label className="flex items-center gap-1.5 text-sm">
        <span className="text-slate-600 dark:text-slate-400">Driver</span>
        <select
          data-testid="filter-driver"
          value={filters.driver ?? ''}
          onChange={(e) => onChange({ driver: e.target.value || null })}
          className={field}
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
      <label className="flex items-center gap-1.5 text-sm">
        <span className="text-slate-600 dark:text-slate-400">Sort</span>
        <select
          data-testid="sort"
          value={filters.sort}
          onChange={(e) => onChange({ sort: e.target.value as BoardSort })}
          className={field}
        >
          {BOARD_SORTS.map((s) => (
            <option key={s} value={s}>
              {SORT_LABEL[s]}
              {s === 'eta' ? ' (soonest first)' : s === 'updated' ? ' (newest first)' : ' (A–Z)'}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="flex items-center gap-1.5 text-sm">
        <legend className="float-left mr-0.5 text-slate-600 dark:text-slate-400">Show only</legend>
        {SHIPMENT_FLAGS.map((flag) => {
          const on = filters.flags.includes(flag);
          return (
            <button
              key={flag}
              type="button"
              aria-pressed={on}
              data-testid={`filter-flag-${flag}`}
              onClick={() =>
                onChange({ flag: on ? filters.flags.filter((f) => f !== flag) : [...filters.flags, flag] })
              }
              className={chip(on)}
            >
              {FLAG_LABEL[flag]} <span className="tabular-nums opacity-80">{model.flagCounts[flag]}</span>
            </button>
          );
        })}
        <button
          type="button"
          aria-pressed={failedOnly}
          data-testid="filter-failed"
          onClick={() => onChange({ status: failedOnly ? [] : ['failed'] })}
          className={chip(failedOnly)}
        >
          {STATUS_LABEL.failed} <span className="tabular-nums opacity-80">{model.totals.failed}</span>
        </button>
      </fieldset>
      {active && (
        <button
          type="button"
          onClick={onClear}
          data-testid="clear-filters"
          className="rounded-md px-2 py-1 text-sm text-indigo-700 underline hover:bg-indigo-50 dark:text-indigo-300 dark:hover:bg-slate-800"
        >
          Clear filters
        </button>
      )}
    </form>
  );
}
