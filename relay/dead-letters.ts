import type { Sql } from 'postgres';

// Re-queueing dead letters (`npm run relay -- --retry-dead`): after the cause
// is fixed (a payload made smaller, a capability granted, a quota raised), the
// rows go back into public.realtime_outbox under their original id, so each
// takes its old place in its channel, with a fresh attempt count; a running
// relay is woken and publishes them. Browsers that already filled the hole
// from the history drop the late copy by its seq.

export interface RequeueFilter {
  /** Only these dead letters (outbox ids). */
  ids?: string[];
  /** Only this logical channel (`shipments:<depot id>`). */
  channel?: string;
}

export interface RequeuedRow {
  id: string;
  channel: string;
  event: string;
  seq: string | null;
}

/** Moves dead letters back into the outbox (one statement) and wakes the relay. Returns what moved, in id order. */
export async function requeueDeadLetters(sql: Sql, filter: RequeueFilter = {}): Promise<RequeuedRow[]> {
  const ids = filter.ids ?? null;
  const channel = filter.channel ?? null;
  const moved = await sql.begin(async (tx) => {
    const rows = await tx<RequeuedRow[]>`
      with moved as (
        delete from public.realtime_outbox_dead_letters
         where (${ids}::bigint[] is null or id = any(${ids}::bigint[]))
           and (${channel}::text is null or channel = ${channel}::text)
        returning id, channel, event, payload, seq, created_at
      )
      insert into public.realtime_outbox (id, channel, event, payload, seq, created_at, attempts, last_error, next_attempt_at)
      overriding system value
      select id, channel, event, payload, seq, created_at, 0, null, now() from moved
      returning id::text, channel, event, seq::text`;
    if (rows.length > 0) await tx`select pg_notify('realtime_outbox', '')`;
    return rows;
  });
  return [...moved].sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
}

/** How many dead letters there are, per channel (largest first). */
export async function countDeadLetters(sql: Sql): Promise<{ channel: string; count: number }[]> {
  return sql<{ channel: string; count: number }[]>`
    select channel, count(*)::int as count from public.realtime_outbox_dead_letters
     group by channel order by count desc, channel`;
}
