// live.publish / live.unpublish (supabase/migrations/20261201000110_live_publish.sql)
// on throw-away tables: what publish installs, that it is idempotent, that the
// default rule and the audience rule decide who reads what, and that unpublish
// removes every object publish created.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asActor, attempt, connect, DEPOT, USER, type Actor } from '../support/db';

const sql = connect(3);
const tag = `${process.pid}`;
const table = `live_items_${tag}`;
const dN: Actor = { kind: 'user', id: USER.dispatcherNorth };
const dS: Actor = { kind: 'user', id: USER.dispatcherSouth };
const n1: Actor = { kind: 'user', id: USER.driverNorth1 };
const n2: Actor = { kind: 'user', id: USER.driverNorth2 };

/** Every object in the database that mentions the table: triggers, columns, registry rows, history. */
async function footprint(name: string) {
  const [row] = await sql<
    { triggers: string[]; columns: string[]; registered: number; changes: number; watermarks: number; outbox: number }[]
  >`
    select
      (select coalesce(array_agg(tgname::text order by tgname), '{}') from pg_trigger
        where tgrelid = ${`public.${name}`}::regclass and not tgisinternal) as triggers,
      (select array_agg(attname::text order by attnum) from pg_attribute
        where attrelid = ${`public.${name}`}::regclass and attnum > 0 and not attisdropped) as columns,
      (select count(*)::int from live.tables where table_name = ${name}) as registered,
      (select count(*)::int from live.changes where table_name = ${name}) as changes,
      (select count(*)::int from live.watermarks where table_name = ${name}) as watermarks,
      (select count(*)::int from public.realtime_outbox where channel like ${`${name}:%`}) as outbox`;
  return row;
}

beforeAll(async () => {
  await sql.unsafe(`
    create table public.${table} (
      id bigint generated always as identity primary key,
      depot_id uuid not null references public.depots (id),
      assignee uuid references public.profiles (id),
      label text not null
    );
    alter table public.${table} enable row level security;
    create policy "Members read items of their depots" on public.${table}
      for select to authenticated using ((select public.is_depot_member(depot_id)));
    create policy "Members write items of their depots" on public.${table}
      for all to authenticated using ((select public.is_depot_member(depot_id)))
      with check ((select public.is_depot_member(depot_id)));`);
});

afterAll(async () => {
  await sql.unsafe(`select live.unpublish('public.${table}'); drop table if exists public.${table};`);
  await sql.end();
});

describe('live.publish', () => {
  it('installs the version column, the triggers and the registration; a second call changes nothing', async () => {
    const before = await footprint(table);
    expect(before.columns).not.toContain('version');
    await sql.unsafe(`select live.publish('public.${table}', 'depot_id', audience_column => 'assignee')`);
    const once = await footprint(table);
    await sql.unsafe(`select live.publish('public.${table}', 'depot_id', audience_column => 'assignee')`);
    const twice = await footprint(table);
    expect(once.columns).toContain('version');
    expect(once.triggers).toEqual(['live_bump_version', 'live_publish_change']);
    expect(once.registered).toBe(1);
    expect(twice).toEqual(once);
  });

  it('gives each scope its own commit-ordered seq, records history and sends to <table>:<scope> and the outbox', async () => {
    const [a] = await sql.unsafe(
      `insert into public.${table} (depot_id, label) values ($1, 'a') returning id, version`,
      [DEPOT.north],
    );
    await sql.unsafe(`update public.${table} set label = 'a2' where id = $1`, [a.id]);
    await sql.unsafe(`insert into public.${table} (depot_id, label) values ($1, 'b')`, [DEPOT.south]);
    const history = await sql<{ scope: string; seq: string; operation: string; version: number; changes: object }[]>`
      select scope, seq, operation, version, changes from live.changes where table_name = ${table} order by scope, seq`;
    expect(history.map((h) => [h.scope, Number(h.seq), h.operation, h.version])).toEqual([
      [DEPOT.north, 1, 'INSERT', 1],
      [DEPOT.north, 2, 'UPDATE', 2],
      [DEPOT.south, 1, 'INSERT', 1],
    ]);
    expect(history[1].changes).toEqual({ label: { old: 'a', new: 'a2' } });
    const outbox = await sql<{ channel: string; event: string; seq: string }[]>`
      select channel, event, seq from public.realtime_outbox where channel like ${`${table}:%`} order by id`;
    expect(outbox.map((m) => `${m.event} ${m.channel} ${m.seq}`)).toEqual([
      `changed ${table}:${DEPOT.north} 1`,
      `changed ${table}:${DEPOT.north} 2`,
      `changed ${table}:${DEPOT.south} 1`,
    ]);
    const sent = await sql<{ topic: string; payload: { seq: number; scope: string; table: string } }[]>`
      select topic, payload from realtime.messages where topic like ${`${table}:%`} order by (payload->>'seq')::int, topic`;
    expect(sent.every((m) => m.topic === `${table}:${m.payload.scope}` && m.payload.table === table)).toBe(true);
  });

  it('the default rule: whoever can see the referenced depot row reads the scope (drivers included), nobody else', async () => {
    const read = (actor: Actor, depot: string) =>
      asActor(sql, actor, async (tx) => {
        const [w] = await tx`select public.live_watermark(${table}, ${depot}) as w`;
        const rows = await tx`select seq from public.live_changes_after(${table}, ${depot}, 0)`;
        return { watermark: w.w === null ? null : Number(w.w), changes: rows.length };
      });
    expect(await read(dN, DEPOT.north)).toEqual({ watermark: 2, changes: 2 });
    expect(await read(n1, DEPOT.north)).toEqual({ watermark: 2, changes: 2 });
    expect(await read(dS, DEPOT.north)).toEqual({ watermark: null, changes: 0 });
    expect(await read({ kind: 'anon' }, DEPOT.north)).toEqual({ watermark: null, changes: 0 });
    const mayReceive = (actor: Actor, topic: string) =>
      asActor(sql, actor, async (tx) => (await tx`select live.may_receive(${topic}) as ok`)[0].ok as boolean);
    expect(await mayReceive(n1, `${table}:${DEPOT.north}`)).toBe(true);
    expect(await mayReceive(n1, `${table}:${DEPOT.south}`)).toBe(false);
    expect(await mayReceive(dN, `${table}:${DEPOT.north.toUpperCase()}`)).toBe(false);
    expect(await mayReceive(dN, `${table}:not-a-uuid`)).toBe(false);
  });

  it('the audience rule: a row goes to its assignee, who alone receives <table>:@<id>; a reassignment tells the previous one', async () => {
    const [row] = await sql.unsafe(
      `insert into public.${table} (depot_id, assignee, label) values ($1, $2, 'c') returning id`,
      [DEPOT.north, USER.driverNorth1],
    );
    await sql.unsafe(`update public.${table} set assignee = $2 where id = $1`, [row.id, USER.driverNorth2]);
    const messages = await sql<{ event: string; channel: string }[]>`
      select event, channel from public.realtime_outbox
      where channel like ${`${table}:@%`} and payload->>'id' = ${String(row.id)} order by id`;
    expect(messages.map((m) => `${m.event} ${m.channel}`)).toEqual([
      `changed ${table}:@${USER.driverNorth1}`,
      `changed ${table}:@${USER.driverNorth2}`,
      `removed ${table}:@${USER.driverNorth1}`,
    ]);
    const mayReceive = (actor: Actor, topic: string) =>
      asActor(sql, actor, async (tx) => (await tx`select live.may_receive(${topic}) as ok`)[0].ok as boolean);
    expect(await mayReceive(n2, `${table}:@${USER.driverNorth2}`)).toBe(true);
    expect(await mayReceive(n1, `${table}:@${USER.driverNorth2}`)).toBe(false);
  });

  it('refuses tables it cannot make live, with a reason', async () => {
    await sql.unsafe(`create table public.live_nopk_${tag} (depot_id uuid references public.depots (id))`);
    await sql.unsafe(`create table public.live_norule_${tag} (id int primary key, team text)`);
    try {
      await expect(sql.unsafe(`select live.publish('public.live_nopk_${tag}', 'depot_id')`)).rejects.toThrow(
        /single-column primary key/,
      );
      await expect(sql.unsafe(`select live.publish('public.live_norule_${tag}', 'team')`)).rejects.toMatchObject({
        message: expect.stringMatching(/no rule for who may read a scope/),
        hint: expect.stringMatching(/scope_check/),
      });
      await expect(sql.unsafe(`select live.publish('public.${table}', 'nope')`)).rejects.toThrow(/has no column nope/);
      await expect(
        sql.unsafe(`select live.publish('public.${table}', 'depot_id', audience_column => 'label')`),
      ).rejects.toThrow(/must be a uuid column/);
    } finally {
      await sql.unsafe(`drop table public.live_nopk_${tag}; drop table public.live_norule_${tag};`);
    }
  });

  it('keeps the history append-only and out of the API roles reach', async () => {
    await expect(sql.unsafe(`delete from live.changes where table_name = '${table}'`)).rejects.toThrow(/append-only/);
    for (const actor of [dN, n1, { kind: 'service_role' } as Actor]) {
      const write = await attempt(sql, actor, (tx) =>
        tx.unsafe(`insert into live.changes (table_name, scope, seq, row_id, operation, version)
                   values ('${table}', '${DEPOT.north}', 999, '1', 'UPDATE', 1)`),
      );
      expect(write).toMatchObject({ ok: false, code: '42501' });
    }
    const publish = await attempt(sql, dN, (tx) => tx.unsafe(`select live.publish('public.${table}', 'depot_id')`));
    expect(publish).toMatchObject({ ok: false, code: '42501' });
  });

  it('refuses moving a row to another scope', async () => {
    const [row] = await sql.unsafe(`insert into public.${table} (depot_id, label) values ($1, 'm') returning id`, [
      DEPOT.north,
    ]);
    await expect(
      sql.unsafe(`update public.${table} set depot_id = $2 where id = $1`, [row.id, DEPOT.south]),
    ).rejects.toThrow(/cannot move to another depot_id/);
  });
});

describe('live.unpublish', () => {
  it('removes every object publish created: triggers, the added version column, registry, history, watermarks, pending outbox', async () => {
    const name = `live_gone_${tag}`;
    await sql.unsafe(`create table public.${name} (id uuid primary key default gen_random_uuid(),
                       depot_id uuid not null references public.depots (id), label text)`);
    const pristine = await footprint(name);
    const policiesBefore = await sql`select polname from pg_policy order by polname`;
    await sql.unsafe(`select live.publish('public.${name}', 'depot_id')`);
    await sql.unsafe(`insert into public.${name} (depot_id, label) values ($1, 'x'), ($2, 'y')`, [
      DEPOT.north,
      DEPOT.south,
    ]);
    const live = await footprint(name);
    expect(live).toMatchObject({ registered: 1, changes: 2, watermarks: 2, outbox: 2 });
    await sql.unsafe(`select live.unpublish('public.${name}')`);
    expect(await footprint(name)).toEqual(pristine);
    expect(await sql`select polname from pg_policy order by polname`).toEqual(policiesBefore);
    // Writes go on without the pipeline; a second unpublish is a no-op.
    await sql.unsafe(`insert into public.${name} (depot_id, label) values ($1, 'z')`, [DEPOT.north]);
    await sql.unsafe(`select live.unpublish('public.${name}')`);
    expect(await footprint(name)).toEqual(pristine);
    await sql.unsafe(`drop table public.${name}`);
  });
});
