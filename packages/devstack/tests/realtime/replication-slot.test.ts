import postgres, { type Sql } from 'postgres';
import { afterAll, expect, inject, test } from 'vitest';
import { startApi, type RunningApi } from '../../src/api';
import { bootstrap } from '../../src/migrate';
import { freePort } from '../../src/postgres';
import { connect } from '../support/fixture';
import { closeClients, Inbox, privateApi, realtimeClient, stack, subscribed } from '../../src/testing/realtime';

// The replication slot: persistent, so the stream resumes where delivery
// stopped; a slot of its own for a throw-away stack, dropped when it closes;
// `devstack_realtime_<db>` kept between runs of a developer's stack; and the
// one case where changes were never streamed (the slot itself was lost),
// when every socket is dropped so clients catch up.

const sql = connect(2);
const scratch: Array<{ name: string; sql: Sql }> = [];
const apis: RunningApi[] = [];

async function scratchDatabase(tag: string) {
  const name = `rt_slot_${tag}_${process.pid}`;
  await sql.unsafe(`create database ${name}`);
  const url = new URL(inject('stack').dbUrl);
  url.pathname = `/${name}`;
  const db = postgres(url.toString(), { max: 2, onnotice: () => {} });
  scratch.push({ name, sql: db });
  await bootstrap(db);
  await db.unsafe(`
    create table public.items (id int primary key, label text);
    grant select on public.items to anon;
    alter publication supabase_realtime add table public.items;`);
  return { db, url: url.toString(), name };
}

async function api(dbUrl: string, options: { ephemeral?: boolean; env?: Record<string, string> } = {}) {
  const running = await startApi({
    dbUrl,
    port: await freePort(),
    keys: stack().keys, // the main test stack's, so minted tokens work here too
    env: { ...process.env, ...options.env },
    persistentSlot: !options.ephemeral,
    logSink: () => {},
  });
  apis.push(running);
  return running;
}

const slots = (db: Sql) =>
  db<{ slot_name: string; active: boolean; confirmed: string }[]>`
    select slot_name, active, confirmed_flush_lsn::text as confirmed from pg_replication_slots
    where slot_name like 'devstack_realtime_%' and database = current_database() order by 1`;

async function subscribeItems(apiUrl: string) {
  const client = await realtimeClient({ apiUrl });
  const inbox = new Inbox<{ new: { id: number; label: string } }>();
  const system = new Inbox<{ extension: string; status: string }>();
  const channel = client
    .channel(`items-${Math.random()}`)
    .on('system', {}, (m) => system.push(m as never))
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'items' }, (p) => inbox.push(p as never));
  await subscribed(channel);
  await system.next((m) => m.extension === 'postgres_changes' && m.status === 'ok');
  return { client, inbox };
}

afterAll(async () => {
  await closeClients();
  for (const running of apis) await running.close().catch(() => {});
  for (const { name, sql: db } of scratch) {
    await db.end();
    await sql.unsafe(`drop database if exists ${name} with (force)`);
  }
  await sql.end();
});

test('a throw-away (ephemeral) stack streams from a slot of its own and drops it when it closes', async () => {
  const before = (await slots(sql)).map((s) => s.slot_name);
  const extra = await privateApi({});
  const during = await slots(sql);
  const own = during.filter((s) => !before.includes(s.slot_name));
  expect(own).toHaveLength(1);
  expect(own[0]).toMatchObject({
    slot_name: expect.stringMatching(/^devstack_realtime_\d+_[0-9a-f]{8}$/),
    active: true,
  });
  await extra.close();
  expect((await slots(sql)).map((s) => s.slot_name)).not.toContain(own[0].slot_name);
});

test("a developer's stack keeps devstack_realtime_<db>, confirmed after delivery, and resumes it next run", async () => {
  const { db, url, name } = await scratchDatabase('keep');
  const first = await api(url);
  expect(await slots(db)).toEqual([
    { slot_name: `devstack_realtime_${name}`, active: true, confirmed: expect.any(String) },
  ]);
  const { inbox } = await subscribeItems(first.url);
  await db`insert into public.items values (1, 'delivered')`;
  const [{ lsn: afterFirst }] = await db`select pg_current_wal_lsn()::text as lsn`;
  await inbox.next((c) => c.new.id === 1);
  await closeClients();
  await first.close();
  // Kept; released once the closed stream's server process is gone.
  await expect.poll(async () => (await slots(db))[0]?.active, { timeout: 10_000 }).toBe(false);
  const [kept] = await slots(db);
  expect(kept.slot_name).toBe(`devstack_realtime_${name}`);
  // Confirmed only once delivered, so at least past the delivered transaction.
  expect((await db`select ${kept.confirmed}::pg_lsn >= ${afterFirst}::pg_lsn as past`)[0].past).toBe(true);

  await db`insert into public.items values (2, 'while the stack was down')`;
  const [{ lsn: whileDown }] = await db`select pg_current_wal_lsn()::text as lsn`;
  await api(url);
  await expect
    .poll(
      async () =>
        (
          await db`select confirmed_flush_lsn >= ${whileDown}::pg_lsn as past from pg_replication_slots where slot_name = ${kept.slot_name}`
        )[0]?.past,
      { timeout: 10_000 },
    )
    .toBe(true);
  expect((await slots(db)).map((s) => [s.slot_name, s.active])).toEqual([[kept.slot_name, true]]);
});

test('a lost replication connection resumes from the slot: a change committed meanwhile arrives live, sockets stay', async () => {
  const { db, url } = await scratchDatabase('resume');
  const running = await api(url, { ephemeral: true, env: { DEVSTACK_REALTIME_REPLICATION_RETRY_MS: '1500' } });
  const { inbox } = await subscribeItems(running.url);
  const sockets = running.realtime.connectionCount();
  const [slot] = await db<{ slot_name: string; active_pid: number }[]>`
    select slot_name, active_pid from pg_replication_slots where database = current_database()`;
  await db`select pg_terminate_backend(${slot.active_pid})`;
  await expect.poll(() => running.realtime.streaming(), { timeout: 5000, interval: 20 }).toBe(false);
  // Committed while nobody streams from the slot.
  const activeAtCommit = await db.begin(async (tx) => {
    await tx`insert into public.items values (3, 'committed while the stream was away')`;
    return (await tx`select active from pg_replication_slots where slot_name = ${slot.slot_name}`)[0].active;
  });
  expect(activeAtCommit).toBe(false);
  expect((await inbox.next((c) => c.new.id === 3, 15_000)).new.label).toBe('committed while the stream was away');
  expect(running.realtime.connectionCount()).toBe(sockets);
});

test('when the slot itself was lost, every socket is dropped so clients rejoin and catch up', async () => {
  const { db, url } = await scratchDatabase('lost');
  const running = await api(url, { ephemeral: true, env: { DEVSTACK_REALTIME_REPLICATION_RETRY_MS: '1500' } });
  await subscribeItems(running.url);
  expect(running.realtime.connectionCount()).toBe(1);
  const [slot] = await db<{ slot_name: string; active_pid: number }[]>`
    select slot_name, active_pid from pg_replication_slots where database = current_database()`;
  await db`select pg_terminate_backend(${slot.active_pid})`;
  await expect
    .poll(
      async () => (await db`select active from pg_replication_slots where slot_name = ${slot.slot_name}`)[0]?.active,
      { timeout: 5000, interval: 20 },
    )
    .toBe(false);
  await db`select pg_drop_replication_slot(${slot.slot_name})`;
  // The stream comes back on a new slot and the server drops the socket (supabase-js then reconnects).
  await expect.poll(() => running.realtime.connectionCount(), { timeout: 10_000, interval: 20 }).toBe(0);
  await expect.poll(async () => (await slots(db)).map((s) => s.active), { timeout: 10_000 }).toEqual([true]);
});

test('a second developer stack on the same database is refused with a clear reason', async () => {
  const { url, name } = await scratchDatabase('twice');
  await api(url);
  await expect(api(url)).rejects.toThrow(`Replication slot devstack_realtime_${name} is in use by another process`);
});
