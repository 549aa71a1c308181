// Commit-ordered sequence numbers: with 8 writers racing on one depot, a reader
// that keeps asking "events after my last seq" sees every event exactly once,
// in order, and never skips one that commits late.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../support/db';

const WRITERS = 8;
const UPDATES_PER_WRITER = 200;

const sql = connect(WRITERS + 2);
let depotId: string;
let shipmentIds: string[] = [];
let baseSeq = 0;

beforeAll(async () => {
  // A depot of its own, so other test files never see or disturb these writes.
  [{ id: depotId }] = await sql`
    insert into depots (name, min_lat, min_lng, max_lat, max_lng)
    values (${`Sequence Depot ${process.pid}`}, 10, 10, 11, 11) returning id`;
  shipmentIds = (
    await sql`
      insert into shipments (depot_id, reference, recipient, address)
      select ${depotId}, 'SEQ-' || ${process.pid} || '-' || n, 'Recipient', 'Address'
      from generate_series(1, ${WRITERS}) n returning id`
  ).map((r) => r.id);
  baseSeq = Number((await sql`select public.depot_watermark(${depotId}) as seq`)[0].seq);
});

afterAll(() => sql.end());

describe('per-depot seq under concurrent writers', () => {
  it(`${WRITERS} writers × ${UPDATES_PER_WRITER} updates: distinct, gap-free, read in order by a polling reader`, async () => {
    let writing = true;

    const writer = async (shipmentId: string) => {
      for (let i = 0; i < UPDATES_PER_WRITER; i++) {
        await sql.begin(async (tx) => {
          await tx`update shipments set eta = now() + make_interval(secs => ${i}) where id = ${shipmentId}`;
          // Hold the transaction open a moment after the change so that commits
          // of different writers interleave as they would in production.
          await tx`select pg_sleep(random() * 0.002)`;
        });
      }
    };

    const seen: number[] = [];
    const reader = async () => {
      let last = baseSeq;
      const drain = async () => {
        const rows = await sql<{ seq: string }[]>`
          select seq from shipment_events where depot_id = ${depotId} and seq > ${last} order by seq`;
        for (const { seq } of rows) {
          seen.push(Number(seq));
          last = Number(seq);
        }
      };
      while (writing) await drain();
      await drain();
    };

    const readerDone = reader();
    await Promise.all(shipmentIds.map(writer));
    writing = false;
    await readerDone;

    const total = WRITERS * UPDATES_PER_WRITER;
    // Every change exactly once, in order, none skipped: exactly baseSeq+1 … baseSeq+total.
    expect(seen.length).toBe(total);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => baseSeq + 1 + i));

    const [stats] = await sql`
      select count(*)::int as events, count(distinct seq)::int as distinct_seqs, max(seq)::bigint as max_seq
      from shipment_events where depot_id = ${depotId} and seq > ${baseSeq}`;
    expect(stats).toEqual({ events: total, distinct_seqs: total, max_seq: String(baseSeq + total) });
    expect(Number((await sql`select public.depot_watermark(${depotId}) as seq`)[0].seq)).toBe(baseSeq + total);
  });

  it('a writer that commits later cannot overtake: the second writer waits for the first seq to commit', async () => {
    const [a, b] = shipmentIds;
    const reserved = await sql.reserve();
    try {
      await reserved`begin`;
      await reserved`update shipments set eta = now() where id = ${a}`;
      const [{ seq: firstSeq }] =
        await reserved`select last_seq as seq from depot_watermarks where depot_id = ${depotId}`;

      // The second writer starts while the first is still open…
      const second = sql`update shipments set eta = now() where id = ${b} returning id`;
      const secondDone = second.then(() => 'done');
      // …and is held at the depot's counter row until the first commits.
      await waitUntil(async () => {
        const [row] = await sql`
          select count(*)::int as n from pg_stat_activity
          where wait_event_type = 'Lock' and query like 'update shipments set eta = now() where id = $1 returning id%'`;
        return row.n === 1;
      });
      const visible = await sql`select seq from shipment_events where depot_id = ${depotId} and seq >= ${firstSeq}`;
      expect(visible).toEqual([]);

      await reserved`commit`;
      expect(await secondDone).toBe('done');
      const after =
        await sql`select seq from shipment_events where depot_id = ${depotId} and seq >= ${firstSeq} order by seq`;
      expect(after.map((r) => Number(r.seq))).toEqual([Number(firstSeq), Number(firstSeq) + 1]);
    } finally {
      reserved.release();
    }
  });

  it('control: with a plain Postgres sequence, a poller skips a value that commits late', async () => {
    await sql`create schema if not exists scratch`;
    await sql`create table if not exists scratch.naive_seq_demo (seq bigserial primary key, note text)`;
    const reserved = await sql.reserve();
    try {
      await reserved`begin`;
      const [{ seq: early }] =
        await reserved`insert into scratch.naive_seq_demo (note) values ('slow writer') returning seq`;
      const [{ seq: late }] = await sql`insert into scratch.naive_seq_demo (note) values ('fast writer') returning seq`;
      expect(Number(late)).toBeGreaterThan(Number(early));
      // A poller now sees `late` and moves its cursor past `early`…
      const firstPoll = await sql`select seq from scratch.naive_seq_demo where seq > ${Number(early) - 1} order by seq`;
      expect(firstPoll.map((r) => Number(r.seq))).toEqual([Number(late)]);
      await reserved`commit`;
      // …so "after my last seq" never returns the slow writer's row.
      const nextPoll = await sql`select seq from scratch.naive_seq_demo where seq > ${Number(late)}`;
      expect(nextPoll).toEqual([]);
      const [{ exists }] =
        await sql`select exists (select 1 from scratch.naive_seq_demo where seq = ${early}) as exists`;
      expect(exists).toBe(true);
    } finally {
      reserved.release();
      await sql`drop table if exists scratch.naive_seq_demo`;
    }
  });
});

/** Polls `condition` until it holds (for database state that has no event to await). */
async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
