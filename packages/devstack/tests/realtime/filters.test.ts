import { postgresChangesFilter, type RealtimePostgresFilterBuilder } from '@supabase/realtime-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect } from '../support/fixture';
import { closeClients, Inbox, realtimeClient, subscribed } from '../../src/testing/realtime';

// Postgres Changes filters through supabase-js, as Supabase Realtime 2.130
// reads and evaluates them: every operator, `not.`, AND-ed conditions, typed
// comparison in SQL, DELETE images, and the errors of bad filters.

const sql = connect(2);
const schema = `rt_filters_${process.pid}`;

beforeAll(async () => {
  await sql.unsafe(`
    create schema ${schema};
    grant usage on schema ${schema} to anon;
    create table ${schema}.f (
      id bigint primary key, n int, big bigint, num numeric, at timestamptz,
      label text, flag boolean, note text, secret text
    );
    alter table ${schema}.f replica identity full;
    create table ${schema}.keyed (id int primary key, label text);
    grant select (id, n, big, num, at, label, flag, note) on ${schema}.f to anon;
    grant select on ${schema}.keyed to anon;
    create table ${schema}.unpublished (id int primary key);
    grant select on ${schema}.unpublished to anon;
    alter publication supabase_realtime add table ${schema}.f, ${schema}.keyed;`);
});
afterAll(async () => {
  await closeClients();
  await sql.unsafe(`alter publication supabase_realtime drop table ${schema}.f, ${schema}.keyed;
                    drop schema ${schema} cascade;`);
  await sql.end();
});

type Change = { eventType: string; new: Record<string, unknown>; old: Record<string, unknown> };
type System = { extension: string; status: string; message: string };

/** One channel, one INSERT binding per filter (plus a catch-all to know when a batch is in). */
async function watch(filters: Array<string | RealtimePostgresFilterBuilder>, table = 'f', event = 'INSERT') {
  const client = await realtimeClient();
  const system = new Inbox<System>();
  const inboxes = filters.map(() => new Inbox<Change>());
  const all = new Inbox<Change>();
  let channel = client.channel(`filters-${Math.random()}`).on('system', {}, (m) => system.push(m as System));
  filters.forEach((filter, i) => {
    channel = channel.on(
      'postgres_changes',
      { event: event as 'INSERT', schema, table, filter: filter as string },
      (p) => inboxes[i].push(p as unknown as Change),
    );
  });
  channel = channel.on('postgres_changes', { event: '*', schema, table }, (p) => all.push(p as unknown as Change));
  await subscribed(channel);
  const status = await system.next((m) => m.extension === 'postgres_changes');
  return { inboxes, all, status };
}

/** The ids each filter delivered after `count` rows went in. */
async function delivered(w: Awaited<ReturnType<typeof watch>>, count: number): Promise<number[][]> {
  await w.all.count(count);
  return w.inboxes.map((inbox) => inbox.items.map((c) => Number(c.new.id)).sort((a, b) => a - b));
}

let nextId = 1;
async function insert(rows: Array<Record<string, unknown>>): Promise<number[]> {
  const ids: number[] = [];
  for (const row of rows) {
    const id = nextId++;
    ids.push(id);
    // Through json_populate_record: every value reaches Postgres as text, with all its digits.
    await sql.unsafe(`insert into ${schema}.f select * from json_populate_record(null::${schema}.f, $1::text::json)`, [
      JSON.stringify({ id, ...row }),
    ]);
  }
  return ids;
}

test('text operators: like, ilike, match, imatch, in with quoted values, isdistinct, and their not.', async () => {
  const w = await watch([
    'label=like.ap%',
    'label=ilike.AP%',
    'label=match.^a',
    'label=imatch.^A',
    postgresChangesFilter().in('label', ['apple', 'b,c']),
    'label=isdistinct.apple',
    'label=not.isdistinct.apple',
    'label=not.like.ap%',
    'label=neq.apple',
  ]);
  expect(w.status).toMatchObject({ status: 'ok', message: 'Subscribed to PostgreSQL' });
  const [apple, apricot, bc, none] = await insert([
    { label: 'apple' },
    { label: 'Apricot' },
    { label: 'b,c' },
    { label: null },
  ]);
  expect(await delivered(w, 4)).toEqual([
    [apple],
    [apple, apricot],
    [apple],
    [apple, apricot],
    [apple, bc],
    [apricot, bc, none], // NULL is distinct from 'apple'
    [apple],
    [apricot, bc], // NOT (NULL LIKE …) is NULL: no match
    [apricot, bc],
  ]);
});

test('is: null, true, false, unknown, negated; the builder sends the same strings', async () => {
  const w = await watch([
    'note=is.null',
    postgresChangesFilter().not('note', 'is', null),
    'flag=is.true',
    postgresChangesFilter().is('flag', false),
    'flag=is.unknown',
    'flag=not.is.true',
  ]);
  const [t, f, u] = await insert([
    { flag: true, note: null },
    { flag: false, note: 'x' },
    { flag: null, note: 'y' },
  ]);
  expect(await delivered(w, 3)).toEqual([[t], [f, u], [t], [f], [u], [f, u]]);
});

test('comma-joined conditions are AND-ed (issue 11 examples), also across columns', async () => {
  const w = await watch([
    'n=gte.10,n=lte.20',
    'n=eq.10,n=eq.15',
    'n=gt.5,label=like.%an%',
    postgresChangesFilter().gte('n', 10).lte('n', 20).neq('n', 15),
    'n=not.in.(10,20)',
  ]);
  const [n5, n10, n15, n20, n25] = await insert([
    { n: 5, label: 'banana' },
    { n: 10, label: 'mango' },
    { n: 15, label: 'kiwi' },
    { n: 20, label: 'anise' },
    { n: 25, label: 'pear' },
  ]);
  expect(await delivered(w, 5)).toEqual([
    [n10, n15, n20],
    [], // two different eq on one column: nothing, as in SQL
    [n10, n20],
    [n10, n20],
    [n5, n15, n25],
  ]);
});

test('typed comparison: bigint beyond 2^53, numeric, microseconds of a timestamptz (issue 11 examples)', async () => {
  const w = await watch([
    'big=eq.9007199254740993',
    'big=gt.9007199254740992',
    'at=eq.2024-01-01 00:00:00.000001+00',
    'at=gt.2024-01-01 00:00:00+00',
    'num=eq.1.10',
    'num=lt.1.1',
    'at=lte.2024-01-01T01:00:00+01:00',
  ]);
  const [b2, b3, t0, t1] = await insert([
    { big: '9007199254740992', num: '1.1' },
    { big: '9007199254740993', num: '1.099999999999999999999' },
    { at: '2024-01-01 00:00:00+00' },
    { at: '2024-01-01 00:00:00.000001+00' },
  ]);
  expect(await delivered(w, 4)).toEqual([[b3], [b3], [t1], [t1], [b2], [b3], [t0]]);
});

test('UPDATE filters the new row; DELETE filters the old one, which has only the key without REPLICA IDENTITY FULL', async () => {
  const client = await realtimeClient();
  const inboxes = { full: new Inbox<Change>(), keyedLabel: new Inbox<Change>(), keyedId: new Inbox<Change>() };
  const system = new Inbox<System>();
  const channel = client
    .channel('filters-images')
    .on('system', {}, (m) => system.push(m as System))
    .on('postgres_changes', { event: '*', schema, table: 'f', filter: 'label=eq.gone' }, (p) =>
      inboxes.full.push(p as unknown as Change),
    )
    .on('postgres_changes', { event: '*', schema, table: 'keyed', filter: 'label=eq.gone' }, (p) =>
      inboxes.keyedLabel.push(p as unknown as Change),
    )
    .on('postgres_changes', { event: 'DELETE', schema, table: 'keyed', filter: 'id=eq.7' }, (p) =>
      inboxes.keyedId.push(p as unknown as Change),
    );
  await subscribed(channel);
  await system.next((m) => m.extension === 'postgres_changes');
  const [id] = await insert([{ label: 'here' }]);
  await sql`update ${sql(schema)}.f set label = 'gone' where id = ${id}`;
  await sql`update ${sql(schema)}.f set label = 'back' where id = ${id}`;
  await sql`update ${sql(schema)}.f set label = 'gone' where id = ${id}`;
  await sql`delete from ${sql(schema)}.f where id = ${id}`;
  await sql`insert into ${sql(schema)}.keyed values (7, 'gone')`;
  await sql`delete from ${sql(schema)}.keyed where id = 7`;
  expect(await inboxes.keyedId.next()).toMatchObject({ eventType: 'DELETE', old: { id: 7 } });
  const full = await inboxes.full.count(3);
  expect(full.map((c) => c.eventType)).toEqual(['UPDATE', 'UPDATE', 'DELETE']);
  expect(full[2].old).toMatchObject({ id, label: 'gone' });
  // keyed: the INSERT matched; its DELETE image holds only the id, so label=eq.gone cannot match it.
  expect(inboxes.keyedLabel.items.map((c) => c.eventType)).toEqual(['INSERT']);
});

describe('bad filters are refused in the postgres_changes system message, worded as Supabase words them', () => {
  const params = (filter: string, table = 'f') =>
    `[event: INSERT, schema: ${schema}, table: ${table}, filters: ${filter}, select: nil]`;
  const cases: Array<[string, string]> = [
    ['label=foo.x', 'Error parsing `filter` params: ["foo", "x"]'],
    ['undefined', 'Error parsing `filter` params: ["undefined"]'],
    [
      'n=eq.1,,n=eq.2',
      'Error parsing `filter` params: filter must not contain empty segments (check for extra commas)',
    ],
    ['n=in.1', 'Error parsing `filter` params: `in` filter value must be wrapped by parentheses'],
    [
      'n=eq.abc',
      `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${params('[{"n", "eq", "abc", false}]')}. Exception: ERROR 22P02 (invalid_text_representation) invalid input syntax for type integer: "abc"`,
    ],
    [
      'secret=eq.x',
      `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${params('[{"secret", "eq", "x", false}]')}. Exception: ERROR P0001 (raise_exception) invalid column for filter secret`,
    ],
    [
      'n=is.true',
      `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${params('[{"n", "is", "true", false}]')}. Exception: ERROR P0001 (raise_exception) is true filter requires a boolean column, got integer`,
    ],
    [
      'label=is.maybe',
      `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${params('[{"label", "is", "maybe", false}]')}. Exception: ERROR P0001 (raise_exception) invalid value for is filter: must be null, true, false, or unknown`,
    ],
    [
      'n=like.1%',
      `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${params('[{"n", "like", "1%", false}]')}. Exception: ERROR P0001 (raise_exception) operator like requires a text-compatible column type, got integer`,
    ],
    [
      'label=match.(',
      'Exception: ERROR P0001 (raise_exception) invalid regular expression for match filter: invalid regular expression: parentheses () not balanced',
    ],
    [
      `n=in.(${Array.from({ length: 101 }, (_, i) => i).join(',')})`,
      'Exception: ERROR P0001 (raise_exception) too many values for `in` filter. Maximum 100',
    ],
  ];
  test.each(cases)('%s', async (filter, message) => {
    const w = await watch([filter]);
    expect(w.status.status).toBe('error');
    if (message.startsWith('Exception:')) expect(w.status.message).toContain(message);
    else expect(w.status.message).toBe(message);
  });

  test('a table outside the publication cannot be subscribed to', async () => {
    const w = await watch([], 'unpublished');
    expect(w.status).toMatchObject({
      status: 'error',
      message: `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: *, schema: ${schema}, table: unpublished, filters: [], select: nil]`,
    });
  });

  test('100 `in` values are fine, and a bad binding does not take the socket down', async () => {
    const w = await watch([`n=in.(${Array.from({ length: 100 }, (_, i) => i).join(',')})`]);
    expect(w.status).toMatchObject({ status: 'ok' });
    const [id] = await insert([{ n: 99 }]);
    expect(await delivered(w, 1)).toEqual([[id]]);
  });
});
