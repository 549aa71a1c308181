'use client';

import { QueryClientProvider } from '@tanstack/react-query';
import { NuqsAdapter } from 'nuqs/adapters/next/app';
import type { ReactNode } from 'react';
import { z } from 'zod';
import { getQueryClient } from '@/lib/query-client';

// zod compiles parsers with `new Function` when it can; the CSP forbids eval,
// so use its interpreter in the browser (and never trip a CSP report).
z.config({ jitless: true });

export function Providers({ children }: { children: ReactNode }) {
  // Not useState: React discards state of a render that suspends before its
  // first commit, and with it the cache (TanStack's Advanced SSR guide).
  const queryClient = getQueryClient();
  return (
    <QueryClientProvider client={queryClient}>
      {/* URL state (the board's filters and drawer) updated with the History API: no server round trip. */}
      <NuqsAdapter>{children}</NuqsAdapter>
    </QueryClientProvider>
  );
}
