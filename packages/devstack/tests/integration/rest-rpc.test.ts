// rpc/<fn> through supabase-js: named JSON arguments (POST) and query-string
// arguments (GET), scalar, set, composite and void results, and PostgREST's
// errors for unknown functions and raised exceptions.
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPOT, USER } from '../support/fixture';
import {
  createThrowawayTables,
  serviceClient,
  startRestGateway,
  throwawayName,
  userClient,
  type RestTestStack,
} from './rest-helpers';

let stack: RestTestStack;
let db: SupabaseClient;
let tables: Awaited<ReturnType<typeof createThrowawayTables>>;
const fn = throwawayName('rest_rpc');

beforeAll(async () => {
  stack = await startRestGateway();
  db = serviceClient(stack);
  tables = await createThrowawayTables(stack.sql, throwawayName('rest_rpc_items'));
  await stack.sql.unsafe(`
    insert into public.${tables.items} (sku, qty) values ('R-1', 1), ('R-2', 2), ('R-3', 3);
    create function public.${fn}_add(a integer, b integer default 10) returns integer language sql immutable as $$ select a + b $$;
    create function public.${fn}_items(min_qty integer) returns setof public.${tables.items} language sql stable
      as $$ select * from public.${tables.items} where qty >= min_qty order by qty $$;
    create function public.${fn}_numbers(n integer) returns setof integer language sql immutable as $$ select generate_series(1, n) $$;
    create function public.${fn}_touch(sku_in text) returns void language sql as $$ update public.${tables.items} set title = 'touched' where sku = sku_in $$;
    create function public.${fn}_fail() returns integer language plpgsql as $$ begin raise exception 'Not today' using hint = 'try tomorrow'; end $$;
    create function public.${fn}_tags(tags text[]) returns integer language sql immutable as $$ select cardinality(tags) $$;
  `);
  await stack.sql`notify pgrst, 'reload schema'`;
});

afterAll(async () => {
  await stack?.sql.unsafe(`
    drop function if exists public.${fn}_add(integer, integer), public.${fn}_items(integer), public.${fn}_numbers(integer),
      public.${fn}_touch(text), public.${fn}_fail(), public.${fn}_tags(text[]);`);
  await tables?.drop();
  await stack?.close();
});

describe('rpc', () => {
  it('calls a scalar function with named JSON arguments and defaults', async () => {
    expect((await db.rpc(`${fn}_add`, { a: 2, b: 3 })).data).toBe(5);
    expect((await db.rpc(`${fn}_add`, { a: 2 })).data).toBe(12);
  });

  it('calls a function with GET and query-string arguments', async () => {
    const { data, error } = await db.rpc(`${fn}_add`, { a: 4, b: 1 }, { get: true });
    expect(error).toBeNull();
    expect(data).toBe(5);
    const tags = await db.rpc(`${fn}_tags`, { tags: ['x', 'y', 'z'] }, { get: true });
    expect(tags.data).toBe(3);
  });

  it('returns a set of rows that select, filters, order and count apply to', async () => {
    const { data, count } = await db
      .rpc(`${fn}_items`, { min_qty: 2 }, { count: 'exact' })
      .select('sku, qty')
      .order('qty', { ascending: false });
    expect(data).toEqual([
      { sku: 'R-3', qty: 3 },
      { sku: 'R-2', qty: 2 },
    ]);
    expect(count).toBe(2);
    // As PostgREST 13, a call returns only the selected (and filtered) columns, so it orders by those only.
    const unselected = await db.rpc(`${fn}_items`, { min_qty: 2 }).select('sku').order('qty');
    expect(unselected.status).toBe(400);
    expect(unselected.error?.code).toBe('42703');
    const single = await db.rpc(`${fn}_items`, { min_qty: 1 }).eq('sku', 'R-1').select('sku, qty').single();
    expect(single.data).toEqual({ sku: 'R-1', qty: 1 });
  });

  it('returns a set of scalars as an array', async () => {
    expect((await db.rpc(`${fn}_numbers`, { n: 3 })).data).toEqual([1, 2, 3]);
  });

  it('answers 204 for a void function, whose changes are committed', async () => {
    const { status, data, error } = await db.rpc(`${fn}_touch`, { sku_in: 'R-2' });
    expect(error).toBeNull();
    expect(status).toBe(204);
    expect(data).toBeNull();
    const [row] = await stack.sql.unsafe(`select title from public.${tables.items} where sku = 'R-2'`);
    expect(row.title).toBe('touched');
  });

  it('runs GET calls read-only: a volatile function cannot write through GET (405 25006)', async () => {
    const { status, error } = await db.rpc(`${fn}_touch`, { sku_in: 'R-3' }, { get: true });
    expect(status).toBe(405);
    expect(error?.code).toBe('25006');
  });

  it('answers 404 PGRST202 for an unknown function or unknown argument names', async () => {
    const unknown = await db.rpc(`${fn}_nope`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.error?.code).toBe('PGRST202');
    const wrongArgs = await db.rpc(`${fn}_add`, { x: 1 });
    expect(wrongArgs.error).toMatchObject({
      code: 'PGRST202',
      message: `Could not find the function public.${fn}_add(x) in the schema cache`,
    });
  });

  it('answers 400 P0001 with the message and hint of a raised exception', async () => {
    const { status, error } = await db.rpc(`${fn}_fail`);
    expect(status).toBe(400);
    expect(error).toMatchObject({ code: 'P0001', message: 'Not today', hint: 'try tomorrow' });
  });

  it('runs the app functions as the caller (depot_watermark answers only for members)', async () => {
    const member = await (await userClient(stack, USER.dispatcherNorth)).rpc('depot_watermark', { depot: DEPOT.north });
    expect(typeof member.data).toBe('number');
    const outsider = await (
      await userClient(stack, USER.dispatcherSouth)
    ).rpc('depot_watermark', { depot: DEPOT.north });
    expect(outsider.error).toBeNull();
    expect(outsider.data).toBeNull();
    const statuses = await db.rpc('allowed_next_statuses', { current_status: 'assigned' });
    expect(statuses.data).toEqual(['picked_up', 'pending', 'cancelled']);
  });
});
