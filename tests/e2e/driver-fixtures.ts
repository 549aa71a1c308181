// Helpers for the driver app's browser tests (driver.spec.ts, driver-offline.spec.ts).
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Sql } from 'postgres';
import { WebSocket } from 'ws';
import type { Database } from '../../lib/database.types';
import { createShipment, DEPOT, USER } from './fixtures';

export interface TestShipment {
  id: string;
  reference: string;
  version: number;
}

/** A fresh North shipment of driver north1 (Niko Rivera), moved on to `status` by the service. */
export async function driverShipment(
  db: Sql,
  status: 'assigned' | 'picked_up' | 'in_transit' = 'assigned',
): Promise<TestShipment> {
  const { id, reference } = await createShipment(db, DEPOT.north, { driverId: USER.driverNorth1, prefix: 'DRV' });
  if (status !== 'assigned') await db`update shipments set status = 'picked_up' where id = ${id}`;
  if (status === 'in_transit') await db`update shipments set status = 'in_transit' where id = ${id}`;
  const [row] = await db<{ version: number }[]>`select version from shipments where id = ${id}`;
  return { id, reference, version: row.version };
}

export interface ShipmentEventRow {
  seq: number;
  version: number;
  status: string;
  actor_id: string | null;
  failure_reason: string | null;
  failure_note: string | null;
}

/** The history of shipments (shipment_events), oldest first. */
export async function historyOf(db: Sql, ids: string[]): Promise<(ShipmentEventRow & { shipment_id: string })[]> {
  const rows = await db<(ShipmentEventRow & { shipment_id: string; seq: string })[]>`
    select shipment_id, seq, version, status, actor_id, failure_reason, failure_note
    from shipment_events where shipment_id = any(${ids}) order by seq`;
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}

/** What the driver did: the history rows written by driver north1. */
export async function driverMoves(db: Sql, ids: string[]) {
  return (await historyOf(db, ids)).filter((e) => e.actor_id === USER.driverNorth1);
}

/** North's dispatcher through supabase-js (real Auth, REST and RLS), as the board writes. */
export async function dispatcherClient(): Promise<SupabaseClient<Database>> {
  const client = createClient<Database>(process.env.E2E_API_URL!, process.env.E2E_PUBLISHABLE_KEY!, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
  const { error } = await client.auth.signInWithPassword({
    email: 'dispatcher.north@example.com',
    password: 'password123',
  });
  if (error) throw error;
  return client;
}

/** A version-guarded update as the dispatcher's board sends it; throws unless exactly one row changed. */
export async function dispatcherUpdate(
  client: SupabaseClient<Database>,
  shipment: { id: string },
  patch: Database['public']['Tables']['shipments']['Update'],
): Promise<void> {
  const { data: current, error: readError } = await client
    .from('shipments')
    .select('version')
    .eq('id', shipment.id)
    .single();
  if (readError) throw readError;
  const { data, error } = await client
    .from('shipments')
    .update(patch)
    .eq('id', shipment.id)
    .eq('version', current.version)
    .select('id');
  if (error) throw error;
  if (data.length !== 1) throw new Error(`dispatcher update of ${shipment.id} changed ${data.length} rows`);
}
