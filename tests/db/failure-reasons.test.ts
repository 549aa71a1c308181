// Failed deliveries and their reasons (supabase/migrations/20261204000100_shipment_failure_reasons.sql):
// what the database refuses, what it records in the history, and that the
// app's list of reasons is the database's.
import { afterAll, describe, expect, it } from 'vitest';
import { FAILURE_REASONS } from '../../lib/shipments/failure';
import { type Actor, asActor, attempt, connect, DEPOT, USER } from '../support/db';

const sql = connect(3);
afterAll(() => sql.end());

const dN: Actor = { kind: 'user', id: USER.dispatcherNorth };

/** A seeded North shipment in `status`, with its driver as the actor (every test rolls back). */
async function shipmentOnTheRoad(
  status: 'picked_up' | 'in_transit',
): Promise<{ id: string; reference: string; driver: Actor; driverId: string }> {
  const [row] = await sql<{ id: string; reference: string; driver_id: string }[]>`
    select id, reference, driver_id from shipments
    where depot_id = ${DEPOT.north} and status = ${status} and reference like 'NOR-%' order by reference limit 1`;
  if (!row) throw new Error(`seed has no North shipment in ${status}`);
  return { ...row, driverId: row.driver_id, driver: { kind: 'user', id: row.driver_id } };
}

describe('failure reasons', () => {
  it('the app offers exactly the database’s reasons', async () => {
    const rows = await sql<
      { reason: string }[]
    >`select unnest(enum_range(null::public.failure_reason))::text as reason`;
    expect(rows.map((r) => r.reason)).toEqual([...FAILURE_REASONS]);
  });

  it('a driver cannot report a failed delivery without saying why', async () => {
    const s = await shipmentOnTheRoad('in_transit');
    const result = await attempt(sql, s.driver, (tx) => tx`update shipments set status = 'failed' where id = ${s.id}`);
    expect(result).toMatchObject({ ok: false, code: '23514' });
    expect(!result.ok && result.message).toBe(`Say why the delivery of ${s.reference} failed`);
  });

  it('a driver’s failed delivery with a reason is recorded in the history with it, for the dispatcher to read', async () => {
    const s = await shipmentOnTheRoad('picked_up');
    const seen = await asActor(sql, s.driver, async (tx) => {
      await tx`update shipments set status = 'failed', failure_reason = 'damaged', failure_note = '  Parcel was crushed  '
               where id = ${s.id}`;
      // The dispatcher reads it as themselves (RLS on the history applies).
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ role: 'authenticated', sub: USER.dispatcherNorth })}, true)`;
      const [row] = await tx`select status, failure_reason, failure_note from shipments where id = ${s.id}`;
      const [event] = await tx`
        select status, failure_reason, failure_note, actor_id, changes from shipment_events
        where shipment_id = ${s.id} order by seq desc limit 1`;
      return { row, event };
    });
    expect(seen.row).toEqual({ status: 'failed', failure_reason: 'damaged', failure_note: 'Parcel was crushed' });
    expect(seen.event).toMatchObject({
      status: 'failed',
      failure_reason: 'damaged',
      failure_note: 'Parcel was crushed',
      actor_id: s.driverId,
    });
    expect(seen.event.changes).toMatchObject({
      status: { old: 'picked_up', new: 'failed' },
      failure_reason: { old: null, new: 'damaged' },
      failure_note: { old: null, new: 'Parcel was crushed' },
    });
  });

  it('"other" needs a note (a blank one is none), and a note is at most 500 characters', async () => {
    const s = await shipmentOnTheRoad('in_transit');
    for (const note of [null, '   ', 'x'.repeat(501)]) {
      const result = await attempt(
        sql,
        s.driver,
        (tx) =>
          tx`update shipments set status = 'failed', failure_reason = 'other', failure_note = ${note} where id = ${s.id}`,
      );
      expect(result).toMatchObject({ ok: false, code: '23514' });
    }
    const ok = await attempt(
      sql,
      s.driver,
      (tx) => tx`update shipments set status = 'failed', failure_reason = 'other', failure_note = 'Dog in the garden'
                 where id = ${s.id}`,
    );
    expect(ok.ok).toBe(true);
  });

  it('a reason exists only on a failed shipment', async () => {
    const s = await shipmentOnTheRoad('in_transit');
    const dispatcher = await attempt(
      sql,
      dN,
      (tx) => tx`update shipments set failure_reason = 'damaged' where id = ${s.id}`,
    );
    expect(dispatcher).toMatchObject({ ok: false, code: '23514' });
    // A driver may give one only in the move to failed.
    const driver = await attempt(
      sql,
      s.driver,
      (tx) => tx`update shipments set failure_reason = 'damaged' where id = ${s.id}`,
    );
    expect(driver).toMatchObject({ ok: false, code: '42501' });
  });

  it('a driver cannot change the reason afterwards', async () => {
    const s = await shipmentOnTheRoad('in_transit');
    const result = await attempt(sql, s.driver, async (tx) => {
      await tx`update shipments set status = 'failed', failure_reason = 'refused' where id = ${s.id}`;
      await tx`update shipments set failure_reason = 'recipient_absent' where id = ${s.id}`;
    });
    expect(result).toMatchObject({ ok: false, code: '42501' });
    expect(!result.ok && result.message).toMatch(/only when they report a failed delivery/);
  });

  it('re-queuing a failed shipment clears the reason on the row; the history keeps it', async () => {
    const s = await shipmentOnTheRoad('in_transit');
    const after = await asActor(sql, s.driver, async (tx) => {
      await tx`update shipments set status = 'failed', failure_reason = 'address_wrong' where id = ${s.id}`;
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ role: 'authenticated', sub: USER.dispatcherNorth })}, true)`;
      await tx`update shipments set status = 'pending' where id = ${s.id}`;
      const [row] = await tx`select status, driver_id, failure_reason, failure_note from shipments where id = ${s.id}`;
      const reasons =
        await tx`select status, failure_reason from shipment_events where shipment_id = ${s.id} order by seq desc limit 2`;
      return { row, reasons };
    });
    expect(after.row).toEqual({ status: 'pending', driver_id: null, failure_reason: null, failure_note: null });
    expect(after.reasons).toEqual([
      { status: 'pending', failure_reason: null },
      { status: 'failed', failure_reason: 'address_wrong' },
    ]);
  });

  it('a dispatcher may still mark a shipment failed without a reason (the board has no reason picker yet)', async () => {
    const s = await shipmentOnTheRoad('in_transit');
    const result = await attempt(sql, dN, (tx) => tx`update shipments set status = 'failed' where id = ${s.id}`);
    expect(result.ok).toBe(true);
  });
});
