import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { asActor, connect } from '../support/fixture';
import { closeClients, Inbox, mintToken, realtimeClient, subscribed } from '../../src/testing/realtime';

// No leak, no miss: every subscriber receives exactly the changes whose row
// it may select at that moment (DELETE: every subscriber whose filter
// matches, primary key only, as Supabase documents), in commit order.
//
// The table and its policies mirror public.shipments (dispatchers see their
// depots' rows, drivers the rows assigned to them) but live in a schema of
// this file's own, so hundreds of committed writes disturb no other test.

const sql = connect(4);
const schema = `rt_prop_${process.pid}`;

interface Person {
  id: string;
  role: 'dispatcher' | 'driver';
  depots: string[];
}
const depots = { a: randomUUID(), b: randomUUID() };
const people: Person[] = [
  { id: randomUUID(), role: 'dispatcher', depots: [depots.a] },
  { id: randomUUID(), role: 'dispatcher', depots: [depots.b] },
  { id: randomUUID(), role: 'dispatcher', depots: [depots.a, depots.b] },
  { id: randomUUID(), role: 'driver', depots: [depots.a] },
  { id: randomUUID(), role: 'driver', depots: [depots.a] },
  { id: randomUUID(), role: 'driver', depots: [depots.b] },
];

type Received = { type: string; id: string };
interface Subscriber {
  person: Person;
  inbox: Inbox<Received>;
  expected: Received[];
}
const subscribers: Subscriber[] = [];

beforeAll(async () => {
  await sql.unsafe(`
    create schema ${schema};
    grant usage on schema ${schema} to authenticated;
    create table ${schema}.members (depot_id uuid, user_id uuid, role text, primary key (depot_id, user_id));
    create table ${schema}.parcels (id uuid primary key default gen_random_uuid(), depot_id uuid not null,
                                    driver_id uuid, recipient text not null, version int not null default 1);
    alter table ${schema}.parcels replica identity full;
    alter table ${schema}.parcels enable row level security;
    grant select on ${schema}.members, ${schema}.parcels to authenticated;
    create policy "Dispatchers can read parcels of their depots" on ${schema}.parcels for select to authenticated
      using (exists (select 1 from ${schema}.members m where m.depot_id = parcels.depot_id
                     and m.user_id = (select auth.uid()) and m.role = 'dispatcher'));
    create policy "Drivers can read parcels assigned to them" on ${schema}.parcels for select to authenticated
      using (driver_id = (select auth.uid()));
    alter publication supabase_realtime add table ${schema}.parcels;`);
  for (const p of people)
    for (const d of p.depots) await sql.unsafe(`insert into ${schema}.members values ($1, $2, $3)`, [d, p.id, p.role]);
  const filter = `depot_id=in.(${depots.a},${depots.b})`;
  for (const person of people) {
    const client = await realtimeClient({ token: await mintToken({ sub: person.id }) });
    const inbox = new Inbox<Received>();
    const ready = new Inbox<unknown>();
    const channel = client
      .channel(`changes-${person.id}`)
      .on('postgres_changes', { event: '*', schema, table: 'parcels', filter }, (p) => {
        const row = (p.eventType === 'DELETE' ? p.old : p.new) as { id: string };
        inbox.push({ type: p.eventType, id: row.id });
        if (p.eventType === 'DELETE') expect(Object.keys(p.old)).toEqual(['id']);
      })
      .on('system', {}, (m: { extension: string; status: string }) => ready.push(m));
    await subscribed(channel);
    await ready.next((m) => (m as { extension: string }).extension === 'postgres_changes');
    subscribers.push({ person, inbox, expected: [] });
  }
});

afterAll(async () => {
  await closeClients();
  await sql.unsafe(`alter publication supabase_realtime drop table ${schema}.parcels; drop schema ${schema} cascade;`);
  await sql.end();
});

type Op =
  | { kind: 'insert'; depot: 'a' | 'b'; assign: number | null }
  | { kind: 'rename'; pick: number }
  | { kind: 'assign'; pick: number; driver: number }
  | { kind: 'unassign'; pick: number }
  | { kind: 'delete'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      depot: fc.constantFrom('a' as const, 'b' as const),
      assign: fc.option(fc.nat(5), { nil: null }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('rename' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('assign' as const), pick: fc.nat(), driver: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unassign' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
);

function driversOf(depot: string): Person[] {
  return people.filter((p) => p.role === 'driver' && p.depots.includes(depot));
}

/** Applies one op as the service (superuser); returns the committed change or null if it failed. */
async function apply(op: Op, rows: Array<{ id: string; depot: string }>): Promise<{ type: string; id: string } | null> {
  try {
    if (op.kind === 'insert') {
      const depot = depots[op.depot];
      const drivers = driversOf(depot);
      const driver = op.assign === null ? null : drivers[op.assign % drivers.length].id;
      const [row] = await sql.unsafe<{ id: string }[]>(
        `insert into ${schema}.parcels (depot_id, recipient, driver_id) values ($1, 'Prop Test', $2) returning id`,
        [depot, driver],
      );
      rows.push({ id: row.id, depot });
      return { type: 'INSERT', id: row.id };
    }
    if (rows.length === 0) return null;
    const target = rows[op.pick % rows.length];
    if (op.kind === 'rename') {
      await sql.unsafe(`update ${schema}.parcels set recipient = $1, version = version + 1 where id = $2`, [
        `R ${op.pick}`,
        target.id,
      ]);
      return { type: 'UPDATE', id: target.id };
    }
    if (op.kind === 'assign') {
      const drivers = driversOf(target.depot);
      const updated = await sql.unsafe(`update ${schema}.parcels set driver_id = $1 where id = $2`, [
        drivers[op.driver % drivers.length].id,
        target.id,
      ]);
      return updated.count ? { type: 'UPDATE', id: target.id } : null;
    }
    if (op.kind === 'unassign') {
      const updated = await sql.unsafe(
        `update ${schema}.parcels set driver_id = null where id = $1 and driver_id is not null`,
        [target.id],
      );
      return updated.count ? { type: 'UPDATE', id: target.id } : null;
    }
    await sql.unsafe(`delete from ${schema}.parcels where id = $1`, [target.id]);
    rows.splice(rows.indexOf(target), 1);
    return { type: 'DELETE', id: target.id };
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('23')) return null; // a constraint refused it: nothing committed
    throw err;
  }
}

/** What RLS lets this person select right now (the REST view of the row). */
async function canSelect(person: Person, id: string): Promise<boolean> {
  const rows = await asActor(sql, { kind: 'user', id: person.id }, (tx) =>
    tx.unsafe(`select 1 from ${schema}.parcels where id = $1`, [id]),
  );
  return rows.length === 1;
}

test('each subscriber gets exactly the changes it may see, in commit order', { timeout: 120_000 }, async () => {
  const rows: Array<{ id: string; depot: string }> = [];
  let total = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 60, maxLength: 100 }), async (ops) => {
      for (const op of ops) {
        const change = await apply(op, rows);
        if (!change) continue;
        total++;
        for (const s of subscribers) {
          if (change.type === 'DELETE' || (await canSelect(s.person, change.id))) s.expected.push(change);
        }
      }
    }),
    { numRuns: 4, seed: Number(process.env.RT_PROPERTY_SEED ?? 20261128) },
  );
  // A sentinel: inserted then deleted; every subscriber receives the delete, and
  // because delivery follows commit order, everything before it has arrived too.
  const sentinel = await apply({ kind: 'insert', depot: 'a', assign: null }, rows);
  for (const s of subscribers) if (await canSelect(s.person, sentinel!.id)) s.expected.push(sentinel!);
  await apply({ kind: 'delete', pick: rows.length - 1 }, rows);
  for (const s of subscribers) s.expected.push({ type: 'DELETE', id: sentinel!.id });

  expect(total).toBeGreaterThan(200);
  for (const s of subscribers) {
    await s.inbox.next((r) => r.type === 'DELETE' && r.id === sentinel!.id, 30_000);
    expect(s.inbox.items, `subscriber ${s.person.role} in ${s.person.depots.length} depot(s)`).toEqual(s.expected);
  }
  // Dispatchers of one depot never saw an insert or update of the other depot.
  const a = subscribers.find((s) => s.person === people[0])!;
  expect(a.inbox.items.some((r) => r.type !== 'DELETE')).toBe(true);
});
