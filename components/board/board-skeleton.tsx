import { AppHeader } from '@/components/app-header';
import type { Depot } from '@/lib/shipments/queries';
import { SHIPMENT_STATUSES } from '@/lib/shipments/schema';
import { STATUS_LABEL } from '@/lib/shipments/status';

/**
 * The board's first bytes: its frame (header, title,
 * columns) while the shipments stream in, so the page starts painting before
 * the depot's rows are read. Static markup, no inline styles (the CSP).
 */
export function BoardSkeleton({ depot, userName }: { depot: Depot; userName: string }) {
  return (
    <div className="flex min-h-dvh flex-col lg:h-dvh">
      {/* No badge here: while the rows stream, the board's own header (with the one live badge) is already in the document, hidden. */}
      <AppHeader userName={userName} connection={false} />
      <main
        id="main"
        aria-busy="true"
        className="mx-auto flex w-full max-w-[1800px] flex-1 flex-col gap-2 px-3 py-2 lg:px-4"
      >
        <div className="flex items-center gap-4">
          <h1 className="text-xl font-semibold tracking-tight">{depot.name}</h1>
          <span className="text-sm text-slate-600 dark:text-slate-400" role="status">
            Loading shipments…
          </span>
        </div>
        <div className="h-16 animate-pulse rounded-lg bg-slate-100 motion-reduce:animate-none dark:bg-slate-900" />
        <div className="flex min-h-0 flex-1 gap-2.5 overflow-hidden">
          {SHIPMENT_STATUSES.map((status) => (
            <section
              key={status}
              aria-label={STATUS_LABEL[status]}
              className={`flex flex-col rounded-lg bg-slate-100/70 p-2.5 dark:bg-slate-900/60 ${status === 'delivered' || status === 'cancelled' ? 'w-11' : 'w-56 min-w-[13.5rem] flex-1'}`}
            >
              <h2 className="truncate text-sm font-semibold text-slate-600 dark:text-slate-400">
                {STATUS_LABEL[status]}
              </h2>
            </section>
          ))}
        </div>
      </main>
    </div>
  );
}
