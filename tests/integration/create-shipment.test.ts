// Creating a shipment as the server action does (lib/shipments/create.ts:
// zod first, then an insert with the caller's session): bad input never
// reaches the database, the database's own rules still refuse what zod cannot
// know (a duplicate reference, another depot), and a valid one comes back saved.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { stack } from '@switchboard/devstack/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Database } from '../../lib/database.types';
import { insertShipment } from '../../lib/shipments/create';
import { DEPOT, USER } from '../support/seed-ids';

let north: SupabaseClient<Database>;
const sql = postgres(stack().dbUrl, { max: 1, onnotice: () => {} });
const created: string[] = [];
const reference = () => `CRT-${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1000)}`;
const input = (patch: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  depot_id: DEPOT.north,
  reference: reference(),
  recipient: 'Ada Moreau',
  address: '1 Mill Lane',
  eta: null,
  driver_id: null,
  ...patch,
});

beforeAll(async () => {
  north = createClient<Database>(stack().apiUrl, stack().publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
  const { error } = await north.auth.signInWithPassword({
    email: 'dispatcher.north@example.com',
    password: 'password123',
  });
  if (error) throw error;
});

afterAll(async () => {
  if (created.length) await sql`delete from shipments where id = any(${created}::uuid[])`;
  await sql.end();
});

describe('insertShipment (the new-shipment server action)', () => {
  it('saves a valid shipment with the id the browser chose, pending, version 1', async () => {
    const values = input({ reference: ` ${reference().toLowerCase()} ` });
    const result = await insertShipment(north, values);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    created.push(result.row.id);
    expect(result.row).toMatchObject({ id: values.id, status: 'pending', version: 1, depot_id: DEPOT.north });
    expect(result.row.reference).toBe(String(values.reference).trim().toUpperCase());
  });

  it('with a driver it is created assigned', async () => {
    const result = await insertShipment(north, input({ driver_id: USER.driverNorth1, eta: new Date().toISOString() }));
    expect(result.ok && result.row.status).toBe('assigned');
    if (result.ok) created.push(result.row.id);
  });

  it('refuses bad input before the database, field by field', async () => {
    const id = crypto.randomUUID();
    const result = await insertShipment(north, input({ id, reference: 'x', recipient: '', eta: 'soon' }));
    expect(result).toMatchObject({ ok: false, error: 'Check the highlighted fields.' });
    if (!result.ok) expect(Object.keys(result.fields ?? {}).sort()).toEqual(['eta', 'recipient', 'reference']);
    expect(await sql`select 1 from shipments where id = ${id}`).toHaveLength(0);
    // Not even an object: still a clear answer, nothing thrown.
    expect(await insertShipment(north, 'drop table shipments')).toMatchObject({ ok: false });
  });

  it('the database still refuses a duplicate reference and another depot, in words', async () => {
    const first = await insertShipment(north, input());
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    created.push(first.row.id);
    const duplicate = await insertShipment(north, input({ reference: first.row.reference }));
    expect(duplicate).toEqual({ ok: false, error: `${first.row.reference} already exists. Choose another reference.` });
    const south = await insertShipment(north, input({ depot_id: DEPOT.south }));
    expect(south).toEqual({ ok: false, error: 'You cannot create shipments in this depot.' });
  });
});
