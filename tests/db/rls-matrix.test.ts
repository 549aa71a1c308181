// The RLS matrix: every table × role × operation, run the way PostgREST runs a
// request (set local role + request.jwt.claims in one transaction, rolled back).
import type { TransactionSql } from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { type Actor, actorLabel, attempt, connect, DEPOT, USER } from '../support/db';

const sql = connect(6);
afterAll(() => sql.end());

const anon: Actor = { kind: 'anon' };
const service: Actor = { kind: 'service_role' };
const user = (id: string): Actor => ({ kind: 'user', id });
const dN = user(USER.dispatcherNorth);
const dS = user(USER.dispatcherSouth);
const hq = user(USER.dispatcherHq);
const n1 = user(USER.driverNorth1);
const n2 = user(USER.driverNorth2);
const s1 = user(USER.driverSouth1);
const everyone = [anon, dN, dS, hq, n1, n2, s1, service];

/** ok: the statement affected or returned rows; none: RLS filtered every row; refused: an error (code). */
type Outcome = 'ok' | 'none' | `refused:${string}`;

async function outcomeOf(
  actor: Actor,
  statement: (tx: TransactionSql) => PromiseLike<readonly unknown[]>,
): Promise<Outcome> {
  const result = await attempt(sql, actor, statement);
  if (!result.ok) return `refused:${result.code}`;
  return (result.value as unknown[]).length > 0 ? 'ok' : 'none';
}

// A North shipment each North driver holds, and one nobody holds, picked from the seed.
async function sampleShipments() {
  const rows = await sql<{ id: string; depot_id: string; driver_id: string | null; status: string }[]>`
    select id, depot_id, driver_id, status from shipments where reference like 'NOR-%' or reference like 'SOU-%'`;
  const find = (pred: (r: (typeof rows)[number]) => boolean) => {
    const row = rows.find(pred);
    if (!row) throw new Error('seed is missing a sample shipment');
    return row.id;
  };
  return {
    northPending: find((r) => r.depot_id === DEPOT.north && r.status === 'pending'),
    southPending: find((r) => r.depot_id === DEPOT.south && r.status === 'pending'),
    n1Assigned: find((r) => r.driver_id === USER.driverNorth1 && r.status === 'assigned'),
    n2Assigned: find((r) => r.driver_id === USER.driverNorth2 && r.status === 'assigned'),
  };
}

describe('select: each role sees exactly the rows its policies describe', () => {
  // Expected visibility restated independently of the policies, as superuser queries.
  const expectedIds: Record<string, (a: Actor) => Promise<string[]>> = {
    depots: async (a) =>
      a.kind === 'service_role'
        ? (await sql`select id from depots`).map((r) => r.id)
        : a.kind === 'anon'
          ? []
          : (await sql`select depot_id as id from depot_members where user_id = ${a.id}`).map((r) => r.id),
    shipments: async (a) => {
      if (a.kind === 'anon') return [];
      if (a.kind === 'service_role') return (await sql`select id from shipments`).map((r) => r.id);
      const rows = await sql`
        select s.id from shipments s
        where s.driver_id = ${a.id}
           or s.depot_id in (select m.depot_id from depot_members m join profiles p on p.id = m.user_id
                             where m.user_id = ${a.id} and p.role = 'dispatcher')`;
      return rows.map((r) => r.id);
    },
    profiles: async (a) => {
      if (a.kind === 'anon') return [];
      if (a.kind === 'service_role') return (await sql`select id from profiles`).map((r) => r.id);
      const rows = await sql`
        select distinct theirs.user_id as id from depot_members mine
        join depot_members theirs on theirs.depot_id = mine.depot_id where mine.user_id = ${a.id}`;
      return rows.map((r) => r.id);
    },
  };

  for (const table of Object.keys(expectedIds)) {
    for (const actor of everyone) {
      it(`${table} as ${actorLabel(actor)}`, async () => {
        const seen = await attempt(sql, actor, (tx) => tx.unsafe(`select id from public.${table}`));
        expect(seen.ok).toBe(true);
        const seenIds = (seen.ok ? (seen.value as { id: string }[]) : []).map((r) => r.id).sort();
        expect(seenIds).toEqual((await expectedIds[table](actor)).sort());
      });
    }
  }

  it('the demo accounts see the documented slices', async () => {
    const count = async (a: Actor, query: string) => {
      const r = await attempt(sql, a, (tx) => tx.unsafe(query));
      return r.ok ? (r.value as unknown[]).length : -1;
    };
    const seedShipments = `select id from shipments where reference ~ '^(NOR|SOU)-'`;
    expect(await count(dN, seedShipments)).toBe(30);
    expect(await count(dS, seedShipments)).toBe(30);
    expect(await count(hq, seedShipments)).toBe(60);
    expect(await count(dN, `select id from shipments where depot_id = '${DEPOT.south}'`)).toBe(0);
    expect(await count(anon, seedShipments)).toBe(0);
    for (const driver of [n1, n2, s1]) {
      const mine = await count(driver, seedShipments);
      expect(mine).toBeGreaterThan(0);
      expect(
        await count(
          driver,
          `select id from shipments where driver_id is distinct from '${(driver as { id: string }).id}'`,
        ),
      ).toBe(0);
    }
    expect(await count(dN, 'select depot_id from depot_members')).toBe(4);
    expect(await count(hq, 'select depot_id from depot_members')).toBe(7);
    // Drivers do not read the depot's change feed, so not its watermark either.
    expect(await count(s1, 'select depot_id from depot_watermarks')).toBe(0);
    expect(await count(hq, 'select depot_id from depot_watermarks')).toBe(2);
    expect(await count(anon, 'select depot_id from depot_watermarks')).toBe(0);
  });

  it('shipment_events: dispatchers read their depots, drivers the history of their own shipments', async () => {
    const ids = async (a: Actor) => {
      const r = await attempt(sql, a, (tx) => tx`select shipment_id, depot_id from shipment_events`);
      return r.ok ? (r.value as { shipment_id: string; depot_id: string }[]) : [];
    };
    expect((await ids(dN)).every((e) => e.depot_id === DEPOT.north)).toBe(true);
    expect((await ids(dN)).length).toBeGreaterThanOrEqual(30);
    const mine = new Set((await sql`select id from shipments where driver_id = ${USER.driverNorth1}`).map((r) => r.id));
    const n1Events = await ids(n1);
    expect(n1Events.length).toBeGreaterThan(0);
    expect(n1Events.every((e) => mine.has(e.shipment_id))).toBe(true);
    expect(await ids(anon)).toEqual([]);
  });
});

describe('insert, update, delete', () => {
  const northDepotRow = `insert into public.depots (name, min_lat, min_lng, max_lat, max_lng) values ('Matrix Depot', 1, 1, 2, 2) returning id`;

  it.each([
    ['depots insert', northDepotRow, { anon: 'refused:42501', user: 'refused:42501', service: 'ok' }],
    [
      'depots update',
      `update public.depots set name = name || ' X' where id = '${DEPOT.north}' returning id`,
      { anon: 'none', user: 'none', service: 'ok' },
    ],
    [
      'depots delete',
      `delete from public.depots where id = '${DEPOT.north}' returning id`,
      { anon: 'none', user: 'none', service: 'refused:23503' },
    ],
    [
      'profiles insert',
      `insert into public.profiles (id, full_name, role) values ('${USER.dispatcherNorth}', 'x', 'driver') returning id`,
      { anon: 'refused:42501', user: 'refused:42501', service: 'refused:23505' },
    ],
    [
      'profiles delete',
      `delete from public.profiles where id = '${USER.driverSouth1}' returning id`,
      { anon: 'none', user: 'none', service: 'refused:23503' },
    ],
    [
      'depot_members insert',
      `insert into public.depot_members (depot_id, user_id) values ('${DEPOT.south}', '${USER.dispatcherNorth}') returning user_id`,
      { anon: 'refused:42501', user: 'refused:42501', service: 'ok' },
    ],
    [
      'depot_members delete',
      `delete from public.depot_members where depot_id = '${DEPOT.north}' returning user_id`,
      { anon: 'none', user: 'none', service: 'ok' },
    ],
    [
      'shipment_events insert',
      `insert into public.shipment_events (depot_id, seq, shipment_id, operation, version) values ('${DEPOT.north}', 999999, gen_random_uuid(), 'UPDATE', 1) returning id`,
      { anon: 'refused:42501', user: 'refused:42501', service: 'refused:42501' },
    ],
    [
      'shipment_events update',
      `update public.shipment_events set version = 7 returning id`,
      { anon: 'refused:42501', user: 'refused:42501', service: 'refused:42501' },
    ],
    [
      'shipment_events delete',
      `delete from public.shipment_events returning id`,
      { anon: 'refused:42501', user: 'refused:42501', service: 'refused:42501' },
    ],
    [
      'depot_watermarks update',
      `update public.depot_watermarks set last_seq = 0 returning depot_id`,
      { anon: 'refused:42501', user: 'refused:42501', service: 'refused:42501' },
    ],
  ] as const)('%s: only the service role (or nobody)', async (_name, statement, expected) => {
    for (const actor of everyone) {
      const want = actor.kind === 'service_role' ? expected.service : expected[actor.kind];
      expect(`${actorLabel(actor)}: ${await outcomeOf(actor, (tx) => tx.unsafe(statement))}`).toBe(
        `${actorLabel(actor)}: ${want}`,
      );
    }
  });

  it('profiles: users can rename themselves, never others, and never change their role', async () => {
    expect(
      await outcomeOf(
        dN,
        (tx) => tx`update profiles set full_name = 'Nora Q.' where id = ${USER.dispatcherNorth} returning id`,
      ),
    ).toBe('ok');
    expect(
      await outcomeOf(
        dN,
        (tx) => tx`update profiles set full_name = 'Hacked' where id = ${USER.driverNorth1} returning id`,
      ),
    ).toBe('none');
    expect(
      await outcomeOf(
        n1,
        (tx) => tx`update profiles set role = 'dispatcher' where id = ${USER.driverNorth1} returning id`,
      ),
    ).toBe('refused:42501');
    expect(await outcomeOf(anon, (tx) => tx`update profiles set full_name = 'x' returning id`)).toBe('none');
  });

  it('shipments insert: dispatchers into their own depots only; drivers and anon never', async () => {
    const insertInto = (depot: string) => (tx: TransactionSql) =>
      tx`insert into shipments (depot_id, reference, recipient, address) values (${depot}, 'MTX-1', 'R', 'A') returning id`;
    const expectations: [Actor, string, Outcome][] = [
      [dN, DEPOT.north, 'ok'],
      [dN, DEPOT.south, 'refused:42501'],
      [dS, DEPOT.south, 'ok'],
      [dS, DEPOT.north, 'refused:42501'],
      [hq, DEPOT.north, 'ok'],
      [hq, DEPOT.south, 'ok'],
      [n1, DEPOT.north, 'refused:42501'],
      [s1, DEPOT.south, 'refused:42501'],
      [anon, DEPOT.north, 'refused:42501'],
      [service, DEPOT.south, 'ok'],
    ];
    for (const [actor, depot, want] of expectations) {
      expect(`${actorLabel(actor)} → ${depot}: ${await outcomeOf(actor, insertInto(depot))}`).toBe(
        `${actorLabel(actor)} → ${depot}: ${want}`,
      );
    }
  });

  it('shipments update: dispatchers of the depot, assigned drivers for status and position only', async () => {
    const s = await sampleShipments();
    const setEta = (id: string) => (tx: TransactionSql) =>
      tx`update shipments set eta = now() + interval '1 hour' where id = ${id} returning id`;
    const pickUp = (id: string) => (tx: TransactionSql) =>
      tx`update shipments set status = 'picked_up' where id = ${id} returning id`;
    const expectations: [string, Actor, (tx: TransactionSql) => PromiseLike<readonly unknown[]>, Outcome][] = [
      ['North dispatcher sets ETA in North', dN, setEta(s.northPending), 'ok'],
      ['North dispatcher sets ETA in South', dN, setEta(s.southPending), 'none'],
      ['HQ sets ETA in South', hq, setEta(s.southPending), 'ok'],
      ['South dispatcher sets ETA in North', dS, setEta(s.northPending), 'none'],
      ['driver picks up own shipment', n1, pickUp(s.n1Assigned), 'ok'],
      ["driver picks up a colleague's shipment", n1, pickUp(s.n2Assigned), 'none'],
      ['driver changes ETA of own shipment', n1, setEta(s.n1Assigned), 'refused:42501'],
      ['driver of another depot', s1, pickUp(s.n1Assigned), 'none'],
      ['anon', anon, setEta(s.northPending), 'none'],
      ['service role', service, setEta(s.southPending), 'ok'],
    ];
    for (const [label, actor, statement, want] of expectations) {
      expect(`${label}: ${await outcomeOf(actor, statement)}`).toBe(`${label}: ${want}`);
    }
  });

  it('shipments delete: nobody but the service role', async () => {
    const s = await sampleShipments();
    for (const actor of everyone) {
      const want = actor.kind === 'service_role' ? 'ok' : 'none';
      const got = await outcomeOf(actor, (tx) => tx`delete from shipments where id = ${s.northPending} returning id`);
      expect(`${actorLabel(actor)}: ${got}`).toBe(`${actorLabel(actor)}: ${want}`);
    }
  });
});

describe('realtime.messages: channel authorization as Realtime checks it', () => {
  const topics = {
    northChanges: `shipments:${DEPOT.north}`,
    southChanges: `shipments:${DEPOT.south}`,
    northLive: `depot:${DEPOT.north}:live`,
    southLive: `depot:${DEPOT.south}:live`,
    n1Feed: `shipments:@${USER.driverNorth1}`,
  };

  /** Realtime's read check: probe rows inserted as superuser, read back as the user, rolled back. */
  async function canRead(actor: Actor, topic: string, extension: 'broadcast' | 'presence'): Promise<boolean> {
    let visible = false;
    await sql
      .begin(async (tx) => {
        await tx`insert into realtime.messages (topic, extension, private) values (${topic}, ${extension}, true)`;
        await tx`select set_config('realtime.topic', ${topic}, true)`;
        const { impersonate } = await import('../support/db');
        await impersonate(tx, actor);
        const rows = await tx`select 1 from realtime.messages where topic = ${topic} and extension = ${extension}`;
        visible = rows.length > 0;
        throw new Error('rollback');
      })
      .catch((err: Error) => {
        if (err.message !== 'rollback') throw err;
      });
    return visible;
  }

  /** Realtime's write check: an insert as the user. */
  async function canWrite(actor: Actor, topic: string, extension: 'broadcast' | 'presence'): Promise<boolean> {
    const result = await attempt(
      sql,
      actor,
      (tx) =>
        tx`insert into realtime.messages (topic, extension, private) values (${topic}, ${extension}, true) returning id`,
      { 'realtime.topic': topic },
    );
    if (!result.ok && result.code !== '42501') throw new Error(result.message);
    return result.ok;
  }

  const readers: Record<string, { broadcast: Actor[]; presence: Actor[] }> = {
    northChanges: { broadcast: [dN, hq, service], presence: [service] },
    southChanges: { broadcast: [dS, hq, service], presence: [service] },
    northLive: { broadcast: [dN, hq, n1, n2, service], presence: [dN, hq, n1, n2, service] },
    southLive: { broadcast: [dS, hq, s1, service], presence: [dS, hq, s1, service] },
    n1Feed: { broadcast: [n1, service], presence: [service] },
  };
  const writers: Record<string, Actor[]> = {
    northChanges: [service],
    southChanges: [service],
    northLive: [dN, hq, n1, n2, service],
    southLive: [dS, hq, s1, service],
    n1Feed: [service],
  };

  for (const [name, topic] of Object.entries(topics)) {
    for (const extension of ['broadcast', 'presence'] as const) {
      it(`read ${extension} on ${name}`, async () => {
        const allowed = [];
        for (const actor of everyone) if (await canRead(actor, topic, extension)) allowed.push(actorLabel(actor));
        expect(allowed).toEqual(readers[name][extension].map(actorLabel));
      });
      it(`write ${extension} on ${name}`, async () => {
        const allowed = [];
        for (const actor of everyone) if (await canWrite(actor, topic, extension)) allowed.push(actorLabel(actor));
        expect(allowed).toEqual(writers[name].map(actorLabel));
      });
    }
  }

  it('a malformed or foreign topic matches no policy', async () => {
    for (const topic of [
      `shipments:${DEPOT.north}x`,
      `shipments:${DEPOT.north.toUpperCase()}`,
      `depot:not-a-uuid`,
      `shipments:@${USER.driverNorth2}`,
      'shipments:',
    ]) {
      expect(await canRead(n1, topic, 'broadcast')).toBe(false);
      expect(await canRead(dN, topic, 'broadcast')).toBe(false);
    }
  });
});
