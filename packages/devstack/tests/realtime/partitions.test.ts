import postgres, { type Sql } from 'postgres';
import { afterAll, expect, inject, test } from 'vitest';
import { startApi } from '../../src/api';
import { bootstrap } from '../../src/migrate';
import { freePort } from '../../src/postgres';
import { maintainMessagePartitions } from '../../src/realtime/messages-partitions';
import { connect } from '../support/fixture';
import {
  closeClients,
  stack,
  mintToken,
  realtimeClient,
  subscribeFailure,
  subscribed,
} from '../../src/testing/realtime';

// realtime.messages partitioned by day as on Supabase; partitions kept from
// yesterday to three days ahead, days older than 72 h dropped; and without a
// partition, what Supabase does: realtime.send warns, stores nothing, and the
// writing transaction commits; a private join fails with MissingPartition.

const sql = connect(2);
const scratch: Array<{ name: string; sql: Sql }> = [];

/** A database of this file's own on the test server, with only the platform bootstrap (no realtime service). */
async function scratchDatabase(tag: string, onnotice?: (n: postgres.Notice) => void) {
  const name = `rt_parts_${tag}_${process.pid}`;
  await sql.unsafe(`create database ${name}`);
  const url = new URL(inject('stack').dbUrl);
  url.pathname = `/${name}`;
  const db = postgres(url.toString(), { max: 2, onnotice: onnotice ?? (() => {}) });
  scratch.push({ name, sql: db });
  await bootstrap(db);
  return { db, url: url.toString() };
}

afterAll(async () => {
  await closeClients();
  for (const { name, sql: db } of scratch) {
    await db.end();
    await sql.unsafe(`drop database if exists ${name} with (force)`);
  }
  await sql.end();
});

const day = (offsetDays: number) =>
  `messages_${new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '_')}`;
const partitions = async (db: Sql) =>
  (
    await db<{ name: string }[]>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'realtime.messages'::regclass order by 1`
  ).map((r) => r.name);

test("the running stack's realtime.messages is partitioned, from yesterday to three days ahead", async () => {
  const [{ kind }] = await sql`select relkind as kind from pg_class where oid = 'realtime.messages'::regclass`;
  expect(kind).toBe('p');
  expect(await partitions(sql)).toEqual(expect.arrayContaining([-1, 0, 1, 2, 3].map(day)));
});

test('maintenance creates the days ahead and drops days older than 72 h, as Supabase does', async () => {
  const { db } = await scratchDatabase('keep');
  expect(await partitions(db)).toEqual([]);
  const first = await maintainMessagePartitions(db);
  expect(first.created).toEqual([-1, 0, 1, 2, 3].map(day));
  await db.unsafe(`create table realtime.messages_2020_01_01 partition of realtime.messages
                   for values from ('2020-01-01') to ('2020-01-02')`);
  const twoDaysAgo = day(-2);
  const from = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  await db.unsafe(`create table realtime.${twoDaysAgo} partition of realtime.messages
                   for values from ('${from}') to ('${from}'::date + 1)`);
  const second = await maintainMessagePartitions(db);
  expect(second).toEqual({ created: [], dropped: ['messages_2020_01_01'] });
  expect(await partitions(db)).toEqual([-2, -1, 0, 1, 2, 3].map(day));
  const [{ owner }] = await db`select pg_get_userbyid(relowner) as owner from pg_class where relname = ${day(0)}`;
  expect(owner).toBe('supabase_realtime_admin');
});

test('without a partition, realtime.send and send_binary warn, store nothing, and the transaction commits', async () => {
  const notices: string[] = [];
  const { db } = await scratchDatabase('none', (n) => notices.push(`${n.severity}: ${n.message}`));
  await db`create table public.work (id int primary key)`;
  notices.length = 0; // the bootstrap's own
  await db.begin(async (tx) => {
    await tx`insert into public.work values (1)`;
    await tx`select realtime.send('{"n": 1}'::jsonb, 'e', 'room', false)`;
    await tx`select realtime.send_binary('\\x01'::bytea, 'e', 'room', false)`;
  });
  expect(await db`select id from public.work`).toEqual([{ id: 1 }]);
  expect(await db`select count(*)::int as n from realtime.messages`).toEqual([{ n: 0 }]);
  expect(notices).toEqual([
    expect.stringMatching(/^WARNING: WarnSendingBroadcastMessage: no partition of relation "messages" found for row/),
    expect.stringMatching(/^WARNING: WarnSendingBroadcastMessage: no partition of relation "messages" found for row/),
  ]);
  await maintainMessagePartitions(db);
  await db`select realtime.send('{"n": 2}'::jsonb, 'e', 'room', false)`;
  expect(await db`select payload->>'n' as n from realtime.messages`).toEqual([{ n: '2' }]);
});

test('a private join with no partition for today fails with MissingPartition, and works once there is one', async () => {
  const { db, url } = await scratchDatabase('join');
  await db.unsafe(
    `create policy "Everyone signed in reads" on realtime.messages for select to authenticated using (true)`,
  );
  const api = await startApi({
    dbUrl: url,
    port: await freePort(),
    keys: stack().keys, // the main test stack's, so minted tokens work here too
    env: process.env,
  });
  try {
    expect(await partitions(db)).toHaveLength(5); // the service made them at start
    for (const name of await partitions(db)) await db.unsafe(`drop table realtime.${name}`);
    const token = await mintToken({ sub: '00000000-0000-4000-8000-000000000001' });
    const client = await realtimeClient({ token, apiUrl: api.url });
    const failure = await subscribeFailure(client.channel('room', { config: { private: true } }));
    expect(failure.status).toBe('CHANNEL_ERROR');
    expect(failure.error?.message).toBe(
      'MissingPartition: Realtime was unable to find the expected messages partition',
    );
    await maintainMessagePartitions(db);
    await subscribed(client.channel('room-2', { config: { private: true } }));
  } finally {
    await closeClients();
    await api.close();
  }
});

test('a database from before partitioning is converted, keeping its policies and recent rows', async () => {
  const { db } = await scratchDatabase('convert');
  await db.unsafe(`
    drop table realtime.messages;
    create table realtime.messages (
      topic text not null, extension text not null, payload jsonb, event text, private boolean default false,
      updated_at timestamp not null default now(), inserted_at timestamp not null default now(),
      id uuid not null default gen_random_uuid(), primary key (id, inserted_at));
    create index messages_inserted_at_topic_index on realtime.messages (inserted_at desc, topic);
    alter table realtime.messages enable row level security;
    create policy "Members read their topics" on realtime.messages for select to authenticated
      using (realtime.topic() like 'depot:%');
    create policy "Nobody writes" on realtime.messages as restrictive for insert to anon, authenticated
      with check (false);
    insert into realtime.messages (topic, extension, payload, event, private)
      values ('depot:1', 'broadcast', '{"kept": true}', 'e', true);
    insert into realtime.messages (topic, extension, payload, event, private, inserted_at)
      values ('depot:1', 'broadcast', '{"kept": false}', 'e', true, now() - interval '5 days');`);
  const policiesBefore = await db`select policyname, permissive, roles, cmd, qual, with_check
                                  from pg_policies where tablename = 'messages' order by 1`;
  await bootstrap(db);
  const [{ kind }] = await db`select relkind as kind from pg_class where oid = 'realtime.messages'::regclass`;
  expect(kind).toBe('p');
  expect(
    await db`select policyname, permissive, roles, cmd, qual, with_check
             from pg_policies where tablename = 'messages' order by 1`,
  ).toEqual(policiesBefore);
  expect(await db`select payload from realtime.messages`).toEqual([{ payload: { kept: true } }]);
  expect(await db`select to_regclass('realtime.messages_before_partitioning') as old`).toEqual([{ old: null }]);
  await bootstrap(db); // and it stays idempotent
  expect(await db`select count(*)::int as n from realtime.messages`).toEqual([{ n: 1 }]);
});
