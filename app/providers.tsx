'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { z } from 'zod';

// zod compiles parsers with `new Function` when it can; the CSP forbids eval,
// so use its interpreter in the browser (and never trip a CSP report).
z.config({ jitless: true });

export function Providers({ children }: { children: ReactNode }) {
  // One client per browser tab (per request on the server), never a module global.
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: { queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: 2 } },
      }),
  );
  return <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
}
