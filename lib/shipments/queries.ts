import type { SupabaseClient } from '@supabase/supabase-js';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import type { Database } from '@/lib/database.types';
import type { DepotBoard } from './merge';
import {
  changeFromEvent,
  shipmentEventSchema,
  shipmentSchema,
  type Shipment,
  type ShipmentChange,
  type ShipmentEvent,
} from './schema';

// The one place that defines the shipment domain's query keys and fetchers.
// The server prefetch and the client hooks both use it, so SSR hydration and
// live updates always agree on a key.

export type Supabase = SupabaseClient<Database>;

export const shipmentKeys = {
  all: ['shipments'] as const,
  board: (depotId: string) => ['shipments', 'board', depotId] as const,
  detail: (shipmentId: string) => ['shipments', 'detail', shipmentId] as const,
  history: (shipmentId: string) => ['shipments', 'history', shipmentId] as const,
  driver: (driverId: string) => ['shipments', 'driver', driverId] as const,
};

export const depotKeys = {
  mine: ['depots', 'mine'] as const,
  people: (depotId: string) => ['depots', 'people', depotId] as const,
};

const SHIPMENT_COLUMNS =
  'id, depot_id, reference, recipient, address, status, driver_id, eta, last_lat, last_lng, last_position_at, version, created_at, updated_at';

const shipmentList = z.array(shipmentSchema);

/** Turns a Supabase error into an Error whose message a person can act on. */
export function failure(what: string, error: { message: string; code?: string }): Error {
  return Object.assign(new Error(`${what}: ${error.message}`), { code: error.code });
}

/**
 * A depot's shipments with the seq watermark they include. The watermark is
 * read FIRST: the rows read after it contain at least every change up to it,
 * so catching up from it can only re-apply (harmless), never miss.
 */
export async function fetchDepotBoard(supabase: Supabase, depotId: string): Promise<DepotBoard> {
  const watermark = await supabase.rpc('depot_watermark', { depot: depotId });
  if (watermark.error) throw failure('Could not read the depot watermark', watermark.error);
  // Supabase caps a read at max_rows (1000 by default): page through.
  const shipments: Shipment[] = [];
  for (let from = 0; ; from += PAGE_SIZE) {
    const page = await supabase
      .from('shipments')
      .select(SHIPMENT_COLUMNS)
      .eq('depot_id', depotId)
      .order('reference')
      .order('id')
      .range(from, from + PAGE_SIZE - 1);
    if (page.error) throw failure('Could not load shipments', page.error);
    shipments.push(...shipmentList.parse(page.data));
    if (page.data.length < PAGE_SIZE) break;
  }
  return { watermark: Number(watermark.data ?? 0), shipments };
}

const PAGE_SIZE = 1000;

export function depotBoardQuery(supabase: Supabase, depotId: string) {
  return queryOptions({
    queryKey: shipmentKeys.board(depotId),
    queryFn: () => fetchDepotBoard(supabase, depotId),
    // Live deltas keep it fresh; a refetch is only needed after a reconnect,
    // and the seq catch-up does that incrementally.
    staleTime: Number.POSITIVE_INFINITY,
    // The merge functions already keep unchanged rows' identity; React Query's
    // deep comparison of thousands of rows on every delta would only cost time.
    structuralSharing: false,
  });
}

/** Committed changes of a depot after `afterSeq`, in seq order: the catch-up read. */
export async function fetchChangesAfter(
  supabase: Supabase,
  depotId: string,
  afterSeq: number,
  limit: number,
): Promise<ShipmentChange[]> {
  const { data, error } = await supabase
    .from('shipment_events')
    .select('id, depot_id, seq, shipment_id, operation, version, status, actor_id, changes, record, created_at')
    .eq('depot_id', depotId)
    .gt('seq', afterSeq)
    .order('seq')
    .limit(limit);
  if (error) throw failure('Could not catch up on changes', error);
  return z.array(shipmentEventSchema).parse(data).map(changeFromEvent);
}

export async function fetchShipment(supabase: Supabase, shipmentId: string): Promise<Shipment | null> {
  const { data, error } = await supabase.from('shipments').select(SHIPMENT_COLUMNS).eq('id', shipmentId).maybeSingle();
  if (error) throw failure('Could not load the shipment', error);
  return data ? shipmentSchema.parse(data) : null;
}

export function shipmentDetailQuery(supabase: Supabase, shipmentId: string) {
  return queryOptions({
    queryKey: shipmentKeys.detail(shipmentId),
    queryFn: () => fetchShipment(supabase, shipmentId),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export async function fetchShipmentHistory(supabase: Supabase, shipmentId: string): Promise<ShipmentEvent[]> {
  const { data, error } = await supabase
    .from('shipment_events')
    .select('id, depot_id, seq, shipment_id, operation, version, status, actor_id, changes, record, created_at')
    .eq('shipment_id', shipmentId)
    .order('seq', { ascending: false })
    .limit(100);
  if (error) throw failure('Could not load the history', error);
  return z.array(shipmentEventSchema).parse(data);
}

export function shipmentHistoryQuery(supabase: Supabase, shipmentId: string) {
  return queryOptions({
    queryKey: shipmentKeys.history(shipmentId),
    queryFn: () => fetchShipmentHistory(supabase, shipmentId),
  });
}

export async function fetchDriverShipments(supabase: Supabase, driverId: string): Promise<Shipment[]> {
  const { data, error } = await supabase
    .from('shipments')
    .select(SHIPMENT_COLUMNS)
    .eq('driver_id', driverId)
    .order('eta', { ascending: true, nullsFirst: false });
  if (error) throw failure('Could not load your shipments', error);
  return shipmentList.parse(data);
}

export function driverShipmentsQuery(supabase: Supabase, driverId: string) {
  return queryOptions({
    queryKey: shipmentKeys.driver(driverId),
    queryFn: () => fetchDriverShipments(supabase, driverId),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

const depotSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  min_lat: z.number(),
  min_lng: z.number(),
  max_lat: z.number(),
  max_lng: z.number(),
});
export type Depot = z.infer<typeof depotSchema>;

export async function fetchMyDepots(supabase: Supabase): Promise<Depot[]> {
  const { data, error } = await supabase
    .from('depots')
    .select('id, name, min_lat, min_lng, max_lat, max_lng')
    .order('name');
  if (error) throw failure('Could not load your depots', error);
  return z.array(depotSchema).parse(data);
}

const personSchema = z.object({ id: z.uuid(), full_name: z.string(), role: z.enum(['dispatcher', 'driver']) });
export type Person = z.infer<typeof personSchema>;

/** Everyone in a depot (RLS shows the memberships and profiles of your own depots). */
export async function fetchDepotPeople(supabase: Supabase, depotId: string): Promise<Person[]> {
  const { data, error } = await supabase
    .from('depot_members')
    .select('profile:profiles(id, full_name, role)')
    .eq('depot_id', depotId);
  if (error) throw failure('Could not load the people of this depot', error);
  return z
    .array(z.object({ profile: personSchema }))
    .parse(data)
    .map((row) => row.profile)
    .sort((a, b) => a.full_name.localeCompare(b.full_name));
}

export function depotPeopleQuery(supabase: Supabase, depotId: string) {
  return queryOptions({
    queryKey: depotKeys.people(depotId),
    queryFn: () => fetchDepotPeople(supabase, depotId),
    staleTime: 5 * 60_000,
  });
}
