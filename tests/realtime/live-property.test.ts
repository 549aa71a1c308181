// Property (fast-check): for any interleaving of inserts, updates and deletes by
// concurrent writers across several scopes of a live table, every subscriber
// (the app's pieces: the Supabase adapter over a real socket, lib/live's
// SeqFeed, merge and catch-up) converges to what the database holds for its
// scope, applies each seq exactly once, in order, and never receives a change
// of a scope it does not read.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import fc from 'fast-check';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import type { Database } from '../../lib/database.types';
import { applyChangeToList, type LiveList } from '../../lib/live/merge';
import type { LiveChange } from '../../lib/live/schema';
import { SeqFeed } from '../../lib/live/seq-feed';
import { defineLiveTable } from '../../lib/live/table';
import { createSupabaseProvider, realtimeSocketOptions } from '../../lib/realtime/adapters/supabase';
import type { ChannelSubscription } from '../../lib/realtime/types';
import { createWorld, PASSWORD, type ContractPerson } from '../contract/fixtures';
import { startPrivateStack, type PrivateStack } from '../contract/private-stack';

const TABLE = `prop_items_${process.pid}`;
const itemSchema = z.object({
  id: z.number().int(),
  depot_id: z.uuid(),
  label: z.string(),
  version: z.number().int().positive(),
});
type Item = z.infer<typeof itemSchema>;
const items = defineLiveTable({ name: TABLE, row: itemSchema, primaryKey: 'id', scopeColumn: 'depot_id' });

interface Subscriber {
  name: string;
  scope: string;
  list: LiveList<Item>;
  applied: number[];
  /** Every change message received, whatever its scope (to catch leaks). */
  received: { scope: string; table: string }[];
  feed: SeqFeed<LiveChange<Item>>;
  sub: ChannelSubscription;
  client: SupabaseClient<Database>;
}

let stack: PrivateStack;
let sql: Sql;
let scopes: string[] = [];
const subscribers: Subscriber[] = [];
let probe: {
  received: unknown[];
  refused: Promise<string>;
  client: SupabaseClient<Database>;
  sub: ChannelSubscription;
};

async function signIn(person: ContractPerson): Promise<SupabaseClient<Database>> {
  const client = createClient<Database>(stack.api.url, stack.api.keys.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never, ...realtimeSocketOptions() },
  });
  const { error } = await client.auth.signInWithPassword({ email: person.email, password: PASSWORD });
  if (error) throw error;
  return client;
}

/** What useLiveList does, without React: snapshot (watermark first), subscribe, catch up, apply in seq order. */
async function subscribe(name: string, person: ContractPerson, scope: string): Promise<Subscriber> {
  const client = await signIn(person);
  const provider = createSupabaseProvider(client);
  const subscriber = {
    name,
    scope,
    list: await items.fetchList(client, scope),
    applied: [] as number[],
    received: [] as { scope: string; table: string }[],
    client,
  } as Subscriber;
  subscriber.feed = new SeqFeed<LiveChange<Item>>({
    initialSeq: subscriber.list.watermark ?? 0,
    apply: (changes) => {
      for (const change of changes) {
        subscriber.applied.push(change.seq);
        subscriber.list = applyChangeToList(subscriber.list, change, items.keyOf) ?? subscriber.list;
      }
    },
    backfill: (after, limit) => items.fetchChangesAfter(client, scope, after, limit),
  });
  let joined!: () => void;
  const ready = new Promise<void>((resolve) => (joined = resolve));
  subscriber.sub = provider.subscribe(items.topic(scope), {
    events: {
      changed: (payload) => {
        const change = items.changeSchema.parse(payload);
        subscriber.received.push({ scope: change.scope, table: TABLE });
        subscriber.feed.receive(change);
      },
    },
    onSubscribed: () => {
      joined();
      void subscriber.feed.catchUp();
    },
  });
  await ready;
  return subscriber;
}

beforeAll(async () => {
  stack = await startPrivateStack('live_property');
  sql = stack.sql;
  const a = await createWorld(sql, 'propa');
  const b = await createWorld(sql, 'propb');
  // Three scopes: A and B have readers; C (no members) is written to and read by nobody.
  scopes = [a.depotId, b.depotId, a.otherDepotId];
  await sql.unsafe(`
    create table public.${TABLE} (
      id bigint generated always as identity primary key,
      depot_id uuid not null references public.depots (id),
      label text not null
    );
    alter table public.${TABLE} enable row level security;
    create policy "Members read items" on public.${TABLE} for select to authenticated
      using ((select public.is_depot_member(depot_id)));
    select live.publish('public.${TABLE}', 'depot_id');`);
  subscribers.push(
    await subscribe('A dispatcher', a.dispatcher, scopes[0]),
    await subscribe('A driver', a.driver, scopes[0]),
    await subscribe('B dispatcher', b.dispatcher, scopes[1]),
  );
  // B's colleague asks for A's topic: refused, and must never receive anything.
  const client = await signIn(b.colleague);
  const received: unknown[] = [];
  let refusedWith!: (reason: string) => void;
  const refused = new Promise<string>((resolve) => (refusedWith = resolve));
  const sub = createSupabaseProvider(client).subscribe(items.topic(scopes[0]), {
    events: { changed: (payload) => received.push(payload) },
    onRefused: refusedWith,
  });
  probe = { received, refused, client, sub };
}, 60_000);

afterAll(async () => {
  for (const s of subscribers) {
    s.feed.close();
    s.sub.unsubscribe();
    await s.client.removeAllChannels();
    s.client.realtime.disconnect();
  }
  probe?.sub.unsubscribe();
  probe?.client.realtime.disconnect();
  await stack?.stop();
});

type Op = { writer: number; scope: number; kind: 'insert' | 'update' | 'delete'; pick: number };
const opArbitrary = fc.record({
  writer: fc.integer({ min: 0, max: 3 }),
  scope: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom('insert', 'insert', 'update', 'update', 'delete'),
  pick: fc.nat(),
}) as fc.Arbitrary<Op>;

/** One transaction per operation, held open a moment so commits of different writers interleave. */
async function run(op: Op, label: string): Promise<void> {
  const scope = scopes[op.scope];
  await sql.begin(async (tx) => {
    if (op.kind === 'insert') {
      await tx.unsafe(`insert into public.${TABLE} (depot_id, label) values ($1, $2)`, [scope, label]);
    } else {
      const ids = await tx.unsafe(`select id from public.${TABLE} where depot_id = $1 order by id`, [scope]);
      if (ids.length === 0) return;
      const id = ids[op.pick % ids.length].id;
      if (op.kind === 'update') await tx.unsafe(`update public.${TABLE} set label = $2 where id = $1`, [id, label]);
      else await tx.unsafe(`delete from public.${TABLE} where id = $1`, [id]);
    }
    await tx`select pg_sleep(random() * 0.003)`;
  });
}

async function databaseRows(scope: string) {
  const rows = await sql.unsafe(`select id::int as id, label, version from public.${TABLE} where depot_id = $1`, [
    scope,
  ]);
  return rows.map((r) => `${r.id}:${r.version}:${r.label}`).sort();
}

describe('live tables under concurrent writers (property)', () => {
  it('the unauthorized probe is refused', async () => {
    expect(await probe.refused).toMatch(/Unauthorized/);
  });

  it('every subscriber converges to its scope, applies each seq exactly once, and sees no other scope', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 5, maxLength: 40 }), async (ops) => {
        round++;
        const byWriter = [0, 1, 2, 3].map((w) => ops.filter((op) => op.writer === w));
        await Promise.all(
          byWriter.map(async (list, w) => {
            for (const [i, op] of list.entries()) await run(op, `r${round}w${w}o${i}`);
          }),
        );
        for (const s of subscribers) {
          const want = await databaseRows(s.scope);
          await expect
            .poll(() => s.list.rows.map((r) => `${r.id}:${r.version}:${r.label}`).sort(), { timeout: 20_000 })
            .toEqual(want);
          const [{ last_seq }] = await sql`
            select coalesce(max(last_seq), 0)::int as last_seq from live.watermarks
            where table_name = ${TABLE} and scope = ${s.scope}`;
          await expect.poll(() => s.feed.lastSeq, { timeout: 20_000 }).toBe(last_seq);
          // Exactly once, in order: the applied seqs are consecutive from where the subscriber started.
          const first = s.applied[0] ?? last_seq + 1;
          expect(s.applied).toEqual(Array.from({ length: s.applied.length }, (_, i) => first + i));
          expect(s.received.every((m) => m.scope === s.scope)).toBe(true);
        }
        expect(probe.received).toEqual([]);
      }),
      { numRuns: 8 },
    );
    // Delivered live, not only through catch-up.
    expect(subscribers.reduce((n, s) => n + s.received.length, 0)).toBeGreaterThan(0);
  });
});
