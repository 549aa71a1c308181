// Per-shipment notes (supabase/migrations/20261201000400_shipment_notes.sql):
// readable and writable by exactly those who can see the shipment, live on the
// depot's notes topic and on the assigned driver's, following reassignment.
// A database of its own (migrated and seeded), so the people, depots and
// shipments it adds never change what other files count.
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPerson, createWorld, type ContractWorld } from '../contract/fixtures';
import { createPrivateDatabase, type PrivateDatabase } from '../contract/private-stack';
import { asActor, attempt, type Actor } from '../support/db';

let database: PrivateDatabase;
let sql: Sql;
let home: ContractWorld;
let away: ContractWorld;
let dispatcher: Actor;
let colleague: Actor;
let driver: Actor;
let otherDriver: Actor;
let strangerDispatcher: Actor;
let strangerDriver: Actor;
let otherDriverId: string;
let shipmentId: string;

const user = (id: string): Actor => ({ kind: 'user', id });

beforeAll(async () => {
  database = await createPrivateDatabase('notes');
  sql = database.sql;
  home = await createWorld(sql, 'notes');
  away = await createWorld(sql, 'notesaway');
  const second = await createPerson(sql, 'notes', 'driver', 'Second Driver');
  await sql`insert into depot_members (depot_id, user_id) values (${home.depotId}, ${second.id})`;
  otherDriverId = second.id;
  dispatcher = user(home.dispatcher.id);
  colleague = user(home.colleague.id);
  driver = user(home.driver.id);
  otherDriver = user(second.id);
  strangerDispatcher = user(away.dispatcher.id);
  strangerDriver = user(away.driver.id);
  [{ id: shipmentId }] = await sql`
    insert into shipments (depot_id, reference, recipient, address, driver_id, status)
    values (${home.depotId}, ${`NOTE-${process.pid}`}, 'R', 'A', ${home.driver.id}, 'assigned') returning id`;
});
afterAll(() => database?.drop());

const addNote = (actor: Actor, body: string) =>
  attempt(
    sql,
    actor,
    (tx) =>
      tx`insert into shipment_notes (shipment_id, depot_id, body) values (${shipmentId}, ${away.depotId}, ${body})
         returning depot_id, driver_id, author_id`,
  );

describe('shipment notes', () => {
  it('the depot dispatchers and the assigned driver may add notes; depot and author come from the database', async () => {
    for (const actor of [dispatcher, colleague, driver]) {
      const result = await addNote(actor, 'hello');
      expect(result).toMatchObject({ ok: true });
      // The depot the writer claimed (another one) is replaced by the shipment's; the author is the caller.
      expect((result as { value: Record<string, string>[] }).value[0]).toEqual({
        depot_id: home.depotId,
        driver_id: home.driver.id,
        author_id: (actor as { id: string }).id,
      });
    }
    for (const actor of [strangerDispatcher, strangerDriver, otherDriver, { kind: 'anon' } as Actor]) {
      expect(await addNote(actor, 'hello'), JSON.stringify(actor)).toMatchObject({ ok: false, code: '42501' });
    }
    expect(await addNote(dispatcher, '   ')).toMatchObject({ ok: false, code: '23514' });
  });

  it('only people who can see the shipment read its notes; nobody edits or deletes them', async () => {
    await sql`insert into shipment_notes (shipment_id, depot_id, author_id, body)
              values (${shipmentId}, ${home.depotId}, ${home.dispatcher.id}, 'seen by few')`;
    const count = (actor: Actor) =>
      asActor(
        sql,
        actor,
        async (tx) => (await tx`select count(*)::int as n from shipment_notes where shipment_id = ${shipmentId}`)[0].n,
      );
    expect(await count(dispatcher)).toBeGreaterThan(0);
    expect(await count(driver)).toBe(await count(dispatcher));
    for (const outsider of [otherDriver, strangerDispatcher, strangerDriver]) expect(await count(outsider)).toBe(0);
    const before = await sql`select id, body from shipment_notes where shipment_id = ${shipmentId} order by id`;
    for (const actor of [dispatcher, driver]) {
      for (const statement of [
        `update shipment_notes set body = 'x' where shipment_id = '${shipmentId}' returning id`,
        `delete from shipment_notes where shipment_id = '${shipmentId}' returning id`,
      ]) {
        // Refused by privilege, or (RLS has no update/delete policy) affecting no row.
        const outcome = await attempt(sql, actor, (tx) => tx.unsafe(statement));
        expect(outcome.ok ? (outcome.value as unknown[]).length : outcome.code).toBeOneOf([0, '42501']);
      }
    }
    expect(await sql`select id, body from shipment_notes where shipment_id = ${shipmentId} order by id`).toEqual(
      before,
    );
  });

  it('follows a reassignment: the new driver becomes the audience, the previous one is told the notes left', async () => {
    const outcome = await asActor(sql, dispatcher, async (tx) => {
      await tx`update shipments set driver_id = ${otherDriverId} where id = ${shipmentId}`;
      await tx`reset role`;
      const audiences = await tx`select distinct driver_id from shipment_notes where shipment_id = ${shipmentId}`;
      const outbox = await tx<{ channel: string; event: string }[]>`
        select distinct channel, event from realtime_outbox
        where channel like 'shipment_notes:@%' and payload->>'id' in
          (select id::text from shipment_notes where shipment_id = ${shipmentId}) order by 1, 2`;
      return { audiences: audiences.map((r) => r.driver_id), outbox };
    });
    expect(outcome.audiences).toEqual([otherDriverId]);
    expect(outcome.outbox).toEqual(
      expect.arrayContaining([
        { channel: `shipment_notes:@${otherDriverId}`, event: 'changed' },
        { channel: `shipment_notes:@${home.driver.id}`, event: 'removed' },
      ]),
    );
  });

  it('read markers: set at database time by the reader, visible only to them, refused for unseen shipments', async () => {
    const mine = await asActor(sql, driver, async (tx) => {
      await tx`select public.mark_shipment_notes_read(${shipmentId})`;
      return tx`select user_id, (read_at = now()) as now from shipment_note_reads`;
    });
    expect(mine).toEqual([{ user_id: home.driver.id, now: true }]);
    for (const outsider of [otherDriver, strangerDispatcher, { kind: 'anon' } as Actor]) {
      expect(
        await attempt(sql, outsider, (tx) => tx`select public.mark_shipment_notes_read(${shipmentId})`),
        JSON.stringify(outsider),
      ).toMatchObject({ ok: false, code: '42501' });
    }
  });
});
