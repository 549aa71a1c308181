import { z } from 'zod';

// Every shape that crosses a trust boundary into the browser (REST rows,
// realtime messages) is validated here; types are inferred from the schemas.

export const SHIPMENT_STATUSES = [
  'pending',
  'assigned',
  'picked_up',
  'in_transit',
  'delivered',
  'failed',
  'cancelled',
] as const;
export const shipmentStatusSchema = z.enum(SHIPMENT_STATUSES);
export type ShipmentStatus = z.infer<typeof shipmentStatusSchema>;

const timestamp = z.string().min(1);
// bigint columns may arrive as numbers (PostgREST) or numeric strings (realtime JSON from jsonb).
const seqNumber = z.coerce.number().int().nonnegative();

export const shipmentSchema = z.object({
  id: z.uuid(),
  depot_id: z.uuid(),
  reference: z.string(),
  recipient: z.string(),
  address: z.string(),
  status: shipmentStatusSchema,
  driver_id: z.uuid().nullable(),
  eta: timestamp.nullable(),
  last_lat: z.number().nullable(),
  last_lng: z.number().nullable(),
  last_position_at: timestamp.nullable(),
  version: z.number().int().positive(),
  created_at: timestamp,
  updated_at: timestamp,
});
export type Shipment = z.infer<typeof shipmentSchema>;

/** Payload of `shipment_changed` on depot:<id> and driver:<id> (see the change-feed migration). */
export const shipmentChangeSchema = z.object({
  seq: seqNumber,
  depot_id: z.uuid(),
  id: z.uuid(),
  version: z.number().int().positive(),
  operation: z.enum(['INSERT', 'UPDATE', 'DELETE']),
  changed: z.array(z.string()).default([]),
  record: shipmentSchema.nullable(),
});
export type ShipmentChange = z.infer<typeof shipmentChangeSchema>;

/** Payload of `shipment_removed` on driver:<id>: the shipment left that driver's list. */
export const shipmentRemovedSchema = z.object({
  seq: seqNumber,
  depot_id: z.uuid(),
  id: z.uuid(),
  version: z.number().int().positive(),
});
export type ShipmentRemoved = z.infer<typeof shipmentRemovedSchema>;

/** A row of shipment_events: the durable history the live feed catches up from. */
export const shipmentEventSchema = z.object({
  id: z.coerce.number().int(),
  depot_id: z.uuid(),
  seq: seqNumber,
  shipment_id: z.uuid(),
  operation: z.enum(['INSERT', 'UPDATE', 'DELETE']),
  version: z.number().int().positive(),
  status: shipmentStatusSchema.nullable(),
  actor_id: z.uuid().nullable(),
  changes: z.record(z.string(), z.object({ old: z.unknown(), new: z.unknown() })),
  record: shipmentSchema.nullable(),
  created_at: timestamp,
});
export type ShipmentEvent = z.infer<typeof shipmentEventSchema>;

/** The change a history row describes, in the same shape as a live message. */
export function changeFromEvent(event: ShipmentEvent): ShipmentChange {
  return {
    seq: event.seq,
    depot_id: event.depot_id,
    id: event.shipment_id,
    version: event.version,
    operation: event.operation,
    changed: Object.keys(event.changes),
    record: event.record,
  };
}

/** Driver positions, broadcast ephemerally on depot:<id>:live. */
export const driverPositionSchema = z.object({
  driver_id: z.uuid(),
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  at: z.number().int().positive(),
  shipment_id: z.uuid().nullable().optional(),
});
export type DriverPosition = z.infer<typeof driverPositionSchema>;
