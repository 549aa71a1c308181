'use client';

import type { DriverNotice } from '@/lib/shipments/driver-notices';

const TONE = {
  info: 'border-sky-300 bg-sky-50 text-sky-950 dark:border-sky-800 dark:bg-sky-950/60 dark:text-sky-100',
  success:
    'border-emerald-300 bg-emerald-50 text-emerald-950 dark:border-emerald-800 dark:bg-emerald-950/60 dark:text-emerald-100',
  warning: 'border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-800 dark:bg-amber-950/60 dark:text-amber-100',
  error: 'border-red-300 bg-red-50 text-red-950 dark:border-red-800 dark:bg-red-950/60 dark:text-red-100',
} as const;

/** What happened while the driver looked elsewhere: newest first, each until dismissed; read out politely. */
export function NoticeList({ notices, onDismiss }: { notices: DriverNotice[]; onDismiss: (id: string) => void }) {
  return (
    <section aria-label="Notices" role="status" aria-live="polite" className="space-y-2 empty:hidden">
      {notices.map((n) => (
        <div
          key={n.id}
          data-testid="notice"
          data-tone={n.tone}
          className={`flex items-start justify-between gap-3 rounded-lg border px-3 py-2 text-sm ${TONE[n.tone]}`}
        >
          <p>{n.text}</p>
          <button
            type="button"
            onClick={() => onDismiss(n.id)}
            aria-label="Dismiss this notice"
            className="-m-1 min-h-9 min-w-9 shrink-0 rounded p-1 opacity-70 hover:opacity-100"
          >
            ✕
          </button>
        </div>
      ))}
    </section>
  );
}
