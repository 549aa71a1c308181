import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect } from '../support/fixture';
import { closeClients, Inbox, realtimeClient, subscribed } from '../../src/testing/realtime';

// Shapes, filters, privileges and errors of Postgres Changes, on a throwaway
// table in a schema of this file's own (added to supabase_realtime).

const sql = connect(2);
const schema = `rt_test_${process.pid}`;

beforeAll(async () => {
  await sql.unsafe(`
    create schema ${schema};
    grant usage on schema ${schema} to anon, authenticated;
    create table ${schema}.items (id bigint primary key, n int, label text, secret text, big text, at timestamptz default now());
    alter table ${schema}.items replica identity full;
    grant select (id, n, label, big, at) on ${schema}.items to anon;
    alter publication supabase_realtime add table ${schema}.items;`);
});
afterAll(async () => {
  await closeClients();
  await sql.unsafe(`alter publication supabase_realtime drop table ${schema}.items; drop schema ${schema} cascade;`);
  await sql.end();
});

type Change = {
  eventType: string;
  new: Record<string, unknown>;
  old: Record<string, unknown>;
  errors: string[] | null;
  commit_timestamp: string;
  schema: string;
  table: string;
};

async function live(
  channelName: string,
  bindings: Array<{ event: '*' | 'INSERT' | 'UPDATE' | 'DELETE'; filter?: string; inbox: Inbox<Change> }>,
  table = 'items',
) {
  const client = await realtimeClient();
  const system = new Inbox<{ extension: string; status: string; message: string }>();
  let channel = client.channel(channelName).on('system', {}, (m) => system.push(m));
  for (const b of bindings) {
    channel = channel.on(
      'postgres_changes',
      { event: b.event as 'INSERT', schema, table, ...(b.filter ? { filter: b.filter } : {}) },
      (p) => b.inbox.push(p as unknown as Change),
    );
  }
  await subscribed(channel);
  return { channel, system: await system.next((m) => m.extension === 'postgres_changes') };
}

test('filters eq neq lt lte gt gte in select the right rows', async () => {
  const ops = ['eq.3', 'neq.3', 'lt.3', 'lte.3', 'gt.3', 'gte.3', 'in.(1,5)'];
  const inboxes = ops.map(() => new Inbox<Change>());
  const all = new Inbox<Change>();
  const { system } = await live('filters', [
    ...ops.map((op, i) => ({ event: 'INSERT' as const, filter: `n=${op}`, inbox: inboxes[i] })),
    { event: '*', inbox: all },
  ]);
  expect(system).toMatchObject({ status: 'ok', message: 'Subscribed to PostgreSQL' });
  for (let n = 1; n <= 5; n++)
    await sql.unsafe(`insert into ${schema}.items (id, n, label) values (${100 + n}, ${n}, 'f')`);
  await all.count(5);
  const seen = inboxes.map((inbox) => inbox.items.map((c) => c.new.n));
  expect(seen).toEqual([[3], [1, 2, 4, 5], [1, 2], [1, 2, 3], [4, 5], [3, 4, 5], [1, 5]]);
});

test('INSERT, UPDATE and DELETE carry record, old_record, commit_timestamp; columns the role cannot select are dropped', async () => {
  const inbox = new Inbox<Change>();
  await live('shapes', [{ event: '*', filter: 'id=eq.7', inbox }]);
  await sql.unsafe(`insert into ${schema}.items (id, n, label, secret) values (7, 1, 'a', 'hidden')`);
  await sql.unsafe(`update ${schema}.items set label = 'b' where id = 7`);
  await sql.unsafe(`delete from ${schema}.items where id = 7`);
  const [ins, upd, del] = await inbox.count(3);
  expect(ins).toMatchObject({ eventType: 'INSERT', schema, table: 'items', errors: null, old: {} });
  expect(ins.new).toEqual({ id: 7, n: 1, label: 'a', big: null, at: expect.any(String) });
  expect(ins.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(upd.new).toMatchObject({ id: 7, label: 'b' });
  expect(upd.old).toMatchObject({ id: 7, label: 'a' });
  expect(upd.new).not.toHaveProperty('secret');
  expect(del).toMatchObject({ eventType: 'DELETE', new: {} });
  expect(del.old).toMatchObject({ id: 7, n: 1, label: 'b' });
  expect(del.old).not.toHaveProperty('secret');
});

test('a record over 1 MB arrives with Error 413 and only its small values', async () => {
  const inbox = new Inbox<Change>();
  await live('big', [{ event: 'INSERT', filter: 'id=eq.8', inbox }]);
  await sql.unsafe(`insert into ${schema}.items (id, n, label, big) values (8, 2, 'small', repeat('x', 1200000))`);
  const change = await inbox.next();
  expect(change.errors).toEqual(['Error 413: Payload Too Large']);
  expect(change.new).toMatchObject({ id: 8, n: 2, label: 'small' });
  expect(change.new).not.toHaveProperty('big');
});

test('changes arrive in commit order, not in the order their transactions started', async () => {
  const inbox = new Inbox<Change>();
  await live('order', [{ event: 'INSERT', filter: 'label=eq.order', inbox }]);
  let releaseFirst!: () => void;
  const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
  const first = sql.begin(async (tx) => {
    await tx.unsafe(`insert into ${schema}.items (id, n, label) values (2001, 1, 'order')`);
    await firstMayCommit; // started first, commits last
  });
  await sql.unsafe(`insert into ${schema}.items (id, n, label) values (2002, 2, 'order')`);
  releaseFirst();
  await first;
  const got = await inbox.count(2);
  expect(got.map((c) => c.new.id)).toEqual([2002, 2001]);
});

test('a binding to a missing table reports the failure in a system message', async () => {
  const { system } = await live('missing', [{ event: '*', inbox: new Inbox<Change>() }], 'no_such_table');
  expect(system).toMatchObject({
    status: 'error',
    message: expect.stringContaining('Unable to subscribe to changes with given parameters'),
  });
});
