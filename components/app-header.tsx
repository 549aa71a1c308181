import type { ReactNode } from 'react';
import { ConnectionBadge } from './connection-badge';
import { OnlineOnlyLink, OnlineOnlySubmit } from './online-only';

/**
 * Top bar (the page's banner landmark): a skip link to `#main`, product name,
 * a slot for page controls, the live badge and the signed-in person. Links and
 * sign-out do nothing while offline rather than open the browser's error page.
 * `connection={false}` leaves the badge out (a streaming placeholder: the page
 * that replaces it has the one live badge).
 */
export function AppHeader({
  userName,
  children,
  connection = true,
}: {
  userName: string;
  children?: ReactNode;
  connection?: boolean;
}) {
  return (
    <header className="sticky top-0 z-20 border-b border-slate-200 bg-white/95 backdrop-blur dark:border-slate-800 dark:bg-slate-950/95">
      <a
        href="#main"
        className="sr-only rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50"
      >
        Skip to main content
      </a>
      <div className="mx-auto flex max-w-[1800px] flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 lg:px-4">
        <OnlineOnlyLink href="/" className="font-semibold tracking-tight">
          Switchboard
        </OnlineOnlyLink>
        {/* On a phone the page's controls take a row of their own, below the badge. */}
        <div className="order-last flex min-w-0 basis-full flex-wrap items-center gap-x-3 gap-y-1 md:order-none md:flex-1 md:basis-auto">
          {children}
        </div>
        <span className="ml-auto md:ml-0">{connection && <ConnectionBadge />}</span>
        <span className="hidden text-sm text-slate-700 sm:inline dark:text-slate-300">{userName}</span>
        <form action="/auth/signout" method="post">
          <OnlineOnlySubmit className="rounded-md px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">
            Sign out
          </OnlineOnlySubmit>
        </form>
      </div>
    </header>
  );
}
