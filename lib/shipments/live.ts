import { defineLiveTable } from '@/lib/live/table';
import { shipmentSchema } from './schema';

/**
 * Shipments as a live table (supabase/migrations/20261201000200_shipments_live.sql):
 * scope = depot (`shipments:<depot id>`, the depot's dispatchers), audience =
 * the assigned driver (`shipments:@<driver id>`).
 */
export const shipmentsTable = defineLiveTable({
  name: 'shipments',
  row: shipmentSchema,
  primaryKey: 'id',
  scopeColumn: 'depot_id',
  audienceColumn: 'driver_id',
  order: [{ column: 'reference' }],
});
