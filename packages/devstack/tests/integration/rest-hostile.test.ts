// Hostile input: SQL injection through every parameter gets a clear 4xx and
// leaves the database as it was; oversized and malformed bodies are refused;
// nothing a client sends takes the gateway down.
import type { SupabaseClient } from '@supabase/supabase-js';
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

beforeAll(async () => {
  stack = await startRestGateway({ DEVSTACK_REST_MAX_BODY: String(64 * 1024) });
  db = serviceClient(stack);
  tables = await createThrowawayTables(stack.sql, throwawayName('rest_hostile'));
  await stack.sql.unsafe(`insert into public.${tables.items} (sku, qty) values ('H-1', 1), ('H-2', 2)`);
});

afterAll(async () => {
  await tables?.drop();
  await stack?.close();
});

async function unchanged(): Promise<void> {
  const rows = await stack.sql.unsafe(`select sku, qty, title from public.${tables.items} order by sku`);
  expect(rows).toEqual([
    { sku: 'H-1', qty: 1, title: 'untitled' },
    { sku: 'H-2', qty: 2, title: 'untitled' },
  ]);
}

const payload = `x"; drop table public.ITEMS; --`;

describe('SQL injection', () => {
  it('refuses injection through select, order, filters, columns, on_conflict and embeds with 4xx', async () => {
    const evil = payload.replace('ITEMS', tables.items);
    const t = tables.items;
    const attempts = [
      `/${t}?select=${encodeURIComponent(`sku,${evil}`)}`,
      `/${t}?select=${encodeURIComponent('sku::text;drop table x')}`,
      `/${t}?select=${encodeURIComponent(`"${evil}"`)}`,
      `/${t}?select=sku&order=${encodeURIComponent(`sku;${evil}`)}`,
      `/${t}?select=sku&order=${encodeURIComponent(`"${evil}".desc`)}`,
      `/${t}?${encodeURIComponent(`"${evil}"`)}=eq.1`,
      `/${t}?select=sku&or=${encodeURIComponent(`(sku.eq.1,"${evil}".eq.2)`)}`,
      `/${t}?select=sku,${encodeURIComponent(`${evil}(*)`)}`,
      `/${t}?select=${encodeURIComponent(`doc->>x'));drop table x;--`)}`,
      `/${encodeURIComponent(`${t}; drop table ${t}`)}`,
    ];
    for (const path of attempts) {
      const res = await rawRequest(stack, path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect((res.body as { code: string }).code, path).toMatch(/^(PGRST\d+|42703)$/);
    }
    const writes = [
      {
        path: `/${t}?on_conflict=${encodeURIComponent(`sku) do update set qty = 0; --`)}`,
        prefer: 'resolution=merge-duplicates',
      },
      { path: `/${t}?columns=${encodeURIComponent(`"sku","qty) values ('x', 0); --"`)}`, prefer: '' },
    ];
    for (const { path, prefer } of writes) {
      const res = await rawRequest(stack, path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', prefer },
        body: '{"sku":"H-3"}',
      });
      expect(res.status, path).toBe(400);
    }
    await unchanged();
  });

  it('binds filter values, JSON keys and rpc arguments as data, never as SQL', async () => {
    const values = await db.from(tables.items).select('sku').eq('sku', `H-1' or '1'='1`);
    expect(values.data).toEqual([]);
    const inList = await db.from(tables.items).select('sku').in('sku', [`H-1') or (1=1`, 'H-2']);
    expect(inList.data).toEqual([{ sku: 'H-2' }]);
    const like = await db.from(tables.items).select('sku').like('sku', `%' or 1=1 --`);
    expect(like.data).toEqual([]);
    const jsonKey = await db.from(tables.items).select(`sku`).eq(`doc->>a'); drop table x; --`, 'x');
    expect(jsonKey.error).not.toBeNull();
    const update = await db.from(tables.items).update({ title: 'x' }).eq('qty', '1; update x set y = 1');
    expect(update.status).toBe(400);
    expect(update.error?.code).toBe('22P02');
    const rpcName = await db.rpc(`allowed_next_statuses"(null); drop table ${tables.items}; --`, {});
    expect(rpcName.status).toBe(404);
    const rpcArgs = await db.rpc('allowed_next_statuses', {
      current_status: `pending'::public.shipment_status); drop table x; --`,
    });
    expect(rpcArgs.status).toBe(400);
    const rpcArgName = await db.rpc('allowed_next_statuses', {
      [`current_status" text); drop table x; --`]: 'pending',
    });
    expect(rpcArgName.status).toBe(404);
    await unchanged();
  });

  it('rejects writes to columns that do not exist, whatever their names', async () => {
    const { status, error } = await db
      .from(tables.items)
      .insert({ sku: 'H-9', [`qty") values (1); drop table x; --`]: 1 });
    expect(status).toBe(400);
    expect(error?.code).toBe('PGRST204');
    await unchanged();
  });
});

describe('bodies and headers', () => {
  it('answers 413 for a body over the limit, and keeps serving', async () => {
    const big = JSON.stringify({ sku: 'H-big', title: 'x'.repeat(100 * 1024) });
    const res = await rawRequest(stack, `/${tables.items}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
    const after = await db.from(tables.items).select('sku').order('sku');
    expect(after.data).toEqual([{ sku: 'H-1' }, { sku: 'H-2' }]);
  });

  it('answers 400 PGRST102 for invalid JSON and for a body of the wrong shape', async () => {
    for (const body of ['{"sku": ', 'nonsense', '[1, 2]', '[{"sku": "H-7"}, {"title": "x"}]', '']) {
      const res = await rawRequest(stack, `/${tables.items}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status, body).toBe(400);
      expect((res.body as { code: string }).code, body).toBe('PGRST102');
    }
    // Any other JSON value counts as an empty array, as PostgREST reads it: nothing is written.
    const scalar = await rawRequest(stack, `/${tables.items}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '"text"',
    });
    expect(scalar.status).toBe(201);
    const xml = await rawRequest(stack, `/${tables.items}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: '<sku>H-8</sku>',
    });
    expect(xml.status).toBe(400);
    expect(xml.body).toMatchObject({ code: 'PGRST102', message: 'Content-Type not acceptable: text/xml' });
    await unchanged();
  });

  it('answers parse errors with 400 PGRST100 and odd requests with 4xx, never 500', async () => {
    const cases = [
      `/${tables.items}?qty=zz.1`,
      `/${tables.items}?qty=eq`,
      `/${tables.items}?or=(qty.eq.1`,
      `/${tables.items}?select=sku,(`,
      `/${tables.items}?limit=-1`,
      `/${tables.items}?order=sku.sideways`,
      `/${tables.items}?select=count()`,
      `/${tables.items}?nope.qty=eq.1`,
      '/%E0%A4%A',
      '/a/b/c',
      `/${tables.items}?qty=in.(1,2`,
      `/${tables.items}?doc=cs.{bad`,
    ];
    for (const path of cases) {
      const res = await rawRequest(stack, path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
    const put = await rawRequest(stack, `/${tables.items}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(put.status).toBe(405);
    const csv = await rawRequest(stack, `/${tables.items}`, { headers: { accept: 'text/csv' } });
    expect(csv.status).toBe(406);
    await unchanged();
  });

  it('stops runaway statements with the statement timeout, and keeps serving', async () => {
    const short = await startRestGateway({ DEVSTACK_REST_STATEMENT_TIMEOUT_MS: '200' });
    const fn = throwawayName('rest_hostile_slow');
    await stack.sql.unsafe(
      `create function public.${fn}() returns integer language sql as $$ select 1 from pg_sleep(5) $$`,
    );
    try {
      const slow = await serviceClient(short).rpc(fn);
      expect(slow.status).toBe(500);
      expect(slow.error?.code).toBe('57014');
      const after = await serviceClient(short).from(tables.items).select('sku').eq('sku', 'H-1');
      expect(after.data).toEqual([{ sku: 'H-1' }]);
    } finally {
      await stack.sql.unsafe(`drop function public.${fn}()`);
      await short.close();
    }
  });
});
