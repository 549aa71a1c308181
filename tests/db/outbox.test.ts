// The realtime outbox (Ably/Pusher fan-out) is written by the same trigger as
// Supabase's realtime.messages, in the same transaction: the same topics,
// events, payloads and seq; nothing for a rolled-back change; and nobody but
// the service role can read it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asActor, attempt, connect, DEPOT, USER, type Actor } from '../support/db';

const sql = connect(4);
const dN: Actor = { kind: 'user', id: USER.dispatcherNorth };
let depotId: string;

beforeAll(async () => {
  // A depot of its own for the committed changes, so other files are not disturbed.
  [{ id: depotId }] = await sql`
    insert into depots (name, min_lat, min_lng, max_lat, max_lng)
    values (${`Outbox Depot ${process.pid}`}, 10, 10, 11, 11) returning id`;
});

afterAll(() => sql.end());

type Message = { channel: string; event: string; payload: Record<string, unknown>; seq: number };

const sortMessages = (list: Message[]) =>
  [...list].sort((a, b) => a.seq - b.seq || a.channel.localeCompare(b.channel) || a.event.localeCompare(b.event));

describe('realtime outbox', () => {
  it('a committed change writes the same messages as realtime.send, with the same seq, and wakes the relay', async () => {
    let notified!: () => void;
    const notification = new Promise<void>((resolve) => (notified = resolve));
    const listener = await sql.listen('realtime_outbox', () => notified());
    try {
      const [shipment] = await sql`
        insert into shipments (depot_id, reference, recipient, address)
        values (${depotId}, ${`OBX-${process.pid}`}, 'Recipient', 'Address') returning id`;
      await notification;
      await sql`update shipments set recipient = 'Someone else' where id = ${shipment.id}`;
      await sql`delete from shipments where id = ${shipment.id}`;

      const outbox = await sql<Message[]>`
        select channel, event, payload, seq::int as seq from realtime_outbox
        where payload->>'id' = ${shipment.id} order by id`;
      const messages = await sql<Message[]>`
        select topic as channel, event, payload, (payload->>'seq')::int as seq from realtime.messages
        where payload->>'id' = ${shipment.id}`;
      const events =
        await sql`select seq::int as seq, operation from shipment_events where shipment_id = ${shipment.id} order by seq`;

      expect(events.map((e) => e.operation)).toEqual(['INSERT', 'UPDATE', 'DELETE']);
      expect(outbox.map((m) => m.seq)).toEqual(events.map((e) => e.seq));
      expect(outbox.every((m) => m.channel === `shipments:${depotId}` && m.event === 'changed')).toBe(true);
      expect(outbox.every((m) => m.payload.seq === m.seq)).toBe(true);
      expect(sortMessages(outbox)).toEqual(sortMessages(messages));
    } finally {
      await listener.unlisten();
    }
  });

  it('driver topics too: assignment, reassignment (removed) and delete, message for message', async () => {
    const { outbox, messages } = await asActor(sql, dN, async (tx) => {
      const [s] = await tx`
        insert into shipments (depot_id, reference, recipient, address)
        values (${DEPOT.north}, ${`OBX-DRV-${process.pid}`}, 'Recipient', 'Address') returning id`;
      await tx`update shipments set driver_id = ${USER.driverNorth1} where id = ${s.id}`;
      await tx`update shipments set driver_id = ${USER.driverNorth2} where id = ${s.id}`;
      await tx`reset role`;
      // Dispatchers do not delete shipments (no policy); the service does.
      await tx`delete from shipments where id = ${s.id}`;
      return {
        outbox: await tx<Message[]>`
          select channel, event, payload, seq::int as seq from realtime_outbox where payload->>'id' = ${s.id}`,
        messages: await tx<Message[]>`
          select topic as channel, event, payload, (payload->>'seq')::int as seq from realtime.messages
          where payload->>'id' = ${s.id}`,
      };
    });
    const first = Math.min(...outbox.map((m) => m.seq));
    const summary = sortMessages(outbox).map((m) => `${m.seq - first} ${m.event} ${m.channel}`);
    expect(summary).toEqual([
      `0 changed shipments:${DEPOT.north}`,
      `1 changed shipments:@${USER.driverNorth1}`,
      `1 changed shipments:${DEPOT.north}`,
      `2 removed shipments:@${USER.driverNorth1}`,
      `2 changed shipments:@${USER.driverNorth2}`,
      `2 changed shipments:${DEPOT.north}`,
      `3 removed shipments:@${USER.driverNorth2}`,
      `3 changed shipments:${DEPOT.north}`,
    ]);
    expect(sortMessages(outbox)).toEqual(sortMessages(messages));
  });

  it('a rolled-back change leaves no outbox rows', async () => {
    const reference = `OBX-RB-${process.pid}`;
    const inside = await asActor(sql, { kind: 'service_role' }, async (tx) => {
      await tx`
        insert into shipments (depot_id, reference, recipient, address)
        values (${depotId}, ${reference}, 'Recipient', 'Address')`;
      await tx`reset role`;
      const [row] =
        await tx`select count(*)::int as n from realtime_outbox where payload->'record'->>'reference' = ${reference}`;
      return row.n as number;
    });
    expect(inside).toBe(1);
    const [after] =
      await sql`select count(*)::int as n from realtime_outbox where payload->'record'->>'reference' = ${reference}`;
    expect(after.n).toBe(0);
  });

  it('anon and authenticated users cannot read or write it; the service role can', async () => {
    for (const actor of [{ kind: 'anon' }, dN, { kind: 'user', id: USER.driverNorth1 }] satisfies Actor[]) {
      const read = await attempt(sql, actor, (tx) => tx`select * from realtime_outbox limit 1`);
      expect(read, `${JSON.stringify(actor)} select`).toMatchObject({ ok: false, code: '42501' });
      const write = await attempt(
        sql,
        actor,
        (tx) =>
          tx`insert into realtime_outbox (channel, event, payload) values (${`shipments:${DEPOT.north}`}, 'changed', '{}')`,
      );
      expect(write, `${JSON.stringify(actor)} insert`).toMatchObject({ ok: false, code: '42501' });
    }
    const service = await attempt(sql, { kind: 'service_role' }, (tx) => tx`select id from realtime_outbox limit 1`);
    expect(service.ok).toBe(true);
    const [{ rls }] =
      await sql`select relrowsecurity as rls from pg_class where oid = 'public.realtime_outbox'::regclass`;
    expect(rls).toBe(true);
  });
});
