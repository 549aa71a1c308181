'use client';

interface Props {
  /** Shipments held before filters. */
  total: number;
  query: string;
  /** Filters other than the search are on. */
  otherFilters: boolean;
  onClearSearch: () => void;
  onClearFilters: () => void;
  onCreate: () => void;
}

/** What the board says when nothing is shown: no match for the search or filters, or no shipments at all. */
export function EmptyBoard({ total, query, otherFilters, onClearSearch, onClearFilters, onCreate }: Props) {
  return (
    <div
      data-testid="empty-results"
      role="status"
      className="flex flex-1 flex-col items-center justify-center gap-3 rounded-lg border border-dashed border-slate-300 p-8 text-center dark:border-slate-700"
    >
      {total === 0 ? (
        <>
          <p className="text-base font-medium">No shipments in this depot yet.</p>
          <button
            type="button"
            onClick={onCreate}
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500"
          >
            Create the first one
          </button>
        </>
      ) : (
        <>
          <p className="text-base font-medium">
            {query ? (
              <>
                No shipments match <q className="font-semibold">{query}</q>
                {otherFilters && ' with these filters'}.
              </>
            ) : (
              'No shipments match these filters.'
            )}
          </p>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            {total} shipments are on this board; search looks at references, recipients, addresses and drivers.
          </p>
          <div className="flex gap-2">
            {query && (
              <button
                type="button"
                onClick={onClearSearch}
                className="rounded-md px-3 py-1.5 text-sm font-medium ring-1 ring-slate-300 ring-inset hover:bg-slate-100 dark:ring-slate-700 dark:hover:bg-slate-800"
              >
                Clear search
              </button>
            )}
            {(otherFilters || query) && (
              <button
                type="button"
                onClick={onClearFilters}
                className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500"
              >
                Clear all filters
              </button>
            )}
          </div>
        </>
      )}
    </div>
  );
}
