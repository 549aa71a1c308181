import { z } from 'zod';
import type { Supabase } from './queries';
import { shipmentSchema, type Shipment } from './schema';

const SHIPMENT_COLUMNS = Object.keys(shipmentSchema.shape).join(', ');

// A new shipment, as a dispatcher enters it. The same schema checks the form in
// the browser and the server action (app/board/[depotId]/actions.ts) before the
// insert; the database enforces the same rules again (check constraints and
// public.enforce_shipment_rules), so a forged request gets nowhere either.

export const REFERENCE_PATTERN = /^[A-Z0-9-]{3,32}$/;

const trimmed = (max: number, what: string) =>
  z.string().trim().min(1, `Enter the ${what}.`).max(max, `The ${what} is at most ${max} characters.`);

export const newShipmentSchema = z.object({
  /** Chosen by the browser so the optimistic card and the saved row are the same row. */
  id: z.uuid(),
  depot_id: z.uuid(),
  reference: z
    .string()
    .trim()
    .toUpperCase()
    .regex(REFERENCE_PATTERN, 'A reference is 3–32 capital letters, digits or dashes, e.g. NOR-1042.'),
  recipient: trimmed(200, 'recipient'),
  address: trimmed(500, 'address'),
  /** ISO 8601 with an offset, or null for none yet. */
  eta: z.iso.datetime({ offset: true, message: 'Enter the ETA as a date and time.' }).nullable(),
  /** Assigning a driver at once creates the shipment as assigned. */
  driver_id: z.uuid().nullable(),
});
export type NewShipment = z.infer<typeof newShipmentSchema>;
/** What the form holds before validation (strings as typed). */
export type NewShipmentInput = z.input<typeof newShipmentSchema>;

/** Field → first error message, for showing next to each field. */
export type FieldErrors = Partial<Record<keyof NewShipment, string>>;

export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path[0] as keyof NewShipment | undefined;
    if (field && !out[field]) out[field] = issue.message;
  }
  return out;
}

/**
 * The row as the database will store it (version 1, pending or assigned), for
 * the optimistic card; the saved row replaces it when the insert returns.
 */
export function optimisticShipment(input: NewShipment, now: string): Shipment {
  return {
    ...input,
    status: input.driver_id ? 'assigned' : 'pending',
    last_lat: null,
    last_lng: null,
    last_position_at: null,
    failure_reason: null,
    failure_note: null,
    version: 1,
    created_at: now,
    updated_at: now,
  };
}

/**
 * A reference to propose: the depot's prefix (from its shipments) and one more
 * than the highest number in use, e.g. NOR-1031. The database still checks
 * uniqueness.
 */
export function suggestReference(rows: Shipment[], fallbackPrefix: string): string {
  const counts = new Map<string, number>();
  let highest = 1000;
  for (const row of rows) {
    const match = /^([A-Z]+)-(\d+)$/.exec(row.reference);
    if (!match) continue;
    counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
    highest = Math.max(highest, Number(match[2]));
  }
  const prefix = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? fallbackPrefix;
  return `${prefix}-${highest + 1}`;
}

/** Explains an insert the database refused, in words a dispatcher can act on. */
export function explainCreateError(error: { code?: string; message: string }, reference: string): string {
  if (error.code === '23505') return `${reference} already exists. Choose another reference.`;
  if (error.code === '42501') return 'You cannot create shipments in this depot.';
  return error.message;
}

export type CreateShipmentResult = { ok: true; row: Shipment } | { ok: false; error: string; fields?: FieldErrors };

/**
 * Validates (zod) and inserts a new shipment as the caller: RLS decides whether
 * they may create in that depot, and the database's rules check it again.
 * Returns the saved row, or what to fix in words for people.
 */
export async function insertShipment(supabase: Supabase, input: unknown): Promise<CreateShipmentResult> {
  const parsed = newShipmentSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: 'Check the highlighted fields.', fields: fieldErrors(parsed.error) };
  const values = parsed.data;
  const { data, error } = await supabase
    .from('shipments')
    .insert({ ...values, status: values.driver_id ? 'assigned' : 'pending' })
    .select(SHIPMENT_COLUMNS)
    .single();
  if (error) return { ok: false, error: explainCreateError(error, values.reference) };
  return { ok: true, row: shipmentSchema.parse(data) };
}
