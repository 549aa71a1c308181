import Link from 'next/link';
import type { ReactNode } from 'react';
import { ConnectionBadge } from './connection-badge';

/** Top bar: product name, a slot for page controls, the live badge and the signed-in person. */
export function AppHeader({ userName, children }: { userName: string; children?: ReactNode }) {
  return (
    <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/90 backdrop-blur dark:border-slate-800 dark:bg-slate-950/90">
      <div className="mx-auto flex max-w-[1600px] flex-wrap items-center gap-3 px-4 py-2">
        <Link href="/" className="font-semibold tracking-tight">
          Switchboard
        </Link>
        <div className="flex flex-1 flex-wrap items-center gap-3">{children}</div>
        <ConnectionBadge />
        <span className="text-sm text-slate-600 dark:text-slate-400">{userName}</span>
        <form action="/auth/signout" method="post">
          <button
            type="submit"
            className="rounded-md px-2 py-1 text-sm text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
          >
            Sign out
          </button>
        </form>
      </div>
    </header>
  );
}
