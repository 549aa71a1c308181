// The offline write queue against the real dev stack: version-guarded writes
// through supabase-js as a signed-in driver (Auth, REST, RLS and the shipment
// rules all real), and the queue replaying writes taken offline, in order,
// with someone else's changes meanwhile.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Database } from '../../lib/database.types';
import type { QueuedWrite, WriteOutcome } from '../../lib/live/queued-writes';
import { memoryQueueStorage } from '../../lib/live/queue-storage';
import { writeVersioned } from '../../lib/live/versioned-write';
import { LiveWriteQueue } from '../../lib/live/write-queue';
import { shipmentsTable } from '../../lib/shipments/live';
import type { Shipment } from '../../lib/shipments/schema';
import { connect, DEPOT, USER } from '../support/db';

let sql: Sql;
let driver: SupabaseClient<Database>;
const created: string[] = [];

function client(): SupabaseClient<Database> {
  const { apiUrl, publishableKey } = inject('stack');
  return createClient<Database>(apiUrl, publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
}

beforeAll(async () => {
  sql = connect(2);
  driver = client();
  const { error } = await driver.auth.signInWithPassword({
    email: 'driver.north1@example.com',
    password: 'password123',
  });
  if (error) throw error;
});

afterAll(async () => {
  if (created.length > 0) await sql`delete from shipments where id = any(${created})`;
  await sql.end();
});

/** A fresh shipment of driver north1 in `status`, read back as the driver sees it. */
async function shipment(status: 'assigned' | 'in_transit' = 'assigned'): Promise<Shipment> {
  const reference = `WQ-${process.pid}-${created.length + 1}`;
  const [{ id }] = await sql<{ id: string }[]>`
    insert into shipments (depot_id, reference, recipient, address, status, driver_id)
    values (${DEPOT.north}, ${reference}, 'Queue Test', '1 Queue Street', 'assigned', ${USER.driverNorth1})
    returning id`;
  created.push(id);
  if (status === 'in_transit') {
    await sql`update shipments set status = 'picked_up' where id = ${id}`;
    await sql`update shipments set status = 'in_transit' where id = ${id}`;
  }
  const { row } = await shipmentsTable.fetchRow(driver, DEPOT.north, id);
  if (!row) throw new Error('the driver cannot see their new shipment');
  return row;
}

function write(row: Shipment, patch: Partial<Shipment>, label = 'step'): QueuedWrite {
  return {
    id: `${row.id}-${row.version}`,
    rowId: row.id,
    scope: row.depot_id,
    baseVersion: row.version,
    base: { ...row },
    patch: { ...patch },
    label,
    createdAt: Date.now(),
    sendAfter: 0,
    rebases: 0,
  };
}

describe('writeVersioned', () => {
  it('saves a write guarded by the version the driver saw', async () => {
    const s = await shipment();
    const result = await writeVersioned(driver, shipmentsTable, write(s, { status: 'picked_up' }), USER.driverNorth1);
    expect(result).toMatchObject({ kind: 'saved', row: { id: s.id, status: 'picked_up', version: s.version + 1 } });
  });

  it('a newer version (someone else first) comes back as stale, with the row now', async () => {
    const s = await shipment();
    await sql`update shipments set eta = now() + interval '1 hour' where id = ${s.id}`;
    const result = await writeVersioned(driver, shipmentsTable, write(s, { status: 'picked_up' }));
    expect(result).toMatchObject({ kind: 'stale', latest: { status: 'assigned', version: s.version + 1 } });
    const [row] = await sql`select status, version from shipments where id = ${s.id}`;
    expect(row).toEqual({ status: 'assigned', version: s.version + 1 });
  });

  it('a shipment reassigned away is gone for the driver', async () => {
    const s = await shipment();
    await sql`update shipments set driver_id = ${USER.driverNorth2} where id = ${s.id}`;
    expect(await writeVersioned(driver, shipmentsTable, write(s, { status: 'picked_up' }))).toEqual({ kind: 'gone' });
  });

  it('a write the rules refuse is refused with the database’s reason', async () => {
    const s = await shipment('in_transit');
    const result = await writeVersioned(driver, shipmentsTable, write(s, { status: 'failed' }));
    expect(result.kind).toBe('refused');
    expect(result.kind === 'refused' && result.message).toMatch(
      /^Say why the delivery of WQ-.* failed\. Set failure_reason/,
    );
  });

  it('sends nothing without a session, or with another person’s', async () => {
    const s = await shipment();
    expect(await writeVersioned(client(), shipmentsTable, write(s, { status: 'picked_up' }))).toEqual({
      kind: 'signed-out',
    });
    expect(await writeVersioned(driver, shipmentsTable, write(s, { status: 'picked_up' }), USER.driverNorth2)).toEqual({
      kind: 'signed-out',
    });
    const [row] = await sql`select version from shipments where id = ${s.id}`;
    expect(row.version).toBe(s.version);
  });
});

describe('the queue against the stack', () => {
  it('writes taken offline are applied in order, one change each; a compatible change meanwhile stands too', async () => {
    const a = await shipment();
    const b = await shipment();
    let online = false;
    const queue = new LiveWriteQueue<Shipment>({
      storage: memoryQueueStorage(),
      key: 'test',
      send: (w) => writeVersioned(driver, shipmentsTable, w, USER.driverNorth1),
      guardColumns: ['status', 'driver_id'],
      online: () => online,
    });
    const outcomes: WriteOutcome<Shipment>[] = [];
    queue.onOutcome((o) => outcomes.push(o));
    await queue.load();
    // Offline: pick up a, pick up b, start driving a (on the version the first write leads to).
    await queue.enqueue(write(a, { status: 'picked_up' }));
    await queue.enqueue(write(b, { status: 'picked_up' }));
    expect((await queue.enqueue(write(a, { status: 'picked_up' }))).added).toBe(false); // a double tap
    await queue.enqueue(write({ ...a, status: 'picked_up', version: a.version + 1 }, { status: 'in_transit' }));
    // Meanwhile a dispatcher changes a's ETA: nothing the writes change.
    await sql`update shipments set eta = '2030-01-01T12:00:00Z' where id = ${a.id}`;

    online = true;
    await queue.flush();
    expect(outcomes.map((o) => [o.kind, o.write.rowId])).toEqual([
      ['applied', a.id],
      ['applied', b.id],
      ['applied', a.id],
    ]);
    const events = await sql<{ shipment_id: string; seq: string; version: number; status: string; actor_id: string }[]>`
      select shipment_id, seq, version, status, actor_id from shipment_events
      where shipment_id in (${a.id}, ${b.id}) and actor_id is not null order by seq`;
    expect(events.map((e) => [e.shipment_id, e.version, e.status, e.actor_id])).toEqual([
      [a.id, a.version + 2, 'picked_up', USER.driverNorth1],
      [b.id, b.version + 1, 'picked_up', USER.driverNorth1],
      [a.id, a.version + 3, 'in_transit', USER.driverNorth1],
    ]);
    const seqs = events.map((e) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const [row] = await sql`select status, eta from shipments where id = ${a.id}`;
    expect(row.status).toBe('in_transit');
    expect(new Date(row.eta).toISOString()).toBe('2030-01-01T12:00:00.000Z');
    queue.dispose();
  });

  it('a dispatcher’s change to what the driver changed wins: conflict, later writes of that shipment skipped', async () => {
    const a = await shipment();
    const b = await shipment();
    let online = false;
    const queue = new LiveWriteQueue<Shipment>({
      storage: memoryQueueStorage(),
      key: 'test-conflict',
      send: (w) => writeVersioned(driver, shipmentsTable, w, USER.driverNorth1),
      guardColumns: ['status', 'driver_id'],
      online: () => online,
    });
    const outcomes: WriteOutcome<Shipment>[] = [];
    queue.onOutcome((o) => outcomes.push(o));
    await queue.load();
    await queue.enqueue(write(a, { status: 'picked_up' }));
    await queue.enqueue(write({ ...a, status: 'picked_up', version: a.version + 1 }, { status: 'in_transit' }));
    await queue.enqueue(write(b, { status: 'picked_up' }));
    await sql`update shipments set status = 'cancelled' where id = ${a.id}`;

    online = true;
    await queue.flush();
    expect(outcomes.map((o) => o.kind)).toEqual(['conflict', 'skipped', 'applied']);
    expect(outcomes[0]).toMatchObject({ latest: { id: a.id, status: 'cancelled' } });
    const rows = await sql`select id, status from shipments where id in (${a.id}, ${b.id})`;
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [a.id]: 'cancelled', [b.id]: 'picked_up' });
    queue.dispose();
  });
});
