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
});
