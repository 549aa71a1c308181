// The app's one QueryClient factory (lib/query-client.ts).
import { describe, expect, it } from 'vitest';
import { getQueryClient, makeQueryClient } from '../../lib/query-client';

describe('makeQueryClient / getQueryClient', () => {
  it('gives server-rendered data a stale time, so the browser does not refetch it at once', () => {
    const queries = makeQueryClient().getDefaultOptions().queries;
    expect(queries?.staleTime).toBe(30_000);
    expect(queries?.refetchOnWindowFocus).toBe(false);
  });

  it('on the server, makes a new client per call: requests never share a cache', () => {
    const a = getQueryClient();
    const b = getQueryClient();
    expect(a).not.toBe(b);
    a.setQueryData(['who'], 'user a');
    expect(b.getQueryData(['who'])).toBeUndefined();
    expect(b.getDefaultOptions().queries?.staleTime).toBe(30_000);
  });
});
