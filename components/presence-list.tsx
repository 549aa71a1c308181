'use client';

import type { OnlineMember } from '@/lib/shipments/use-depot-live';

/** Who is online in the depot right now. */
export function PresenceList({ members, meId }: { members: OnlineMember[]; meId: string }) {
  return (
    <section
      aria-label="Online now"
      data-testid="presence-list"
      className="flex flex-wrap items-center gap-1.5 text-xs"
    >
      <span className="text-slate-600 dark:text-slate-400">Online:</span>
      {members.length === 0 && <span className="text-slate-400">just you (connecting…)</span>}
      {members.map((m) => (
        <span
          key={m.userId}
          data-testid="presence-member"
          title={`${m.role}${m.tabs > 1 ? `, ${m.tabs} tabs` : ''}`}
          className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 ${m.role === 'driver' ? 'bg-violet-100 text-violet-900 dark:bg-violet-900/40 dark:text-violet-200' : 'bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-200'}`}
        >
          <span aria-hidden className="h-1.5 w-1.5 rounded-full bg-emerald-500" />
          {m.name}
          {m.userId === meId && ' (you)'}
        </span>
      ))}
    </section>
  );
}
