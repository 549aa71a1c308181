import type { SupabaseClient } from '@supabase/supabase-js';
import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import type { Database } from '@/lib/database.types';
import type { LiveList } from '@/lib/live/merge';
import { liveFailure } from '@/lib/live/table';
import { shipmentsTable } from './live';
import { shipmentEventSchema, type Shipment, type ShipmentEvent } from './schema';

// The shipment domain's query keys and fetchers. The live ones (board, driver
// list, detail) come from the live table definition, so the server prefetch,
// the client hooks and the live feed always agree on a key.

export type Supabase = SupabaseClient<Database>;

/** A depot's shipments with the seq watermark they include. */
export type DepotBoard = LiveList<Shipment>;

export const shipmentKeys = {
  all: shipmentsTable.keys.all,
  board: shipmentsTable.keys.list,
  detail: shipmentsTable.keys.row,
  driver: shipmentsTable.keys.audience,
  history: (shipmentId: string) => ['shipments', 'history', shipmentId] as const,
};

export const depotKeys = {
  mine: ['depots', 'mine'] as const,
  people: (depotId: string) => ['depots', 'people', depotId] as const,
};

/** Turns a Supabase error into an Error whose message a person can act on. */
export const failure = liveFailure;

/** A depot's board: its shipments and the depot's seq watermark (read first). */
export const fetchDepotBoard = (supabase: Supabase, depotId: string): Promise<DepotBoard> =>
  shipmentsTable.fetchList(supabase, depotId);

export const depotBoardQuery = (supabase: Supabase, depotId: string) => shipmentsTable.listQuery(supabase, depotId);

/** The shipments assigned to a driver (the audience list of shipments). */
export const driverShipmentsQuery = (supabase: Supabase, driverId: string) =>
  shipmentsTable.audienceQuery(supabase, driverId);

/** One shipment with its depot's watermark. */
export const shipmentDetailQuery = (supabase: Supabase, depotId: string, shipmentId: string) =>
  shipmentsTable.rowQuery(supabase, depotId, shipmentId);

export async function fetchShipmentHistory(supabase: Supabase, shipmentId: string): Promise<ShipmentEvent[]> {
  const { data, error } = await supabase
    .from('shipment_events')
    .select(
      'id, depot_id, seq, shipment_id, operation, version, status, actor_id, changes, record, created_at, failure_reason, failure_note',
    )
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
