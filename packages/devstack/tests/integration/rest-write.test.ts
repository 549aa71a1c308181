// Writes through supabase-js: insert (single, bulk, defaults), upsert, update,
// delete, Prefer return/count, single-object checks that roll back, and
// PostgREST's status codes for constraint errors. Only this file's own rows.
import type { SupabaseClient } from '@supabase/supabase-js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createThrowawayTables,
  rawRequest,
  serviceClient,
  startRestGateway,
  throwawayName,
  type RestTestStack,
} from './rest-helpers';

let stack: RestTestStack;
let db: SupabaseClient;
let tables: Awaited<ReturnType<typeof createThrowawayTables>>;
const depotId = randomUUID();
const tag = randomUUID().slice(0, 6).toUpperCase();

beforeAll(async () => {
  stack = await startRestGateway();
  db = serviceClient(stack);
  tables = await createThrowawayTables(stack.sql, throwawayName('rest_write'));
  await stack.sql`insert into public.depots (id, name, min_lat, min_lng, max_lat, max_lng)
                  values (${depotId}, ${`REST write ${tag}`}, 1, 1, 2, 2)`;
});

afterAll(async () => {
  await tables?.drop();
  // shipment_events is append-only by trigger; cleaning up our own depot bypasses triggers.
  await stack?.sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`delete from public.shipment_events where depot_id = ${depotId}`;
    await tx`delete from public.shipments where depot_id = ${depotId}`;
    await tx`delete from public.depot_watermarks where depot_id = ${depotId}`;
    await tx`delete from public.depots where id = ${depotId}`;
  });
  await stack?.close();
});

describe('insert', () => {
  it('inserts one row and answers 201 with no body by default (return=minimal)', async () => {
    const { data, error, status } = await db.from(tables.items).insert({ sku: 'I-1', qty: 3 });
    expect(error).toBeNull();
    expect(status).toBe(201);
    expect(data).toBeNull();
    const [row] = await stack.sql.unsafe(`select title, qty from public.${tables.items} where sku = 'I-1'`);
    expect(row).toEqual({ title: 'untitled', qty: 3 });
  });

  it('returns the inserted rows, shaped by select, with return=representation', async () => {
    const { data, status } = await db
      .from(tables.items)
      .insert({ sku: 'I-2', title: 'Two', tags: ['a', 'b'], doc: { k: [1, 2] } })
      .select('sku, title, tags, doc')
      .single();
    expect(status).toBe(201);
    expect(data).toEqual({ sku: 'I-2', title: 'Two', tags: ['a', 'b'], doc: { k: [1, 2] } });
  });

  it('inserts a bulk array over the union of keys: missing keys become null, or defaults with defaultToNull: false', async () => {
    const nulls = await db
      .from(tables.items)
      .insert([
        { sku: 'I-3', title: 'Three' },
        { sku: 'I-4', doc: { x: 1 } },
      ])
      .select('sku, title, doc');
    expect(nulls.error).toMatchObject({ code: '23502' });
    const defaults = await db
      .from(tables.items)
      .insert(
        [
          { sku: 'I-3', title: 'Three' },
          { sku: 'I-4', doc: { x: 1 } },
        ],
        { defaultToNull: false },
      )
      .select('sku, title, doc');
    expect(defaults.error).toBeNull();
    expect(defaults.data).toEqual([
      { sku: 'I-3', title: 'Three', doc: null },
      { sku: 'I-4', title: 'untitled', doc: { x: 1 } },
    ]);
  });

  it('reports the count of inserted rows and embeds on the returned rows', async () => {
    const { data: item } = await db.from(tables.items).insert({ sku: 'I-5' }).select('id').single();
    const { data, count } = await db
      .from(tables.notes)
      .insert(
        [
          { item_id: item!.id, body: 'n1' },
          { item_id: item!.id, body: 'n2' },
        ],
        { count: 'exact' },
      )
      .select(`body, item:${tables.items}(sku)`);
    expect(count).toBe(2);
    // Without an order, rows come in the order PostgREST's plan gives (here its hash join), not the body's.
    expect(data).toHaveLength(2);
    expect(data).toEqual(
      expect.arrayContaining([
        { body: 'n1', item: { sku: 'I-5' } },
        { body: 'n2', item: { sku: 'I-5' } },
      ]),
    );
  });

  it('answers headers-only with a Location header for the new row', async () => {
    const res = await rawRequest(stack, `/${tables.items}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'return=headers-only' },
      body: JSON.stringify({ sku: 'I-6' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(new RegExp(`^/${tables.items}\\?id=eq\\.\\d+$`));
  });

  it('answers PGRST204 for a column the table does not have', async () => {
    const { error, status } = await db.from(tables.items).insert({ sku: 'I-7', colour: 'red' });
    expect(status).toBe(400);
    expect(error).toMatchObject({
      code: 'PGRST204',
      message: `Could not find the 'colour' column of '${tables.items}' in the schema cache`,
    });
  });

  it('maps constraint errors: unique 409, foreign key 409, check 400, bad input 400', async () => {
    expect((await db.from(tables.items).insert({ sku: 'I-1' })).status).toBe(409);
    expect((await db.from(tables.notes).insert({ item_id: 999999999, body: 'x' })).error?.code).toBe('23503');
    expect((await db.from(tables.notes).insert({ item_id: 999999999, body: 'x' })).status).toBe(409);
    const check = await db.from(tables.items).insert({ sku: 'I-8', qty: -1 });
    expect([check.status, check.error?.code]).toEqual([400, '23514']);
    const badInput = await db.from(tables.items).insert({ sku: 'I-8', qty: 'many' });
    expect([badInput.status, badInput.error?.code]).toEqual([400, '22P02']);
  });
});

describe('upsert', () => {
  it('merges duplicates on the on_conflict column (200: nothing was inserted)', async () => {
    await db.from(tables.items).insert({ sku: 'U-1', qty: 1, title: 'first' });
    const { data, status } = await db
      .from(tables.items)
      .upsert({ sku: 'U-1', qty: 9 }, { onConflict: 'sku' })
      .select('sku, qty, title');
    expect(status).toBe(200);
    expect(data).toEqual([{ sku: 'U-1', qty: 9, title: 'first' }]);
  });

  it('ignores duplicates when asked, inserting only new rows', async () => {
    const { data } = await db
      .from(tables.items)
      .upsert(
        [
          { sku: 'U-1', qty: 100 },
          { sku: 'U-2', qty: 2 },
        ],
        { onConflict: 'sku', ignoreDuplicates: true },
      )
      .select('sku, qty');
    expect(data).toEqual([{ sku: 'U-2', qty: 2 }]);
    const [row] = await stack.sql.unsafe(`select qty from public.${tables.items} where sku = 'U-1'`);
    expect(row.qty).toBe(9);
  });

  it('uses the primary key when no on_conflict is given', async () => {
    const { data: first } = await db.from(tables.items).insert({ sku: 'U-3', qty: 1 }).select('id').single();
    const { data } = await db
      .from(tables.items)
      .upsert({ id: first!.id, sku: 'U-3', qty: 5 })
      .select('id, qty')
      .single();
    expect(data).toEqual({ id: first!.id, qty: 5 });
  });
});

describe('update and delete', () => {
  it('updates the filtered rows: 204 by default, 200 with the rows when selected', async () => {
    await db.from(tables.items).insert([
      { sku: 'P-1', qty: 1 },
      { sku: 'P-2', qty: 1 },
      { sku: 'P-3', qty: 1 },
    ]);
    const minimal = await db.from(tables.items).update({ qty: 2 }).like('sku', 'P-%');
    expect(minimal.status).toBe(204);
    const { data, count, status } = await db
      .from(tables.items)
      .update({ title: 'patched' }, { count: 'exact' })
      .in('sku', ['P-1', 'P-2'])
      .select('sku, qty, title')
      .order('sku');
    expect(status).toBe(200);
    expect(count).toBe(2);
    expect(data).toEqual([
      { sku: 'P-1', qty: 2, title: 'patched' },
      { sku: 'P-2', qty: 2, title: 'patched' },
    ]);
  });

  it('rolls an update back when single() finds more than one row', async () => {
    const { status, error } = await db
      .from(tables.items)
      .update({ title: 'oops' })
      .like('sku', 'P-%')
      .select()
      .single();
    expect(status).toBe(406);
    expect(error?.code).toBe('PGRST116');
    const rows = await stack.sql.unsafe(`select 1 from public.${tables.items} where title = 'oops'`);
    expect(rows).toHaveLength(0);
  });

  it('deletes the filtered rows and reports how many', async () => {
    const { count, status } = await db.from(tables.items).delete({ count: 'exact' }).like('sku', 'P-%');
    expect(status).toBe(204);
    expect(count).toBe(3);
    const { data } = await db.from(tables.items).delete().eq('sku', 'U-2').select('sku');
    expect(data).toEqual([{ sku: 'U-2' }]);
  });
});

describe('shipments: business rules through REST', () => {
  it('creates a shipment in our own depot and enforces status transitions with 400 23514', async () => {
    const reference = `RW-${tag}-1`;
    const { data, error } = await db
      .from('shipments')
      .insert({ depot_id: depotId, reference, recipient: 'R. Test', address: '1 Test Street' })
      .select('id, status, version, depot:depots(name)')
      .single();
    expect(error).toBeNull();
    expect(data).toMatchObject({ status: 'pending', version: 1, depot: { name: `REST write ${tag}` } });
    const illegal = await db.from('shipments').update({ status: 'delivered' }).eq('id', data!.id).select();
    expect(illegal.status).toBe(400);
    expect(illegal.error).toMatchObject({ code: '23514', hint: 'Allowed next statuses: assigned, cancelled' });
    const cancelled = await db
      .from('shipments')
      .update({ status: 'cancelled' })
      .eq('id', data!.id)
      .select('status, version')
      .single();
    expect(cancelled.data).toEqual({ status: 'cancelled', version: 2 });
  });
});
