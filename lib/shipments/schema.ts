import { z } from 'zod';
import type { LiveChange } from '@/lib/live/schema';
import { failureReasonSchema } from './failure';

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
  // Why a delivery failed (only while failed). Changes recorded before the
  // column existed lack both fields: read as null.
  failure_reason: failureReasonSchema.nullable().default(null),
  failure_note: z.string().nullable().default(null),
  version: z.number().int().positive(),
  created_at: timestamp,
  updated_at: timestamp,
});
export type Shipment = z.infer<typeof shipmentSchema>;

/** A committed change of a shipment, as the live table delivers it (lib/live). */
export type ShipmentChange = LiveChange<Shipment>;

/** A row of public.shipment_events (the live history of shipments): the timeline. */
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
  /** Why the delivery failed, on the change that recorded it (the row's failure_reason then). */
  failure_reason: failureReasonSchema.nullable().default(null),
  failure_note: z.string().nullable().default(null),
});
export type ShipmentEvent = z.infer<typeof shipmentEventSchema>;

/** Driver positions, broadcast ephemerally on depot:<id>:live. */
export const driverPositionSchema = z.object({
  driver_id: z.uuid(),
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  at: z.number().int().positive(),
  shipment_id: z.uuid().nullable().optional(),
});
export type DriverPosition = z.infer<typeof driverPositionSchema>;
