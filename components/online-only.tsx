'use client';

import Link from 'next/link';
import { useSyncExternalStore, type ComponentProps, type MouseEvent } from 'react';

// Navigating or posting to the server while offline would land on the
// browser's "no internet" page and lose what is on screen. These controls stay
// put instead, look disabled and say why.

function subscribe(onChange: () => void): () => void {
  window.addEventListener('online', onChange);
  window.addEventListener('offline', onChange);
  return () => {
    window.removeEventListener('online', onChange);
    window.removeEventListener('offline', onChange);
  };
}

/** Whether the browser says it is online (true on the server and while hydrating). */
export function useBrowserOnline(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => navigator.onLine,
    () => true,
  );
}

export const OFFLINE_HINT = 'You are offline: this needs the connection.';

/** A next/link that does nothing while offline (aria-disabled, with the reason as its description). */
export function OnlineOnlyLink({ onClick, title, className = '', ...props }: ComponentProps<typeof Link>) {
  const online = useBrowserOnline();
  return (
    <Link
      {...props}
      aria-disabled={online ? undefined : true}
      title={online ? title : OFFLINE_HINT}
      className={`${className} aria-disabled:cursor-not-allowed aria-disabled:opacity-50`}
      onClick={(event: MouseEvent<HTMLAnchorElement>) => {
        if (!navigator.onLine) event.preventDefault();
        else onClick?.(event);
      }}
    />
  );
}

/** A submit button that is disabled while offline, with the reason as its title and description. */
export function OnlineOnlySubmit({ children, className = '', ...props }: ComponentProps<'button'>) {
  const online = useBrowserOnline();
  return (
    <button
      {...props}
      type="submit"
      disabled={!online || props.disabled}
      title={online ? props.title : OFFLINE_HINT}
      className={`${className} disabled:cursor-not-allowed disabled:opacity-50`}
    >
      {children}
    </button>
  );
}
