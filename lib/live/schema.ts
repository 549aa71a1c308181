import { z } from 'zod';

// The wire shapes of live tables (see supabase/migrations/20261201000100_live_schema.sql):
// what live.publish_change sends on `<table>:<scope>` / `<table>:@<user id>`
// and what public.live_changes_after returns. Every one is validated (zod)
// before it reaches a cache.

// bigint columns may arrive as numbers (PostgREST) or numeric strings (jsonb).
export const seqNumber = z.coerce.number().int().nonnegative();
export const rowVersion = z.number().int().positive();

export const OPERATIONS = ['INSERT', 'UPDATE', 'DELETE'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Every live row has a version that goes up by one on each update. */
export interface VersionedRow {
  version: number;
}

/** A committed change of a live row: the payload of `changed`, or a history row. */
export interface LiveChange<Row extends VersionedRow> {
  seq: number;
  /** The scope value, as text (e.g. the depot id). */
  scope: string;
  /** The row's primary key, as text. */
  id: string;
  version: number;
  operation: Operation;
  /** Columns that changed (updates). */
  changed: string[];
  /** The row after the change; null for a delete. */
  record: Row | null;
}

/** Payload of `removed` on an audience topic: the row left that person's audience. */
export const liveRemovedSchema = z.object({
  table: z.string(),
  scope: z.string(),
  seq: seqNumber,
  id: z.string(),
  version: rowVersion,
});
export type LiveRemoved = z.infer<typeof liveRemovedSchema>;

/** The schema of `changed` messages of a table whose rows `row` validates. */
export function liveChangeSchema<Row extends VersionedRow>(table: string, row: z.ZodType<Row>) {
  return z.object({
    table: z.literal(table),
    scope: z.string(),
    seq: seqNumber,
    id: z.string(),
    version: rowVersion,
    operation: z.enum(OPERATIONS),
    changed: z.array(z.string()).default([]),
    record: row.nullable(),
  });
}

/** The schema of a public.live_changes_after row. */
export function liveHistorySchema<Row extends VersionedRow>(row: z.ZodType<Row>) {
  return z.object({
    seq: seqNumber,
    row_id: z.string(),
    operation: z.enum(OPERATIONS),
    version: rowVersion,
    actor_id: z.uuid().nullable(),
    changes: z.record(z.string(), z.object({ old: z.unknown(), new: z.unknown() })),
    record: row.nullable(),
    created_at: z.string(),
  });
}
