import { isServer, QueryClient } from '@tanstack/react-query';

// The one place the app's QueryClient is made, as TanStack Query's "Advanced
// Server Rendering" guide does it: a new client for every server request (a
// shared one would leak one user's data into another's render), one client for
// the browser tab, kept outside React so a suspending render cannot lose it.

/** A QueryClient with the app's defaults (the server prefetch and the browser use the same ones). */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Above 0 so the browser does not refetch what the server just rendered;
        // live deltas keep the caches fresh after that.
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: 2,
      },
    },
  });
}

let browserQueryClient: QueryClient | undefined;

/** On the server a fresh client per call (per request); in the browser the tab's single client. */
export function getQueryClient(): QueryClient {
  if (isServer) return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}
