'use server';

import { insertShipment, type CreateShipmentResult } from '@/lib/shipments/create';
import { createClient } from '@/lib/supabase/server';

/**
 * Creates a shipment as the signed-in dispatcher. The input crosses a trust
 * boundary here, so it is validated again (zod, the same schema as the form),
 * then inserted with the caller's session: RLS and the database's rules decide.
 */
export async function createShipment(input: unknown): Promise<CreateShipmentResult> {
  return insertShipment(await createClient(), input);
}
