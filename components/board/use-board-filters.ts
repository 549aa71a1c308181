'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo } from 'react';
import { SHIPMENT_STATUSES, type Shipment, type ShipmentStatus } from '@/lib/shipments/schema';

export interface BoardFilters {
  statuses: ShipmentStatus[];
  driver: string | null; // a driver id, 'none' for unassigned, or null for all
  query: string;
  shipment: string | null; // the open detail drawer
}

/** Board filters and the open shipment, kept in the URL so they survive reloads and can be shared. */
export function useBoardFilters() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();

  const filters = useMemo<BoardFilters>(() => {
    const statuses = (params.get('status') ?? '')
      .split(',')
      .filter((s): s is ShipmentStatus => (SHIPMENT_STATUSES as readonly string[]).includes(s));
    return {
      statuses,
      driver: params.get('driver'),
      query: params.get('q') ?? '',
      shipment: params.get('shipment'),
    };
  }, [params]);

  const setFilters = useCallback(
    (patch: Partial<BoardFilters>) => {
      const next = { ...filters, ...patch };
      const search = new URLSearchParams();
      if (next.statuses.length) search.set('status', next.statuses.join(','));
      if (next.driver) search.set('driver', next.driver);
      if (next.query) search.set('q', next.query);
      if (next.shipment) search.set('shipment', next.shipment);
      const query = search.toString();
      router.replace(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [filters, pathname, router],
  );

  return { filters, setFilters };
}

export function matchesFilters(shipment: Shipment, filters: BoardFilters, driverNames: Map<string, string>): boolean {
  if (filters.statuses.length && !filters.statuses.includes(shipment.status)) return false;
  if (filters.driver === 'none' && shipment.driver_id) return false;
  if (filters.driver && filters.driver !== 'none' && shipment.driver_id !== filters.driver) return false;
  if (filters.query) {
    const needle = filters.query.toLowerCase();
    const haystack = [
      shipment.reference,
      shipment.recipient,
      shipment.address,
      shipment.driver_id ? driverNames.get(shipment.driver_id) : '',
    ]
      .join(' ')
      .toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}
