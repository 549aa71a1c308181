// Per-shipment notes (supabase/migrations/20261201000400_shipment_notes.sql):
// readable and writable by exactly those who can see the shipment, live on the
// depot's notes topic and on the assigned driver's, following reassignment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asActor, attempt, connect, DEPOT, USER, type Actor } from '../support/db';

const sql = connect(2);
const dN: Actor = { kind: 'user', id: USER.dispatcherNorth };
const dS: Actor = { kind: 'user', id: USER.dispatcherSouth };
const hq: Actor = { kind: 'user', id: USER.dispatcherHq };
const n1: Actor = { kind: 'user', id: USER.driverNorth1 };
const n2: Actor = { kind: 'user', id: USER.driverNorth2 };
let shipmentId: string;

beforeAll(async () => {
  [{ id: shipmentId }] = await sql`
    insert into shipments (depot_id, reference, recipient, address, driver_id, status)
    values (${DEPOT.north}, ${`NOTE-${process.pid}`}, 'R', 'A', ${USER.driverNorth1}, 'assigned') returning id`;
});
afterAll(() => sql.end());

const addNote = (actor: Actor, body: string) =>
  attempt(
    sql,
    actor,
    (tx) =>
      tx`insert into shipment_notes (shipment_id, depot_id, body) values (${shipmentId}, ${DEPOT.south}, ${body})
         returning depot_id, driver_id, author_id`,
  );

describe('shipment notes', () => {
  it('the depot dispatchers and the assigned driver may add notes; depot and author come from the database', async () => {
    for (const actor of [dN, hq, n1]) {
      const result = await addNote(actor, 'hello');
      expect(result).toMatchObject({ ok: true });
      // The depot the writer claimed (south) is replaced by the shipment's; the author is the caller.
      expect((result as { value: Record<string, string>[] }).value[0]).toEqual({
        depot_id: DEPOT.north,
        driver_id: USER.driverNorth1,
        author_id: (actor as { id: string }).id,
      });
    }
    for (const actor of [dS, n2, { kind: 'anon' } as Actor]) {
      expect(await addNote(actor, 'hello'), JSON.stringify(actor)).toMatchObject({ ok: false, code: '42501' });
    }
    expect(await addNote(dN, '   ')).toMatchObject({ ok: false, code: '23514' });
  });

  it('only people who can see the shipment read its notes; nobody edits or deletes them', async () => {
    await sql`insert into shipment_notes (shipment_id, depot_id, author_id, body)
              values (${shipmentId}, ${DEPOT.north}, ${USER.dispatcherNorth}, 'seen by few')`;
    const count = (actor: Actor) =>
      asActor(
        sql,
        actor,
        async (tx) => (await tx`select count(*)::int as n from shipment_notes where shipment_id = ${shipmentId}`)[0].n,
      );
    expect(await count(dN)).toBeGreaterThan(0);
    expect(await count(n1)).toBe(await count(dN));
    expect(await count(n2)).toBe(0);
    expect(await count(dS)).toBe(0);
    for (const statement of [
      `update shipment_notes set body = 'x' where shipment_id = '${shipmentId}'`,
      `delete from shipment_notes where shipment_id = '${shipmentId}'`,
    ]) {
      expect(await attempt(sql, dN, (tx) => tx.unsafe(statement))).toMatchObject({ ok: false, code: '42501' });
    }
  });

  it('follows a reassignment: the new driver becomes the audience, the previous one is told the notes left', async () => {
    const outcome = await asActor(sql, dN, async (tx) => {
      await tx`update shipments set driver_id = ${USER.driverNorth2} where id = ${shipmentId}`;
      await tx`reset role`;
      const audiences = await tx`select distinct driver_id from shipment_notes where shipment_id = ${shipmentId}`;
      const outbox = await tx<{ channel: string; event: string }[]>`
        select distinct channel, event from realtime_outbox
        where channel like 'shipment_notes:@%' and payload->>'id' in
          (select id::text from shipment_notes where shipment_id = ${shipmentId})
          and id > (select coalesce(max(id), 0) - 1000 from realtime_outbox) order by 1, 2`;
      return { audiences: audiences.map((r) => r.driver_id), outbox };
    });
    expect(outcome.audiences).toEqual([USER.driverNorth2]);
    expect(outcome.outbox).toEqual(
      expect.arrayContaining([
        { channel: `shipment_notes:@${USER.driverNorth2}`, event: 'changed' },
        { channel: `shipment_notes:@${USER.driverNorth1}`, event: 'removed' },
      ]),
    );
  });

  it('read markers: set at database time by the reader, visible only to them, refused for unseen shipments', async () => {
    const marked = await attempt(sql, n1, (tx) => tx`select public.mark_shipment_notes_read(${shipmentId}) as at`);
    expect(marked).toMatchObject({ ok: true });
    const mine = await asActor(sql, n1, async (tx) => {
      await tx`select public.mark_shipment_notes_read(${shipmentId})`;
      return tx`select user_id, (read_at = now()) as now from shipment_note_reads`;
    });
    expect(mine).toEqual([{ user_id: USER.driverNorth1, now: true }]);
    for (const stranger of [n2, dS]) {
      expect(
        await attempt(sql, stranger, (tx) => tx`select public.mark_shipment_notes_read(${shipmentId})`),
      ).toMatchObject({ ok: false, code: '42501' });
    }
    expect(
      await attempt(sql, { kind: 'anon' }, (tx) => tx`select public.mark_shipment_notes_read(${shipmentId})`),
    ).toMatchObject({
      ok: false,
      code: '42501',
    });
  });
});
