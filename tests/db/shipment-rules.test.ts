// Business rules enforced by the database: status transitions, what a driver
// may change, version bumps, and the change feed every change writes.
import { afterAll, describe, expect, it } from 'vitest';
import { type Actor, asActor, attempt, connect, DEPOT, USER } from '../support/db';

const sql = connect(4);
afterAll(() => sql.end());

const dN: Actor = { kind: 'user', id: USER.dispatcherNorth };
const n1: Actor = { kind: 'user', id: USER.driverNorth1 };

async function shipmentWith(status: string, driver?: string): Promise<{ id: string; version: number }> {
  const [row] = await sql<{ id: string; version: number }[]>`
    select id, version from shipments
    where depot_id = ${DEPOT.north} and status = ${status}
      and (${driver ?? null}::uuid is null or driver_id = ${driver ?? null}) and reference like 'NOR-%'
    limit 1`;
  if (!row) throw new Error(`seed has no North shipment in ${status}`);
  return row;
}

describe('status transitions', () => {
  it('refuses pending → delivered with the allowed next statuses as hint', async () => {
    const s = await shipmentWith('pending');
    const result = await attempt(sql, dN, (tx) => tx`update shipments set status = 'delivered' where id = ${s.id}`);
    expect(result).toMatchObject({ ok: false, code: '23514' });
    expect(!result.ok && result.message).toMatch(/cannot move from pending to delivered/);
  });

  it('refuses any move out of a final status, even for the service role', async () => {
    const delivered = await shipmentWith('delivered');
    const result = await attempt(
      sql,
      { kind: 'service_role' },
      (tx) => tx`update shipments set status = 'in_transit' where id = ${delivered.id}`,
    );
    expect(result).toMatchObject({ ok: false, code: '23514' });
  });

  it('walks the happy path and bumps version by one each step', async () => {
    const s = await shipmentWith('pending');
    const versions = await asActor(sql, dN, async (tx) => {
      const seen: [string, number][] = [];
      const step = async (set: string) => {
        const [row] = await tx.unsafe(`update shipments set ${set} where id = $1 returning status, version`, [s.id]);
        seen.push([row.status, row.version]);
      };
      await step(`driver_id = '${USER.driverNorth1}'`); // pending + driver → assigned
      await step(`status = 'picked_up'`);
      await step(`status = 'in_transit'`);
      await step(`status = 'delivered'`);
      return seen;
    });
    expect(versions).toEqual([
      ['assigned', s.version + 1],
      ['picked_up', s.version + 2],
      ['in_transit', s.version + 3],
      ['delivered', s.version + 4],
    ]);
  });

  it('removing the driver of an assigned shipment puts it back to pending', async () => {
    const s = await shipmentWith('assigned');
    const [row] = await asActor(
      sql,
      dN,
      (tx) => tx`update shipments set driver_id = null where id = ${s.id} returning status`,
    );
    expect(row.status).toBe('pending');
  });

  it('refuses a driver who is not a driver of the depot', async () => {
    const s = await shipmentWith('pending');
    for (const stranger of [USER.driverSouth1, USER.dispatcherNorth]) {
      const result = await attempt(
        sql,
        dN,
        (tx) => tx`update shipments set driver_id = ${stranger} where id = ${s.id}`,
      );
      expect(result).toMatchObject({ ok: false, code: '23514' });
    }
  });

  it('ignores a client-supplied version and counts on its own', async () => {
    const s = await shipmentWith('pending');
    const [row] = await asActor(
      sql,
      dN,
      (tx) => tx`update shipments set version = 1000, recipient = 'New' where id = ${s.id} returning version`,
    );
    expect(row.version).toBe(s.version + 1);
  });
});

describe('drivers', () => {
  it('may advance their own shipment and report a position', async () => {
    const s = await shipmentWith('assigned', USER.driverNorth1);
    const [row] = await asActor(
      sql,
      n1,
      (tx) => tx`
      update shipments set status = 'picked_up', last_lat = 53.45, last_lng = -2.2, last_position_at = now()
      where id = ${s.id} returning status, last_lat`,
    );
    expect(row).toEqual({ status: 'picked_up', last_lat: 53.45 });
  });

  it('may not change anything else, nor move a shipment backwards or cancel it', async () => {
    const s = await shipmentWith('assigned', USER.driverNorth1);
    for (const set of [
      `recipient = 'Me'`,
      `eta = now()`,
      `driver_id = '${USER.driverNorth2}'`,
      `status = 'cancelled'`,
      `status = 'pending'`,
    ]) {
      const result = await attempt(sql, n1, (tx) => tx.unsafe(`update shipments set ${set} where id = $1`, [s.id]));
      expect(`${set}: ${result.ok ? 'ok' : result.code}`).toBe(`${set}: 42501`);
    }
  });

  it('cannot create shipments', async () => {
    const result = await attempt(
      sql,
      n1,
      (tx) =>
        tx`insert into shipments (depot_id, reference, recipient, address) values (${DEPOT.north}, 'DRV-1', 'r', 'a')`,
    );
    expect(result).toMatchObject({ ok: false, code: '42501' });
  });
});

describe('change feed', () => {
  it('records each change with the next depot seq and broadcasts it to the depot and driver topics', async () => {
    const s = await shipmentWith('pending');
    const outcome = await asActor(sql, dN, async (tx) => {
      const [before] = await tx`select public.depot_watermark(${DEPOT.north}) as seq`;
      await tx`update shipments set driver_id = ${USER.driverNorth2} where id = ${s.id}`;
      const [after] = await tx`select public.depot_watermark(${DEPOT.north}) as seq`;
      const [event] =
        await tx`select seq, operation, version, status, actor_id, changes from shipment_events where shipment_id = ${s.id} order by seq desc limit 1`;
      await tx`reset role`;
      const messages =
        await tx`select topic, event, payload, private from realtime.messages where payload->>'id' = ${s.id} and (payload->>'seq')::bigint = ${after.seq} order by topic`;
      return { before: Number(before.seq), after: Number(after.seq), event, messages };
    });
    expect(outcome.after).toBe(outcome.before + 1);
    expect(outcome.event).toMatchObject({
      seq: String(outcome.after),
      operation: 'UPDATE',
      version: s.version + 1,
      status: 'assigned',
      actor_id: USER.dispatcherNorth,
    });
    expect(Object.keys(outcome.event.changes).sort()).toEqual(['driver_id', 'status']);
    expect(outcome.messages.map((m) => m.topic)).toEqual([
      `shipments:@${USER.driverNorth2}`,
      `shipments:${DEPOT.north}`,
    ]);
    for (const m of outcome.messages) {
      expect(m).toMatchObject({ event: 'changed', private: true });
      expect(m.payload).toMatchObject({
        seq: outcome.after,
        id: s.id,
        version: s.version + 1,
        operation: 'UPDATE',
        scope: DEPOT.north,
      });
      expect(m.payload.record).toMatchObject({ id: s.id, status: 'assigned', driver_id: USER.driverNorth2 });
    }
  });

  it('tells a driver who loses a shipment without sending them the row', async () => {
    const s = await shipmentWith('assigned', USER.driverNorth1);
    const messages = await asActor(sql, dN, async (tx) => {
      await tx`update shipments set driver_id = ${USER.driverNorth2} where id = ${s.id}`;
      await tx`reset role`;
      return tx`select topic, event, payload from realtime.messages where payload->>'id' = ${s.id} and topic = ${`shipments:@${USER.driverNorth1}`} order by inserted_at desc limit 1`;
    });
    expect(messages[0]).toMatchObject({ event: 'removed' });
    expect(messages[0].payload.record).toBeUndefined();
  });

  it('depot_watermark answers only depot members', async () => {
    const read = (actor: Actor, depot: string) =>
      asActor(sql, actor, async (tx) => (await tx`select public.depot_watermark(${depot}) as seq`)[0].seq);
    expect(Number(await read(dN, DEPOT.north))).toBeGreaterThanOrEqual(30);
    expect(await read(dN, DEPOT.south)).toBeNull();
    expect(await read({ kind: 'anon' }, DEPOT.north)).toBeNull();
  });
});
