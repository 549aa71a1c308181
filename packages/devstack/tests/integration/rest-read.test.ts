// Reads through supabase-js against the REST service: select shapes,
// embedding, filters, order, paging and counts, with PostgREST 12's semantics.
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPOT, USER } from '../support/fixture';
import {
  createThrowawayTables,
  rawRequest,
  serviceClient,
  startRestGateway,
  throwawayName,
  type RestTestStack,
} from './rest-helpers';

const seedDepots = `depot_id=in.(${DEPOT.north},${DEPOT.south})`;
let stack: RestTestStack;
let db: SupabaseClient;
let tables: Awaited<ReturnType<typeof createThrowawayTables>>;

beforeAll(async () => {
  stack = await startRestGateway();
  db = serviceClient(stack);
  tables = await createThrowawayTables(stack.sql, throwawayName('rest_read'));
  await stack.sql.unsafe(`
    insert into public.${tables.items} (sku, title, qty, tags, doc, active) values
      ('A-1', 'Apple crate', 5, '{fruit,red}', '{"origin": {"country": "NZ"}, "grade": 1}', true),
      ('A-2', 'Banana box', 0, '{fruit,yellow}', '{"origin": {"country": "EC"}, "grade": 2}', false),
      ('B-1', 'Bolt, 10mm', 120, '{hardware}', null, true),
      ('B-2', 'Brush 50% off', 7, '{}', '{"grade": 3}', true);
    insert into public.${tables.notes} (item_id, body)
      select id, 'note ' || n from public.${tables.items}, generate_series(1, 2) n where sku like 'A-%';
  `);
});

afterAll(async () => {
  await tables?.drop();
  await stack?.close();
});

describe('GET /', () => {
  it('answers 200 with a description of the exposed tables', async () => {
    const res = await rawRequest(stack, '/');
    expect(res.status).toBe(200);
    expect(Object.keys((res.body as { paths: object }).paths)).toContain('/shipments');
  });
});

describe('select', () => {
  it('returns the listed columns, renamed by alias and cast', async () => {
    const { data, error } = await db
      .from('shipments')
      .select('ref:reference, version::text, status')
      .eq('reference', 'NOR-1001');
    expect(error).toBeNull();
    expect(data).toEqual([{ ref: 'NOR-1001', version: '1', status: 'pending' }]);
  });

  it('expands * to every column', async () => {
    const { data } = await db.from('depots').select('*').eq('id', DEPOT.north).single();
    expect(Object.keys(data ?? {}).sort()).toEqual([
      'created_at',
      'id',
      'max_lat',
      'max_lng',
      'min_lat',
      'min_lng',
      'name',
    ]);
  });

  it('reads into JSON columns with -> and ->>', async () => {
    const { data } = await db
      .from(tables.items)
      .select('sku, country:doc->origin->>country, grade:doc->grade')
      .eq('sku', 'A-1');
    expect(data).toEqual([{ sku: 'A-1', country: 'NZ', grade: 1 }]);
  });
});

describe('embedding', () => {
  it('embeds a many-to-one relationship as an object (null when there is no row)', async () => {
    const { data, error } = await db
      .from('shipments')
      .select('reference, driver:profiles(full_name), depot:depots(name)')
      .in('reference', ['NOR-1001', 'NOR-1003'])
      .order('reference');
    expect(error).toBeNull();
    expect(data).toEqual([
      { reference: 'NOR-1001', driver: null, depot: { name: 'North Depot' } },
      { reference: 'NOR-1003', driver: { full_name: 'Niko Rivera' }, depot: { name: 'North Depot' } },
    ]);
  });

  it('embeds a one-to-many relationship as an array, with its own order and limit', async () => {
    const { data } = await db
      .from('depots')
      .select('name, shipments(reference)')
      .eq('id', DEPOT.south)
      .order('reference', { referencedTable: 'shipments', ascending: false })
      .limit(2, { referencedTable: 'shipments' });
    expect(data).toEqual([{ name: 'South Depot', shipments: [{ reference: 'SOU-1030' }, { reference: 'SOU-1029' }] }]);
  });

  it('embeds two levels deep', async () => {
    const { data } = await db
      .from('depot_members')
      .select('user_id, profile:profiles(full_name, shipments(reference))')
      .eq('user_id', USER.driverNorth1)
      .single();
    const profile = data?.profile as unknown as { full_name: string; shipments: { reference: string }[] };
    expect(profile.full_name).toBe('Niko Rivera');
    expect(profile.shipments.length).toBeGreaterThan(0);
    expect(profile.shipments.every((s) => s.reference.startsWith('NOR-'))).toBe(true);
  });

  it('disambiguates by foreign key constraint name or column', async () => {
    const byConstraint = await db
      .from('shipments')
      .select('reference, driver:profiles!shipments_driver_id_fkey(full_name)')
      .eq('reference', 'NOR-1003')
      .single();
    const byColumn = await db
      .from('shipments')
      .select('reference, driver:profiles!driver_id(full_name)')
      .eq('reference', 'NOR-1003')
      .single();
    expect(byConstraint.data).toEqual({ reference: 'NOR-1003', driver: { full_name: 'Niko Rivera' } });
    expect(byColumn.data).toEqual(byConstraint.data);
  });

  it('filters parents by an !inner embed and its filters, and counts accordingly', async () => {
    const { data, count, error } = await db
      .from('shipments')
      .select('reference, profiles!inner(full_name)', { count: 'exact' })
      .eq('profiles.full_name', 'Niko Rivera');
    expect(error).toBeNull();
    expect(data!.length).toBe(count);
    expect(count).toBeGreaterThan(0);
    expect(data!.every((row) => (row.profiles as unknown as { full_name: string }).full_name === 'Niko Rivera')).toBe(
      true,
    );
  });

  it('spreads a to-one embed into the parent with ...', async () => {
    const { data } = await db
      .from('shipments')
      .select('reference, ...depots(depot_name:name)')
      .eq('reference', 'SOU-1001')
      .single();
    expect(data).toEqual({ reference: 'SOU-1001', depot_name: 'South Depot' });
  });

  it('answers PGRST200 for a relationship that does not exist', async () => {
    const { error, status } = await db.from('depots').select('name, shipment_events_nope(*)');
    expect(status).toBe(400);
    expect(error?.code).toBe('PGRST200');
  });
});

describe('filters', () => {
  const items = () => db.from(tables.items).select('sku').order('sku');
  const skus = async (query: PromiseLike<{ data: unknown }>) => {
    const { data } = await query;
    return (data as { sku: string }[]).map((r) => r.sku);
  };

  it('compares with eq, neq, gt, gte, lt, lte', async () => {
    expect(await skus(items().eq('qty', 5))).toEqual(['A-1']);
    expect(await skus(items().neq('qty', 5))).toEqual(['A-2', 'B-1', 'B-2']);
    expect(await skus(items().gt('qty', 5))).toEqual(['B-1', 'B-2']);
    expect(await skus(items().gte('qty', 7))).toEqual(['B-1', 'B-2']);
    expect(await skus(items().lt('qty', 5))).toEqual(['A-2']);
    expect(await skus(items().lte('qty', 5))).toEqual(['A-1', 'A-2']);
  });

  it('matches patterns with like and ilike (* stands for %)', async () => {
    expect(await skus(items().like('title', '*box'))).toEqual(['A-2']);
    expect(await skus(items().ilike('title', 'b%'))).toEqual(['A-2', 'B-1', 'B-2']);
    expect(await skus(items().like('title', '%50\\%%'))).toEqual(['B-2']);
  });

  it('tests booleans and null with is', async () => {
    expect(await skus(items().is('active', false))).toEqual(['A-2']);
    expect(await skus(items().is('doc', null))).toEqual(['B-1']);
    expect(await skus(items().not('doc', 'is', null))).toEqual(['A-1', 'A-2', 'B-2']);
  });

  it('matches lists with in, including values that need quoting', async () => {
    expect(await skus(items().in('title', ['Bolt, 10mm', 'Apple crate']))).toEqual(['A-1', 'B-1']);
    expect(await skus(items().not('sku', 'in', '(A-1,A-2)'))).toEqual(['B-1', 'B-2']);
    expect(await skus(items().in('sku', []))).toEqual([]);
  });

  it('tests arrays and JSON with cs and cd', async () => {
    expect(await skus(items().contains('tags', ['fruit']))).toEqual(['A-1', 'A-2']);
    expect(await skus(items().containedBy('tags', ['fruit', 'red', 'hardware']))).toEqual(['A-1', 'B-1', 'B-2']);
    expect(await skus(items().contains('doc', { grade: 2 }))).toEqual(['A-2']);
  });

  it('combines conditions with or, nested and, and not', async () => {
    expect(await skus(items().or('qty.eq.0,and(active.is.true,tags.cs.{hardware})'))).toEqual(['A-2', 'B-1']);
    expect(await skus(items().or('title.eq."Bolt, 10mm",sku.eq.B-2'))).toEqual(['B-1', 'B-2']);
    expect(await skus(items().not('qty', 'gt', 5).eq('active', true))).toEqual(['A-1']);
    const { data } = await db.from(tables.items).select('sku').filter('not.or', 'eq', 'x').limit(0);
    expect(data).toBeNull();
  });

  it('filters on JSON paths', async () => {
    expect(await skus(items().eq('doc->origin->>country', 'EC'))).toEqual(['A-2']);
  });
});

describe('order, limit, range, count', () => {
  it('orders by several columns with directions and nulls placement', async () => {
    const { data } = await db.from(tables.items).select('sku').order('active').order('sku', { ascending: false });
    expect(data?.map((r) => r.sku)).toEqual(['A-2', 'B-2', 'B-1', 'A-1']);
    const nullsFirst = await db.from(tables.items).select('sku').order('doc', { nullsFirst: true }).limit(1);
    expect(nullsFirst.data).toEqual([{ sku: 'B-1' }]);
    const nullsLast = await db.from(tables.items).select('sku').order('doc', { ascending: false, nullsFirst: false });
    expect(nullsLast.data?.at(-1)).toEqual({ sku: 'B-1' });
    const desc = await db.from(tables.items).select('sku').order('qty', { ascending: false });
    expect(desc.data?.map((r) => r.sku)).toEqual(['B-1', 'B-2', 'A-1', 'A-2']);
  });

  it('pages with range() and reports the exact count in Content-Range (206 for a partial page)', async () => {
    // Only the seed depots: other test files create depots of their own in parallel.
    const { data, count, status } = await db
      .from('shipments')
      .select('id', { count: 'exact' })
      .in('depot_id', [DEPOT.north, DEPOT.south])
      .range(0, 24);
    expect(data).toHaveLength(25);
    expect(count).toBe(60);
    expect(status).toBe(206);
    const res = await rawRequest(stack, `/shipments?select=id&limit=25&${seedDepots}`, {
      headers: { prefer: 'count=exact' },
    });
    expect(res.headers.get('content-range')).toBe('0-24/60');
    const offset = await rawRequest(stack, `/shipments?select=id&limit=5&offset=55&${seedDepots}`, {
      headers: { prefer: 'count=exact' },
    });
    expect(offset.headers.get('content-range')).toBe('55-59/60');
  });

  it('answers 200 with the whole result, */0 when empty, */* without a count', async () => {
    const all = await rawRequest(stack, `/${tables.items}?select=sku`, { headers: { prefer: 'count=exact' } });
    expect(all.status).toBe(200);
    expect(all.headers.get('content-range')).toBe('0-3/4');
    const none = await rawRequest(stack, `/${tables.items}?sku=eq.nope`, { headers: { prefer: 'count=exact' } });
    expect(none.headers.get('content-range')).toBe('*/0');
    const uncounted = await rawRequest(stack, `/${tables.items}?sku=eq.nope`);
    expect(uncounted.headers.get('content-range')).toBe('*/*');
  });

  it('honours the Range header and answers 416 beyond the end', async () => {
    const ranged = await rawRequest(stack, `/shipments?select=id&${seedDepots}`, {
      headers: { range: '10-14', prefer: 'count=exact' },
    });
    expect((ranged.body as unknown[]).length).toBe(5);
    expect(ranged.headers.get('content-range')).toBe('10-14/60');
    const beyond = await rawRequest(stack, `/shipments?select=id&offset=100&${seedDepots}`, {
      headers: { prefer: 'count=exact' },
    });
    expect(beyond.status).toBe(416);
    expect((beyond.body as { code: string }).code).toBe('PGRST103');
  });

  it('counts without rows with head: true', async () => {
    const { data, count, status } = await db
      .from('shipments')
      .select('*', { count: 'exact', head: true })
      .eq('depot_id', DEPOT.north);
    expect(status).toBe(200);
    expect(data).toBeNull();
    expect(count).toBe(30);
  });
});

describe('single objects', () => {
  it('returns one object with single() and 406 PGRST116 otherwise', async () => {
    const one = await db.from('depots').select('name').eq('id', DEPOT.north).single();
    expect(one.data).toEqual({ name: 'North Depot' });
    const none = await db.from('depots').select('name').eq('name', 'nowhere').single();
    expect(none.status).toBe(406);
    expect(none.error).toMatchObject({ code: 'PGRST116', details: 'The result contains 0 rows' });
    const many = await db.from('depots').select('name').single();
    expect(many.status).toBe(406);
    expect(many.error?.code).toBe('PGRST116');
  });

  it('returns null for no row with maybeSingle()', async () => {
    const { data, error } = await db.from('depots').select('name').eq('name', 'nowhere').maybeSingle();
    expect(error).toBeNull();
    expect(data).toBeNull();
  });
});

describe('errors for unknown names', () => {
  it('answers 404 PGRST205 for an unknown table, with a suggestion', async () => {
    const { error, status } = await db.from('shipment').select('*');
    expect(status).toBe(404);
    expect(error).toMatchObject({ code: 'PGRST205', hint: "Perhaps you meant the table 'public.shipments'" });
  });

  it('answers 400 42703 for an unknown column in select, filter or order', async () => {
    for (const query of [
      db.from('shipments').select('nope'),
      db.from('shipments').select('id').eq('nope', 1),
      db.from('shipments').select('id').order('nope'),
    ]) {
      const { error, status } = await query;
      expect(status).toBe(400);
      expect(error?.code).toBe('42703');
    }
  });

  it('answers 406 PGRST106 for a schema that is not exposed', async () => {
    const res = await rawRequest(stack, '/shipments', { headers: { 'accept-profile': 'auth' } });
    expect(res.status).toBe(406);
    expect((res.body as { code: string }).code).toBe('PGRST106');
  });
});
