import { EventEmitter } from 'node:events';
import type { ReservedSql, Sql } from 'postgres';
import { backoffDelay, type BackoffPolicy } from '../lib/realtime/backoff';
import { createRelayLogger, readRelayLogFormat, type RelayLogger } from './log';
import { describeError, type Publisher } from './publishers/publisher';

// The outbox relay: publishes public.realtime_outbox rows to Ably or Pusher.
//
// Ordering. Exactly one relay is active per database: it holds a session
// advisory lock on its own connection for as long as it runs, and any other
// relay process blocks on that lock as a standby, taking over the moment the
// active one's connection ends (crash, kill, network loss). One reader is what
// makes "in order per channel" simple and true: with `for update skip locked`
// two relays would claim neighbouring rows of one channel and race each other
// to the provider. The active relay reads undelivered rows in id order (id
// order is seq order within a channel, see the migration) and publishes each
// channel's rows one after another; different channels go in parallel.
//
// Failures. A failed publish is recorded on the row (attempts, last_error,
// next_attempt_at with exponential backoff and jitter) and stops its channel:
// later rows of that channel are not even read until the failed row is due
// again, so nothing overtakes it. Other channels carry on.
//
// Dead letters. A row the provider refuses for good (Publisher.refusal: too
// large, forbidden, malformed), or that has failed `maxAttempts` times, is
// moved to public.realtime_outbox_dead_letters with the reason, in one
// statement, and its channel goes on with the next row at once. Browsers fill
// the hole from the live table's history when the next seq arrives.
// `npm run relay -- --retry-dead` moves such rows back (relay/dead-letters.ts).
//
// Crashes. Rows are marked delivered only after the provider accepted them, so
// a crash between the publish and the mark re-sends those rows on restart:
// at-least-once, never lost, never reordered relative to what follows.
// Clients already drop duplicates by seq.

/** The advisory lock that makes one relay active per database (any other value is fine, but all relays must agree). */
export const RELAY_LOCK_KEY = 7_316_842_008;

export interface OutboxRow {
  id: string;
  channel: string;
  event: string;
  payload: unknown;
  seq: string | null;
  attempts: number;
}

export interface DeadLetter {
  row: OutboxRow;
  reason: string;
  /** Refused for good by the provider (true), or given up after the last attempt (false). */
  permanent: boolean;
  attempts: number;
}

export interface BatchReport {
  delivered: OutboxRow[];
  failed: { row: OutboxRow; error: string; attempt: number; retryInMs: number }[];
  /** Rows moved to the dead letters in this batch. */
  deadLettered: DeadLetter[];
  /** Commit-to-publish delay of the oldest delivered row. */
  lagMs: number;
}

export interface RelayOptions {
  /** A pool for the relay's own use, max ≥ 2: one connection holds the lock, one does the work (LISTEN opens its own). */
  sql: Sql;
  publisher: Publisher;
  /** Where the relay reports (pino's API); default: relay/log.ts's logger in the environment's format. */
  logger?: RelayLogger;
  /** Rows read per batch. */
  batchSize?: number;
  /** The safety poll, for notifications missed while the LISTEN connection was down. */
  pollIntervalMs?: number;
  /** Delivered rows older than this are deleted. */
  retentionMs?: number;
  /** How often pruning runs. */
  pruneIntervalMs?: number;
  /** Retry delay after the n-th failure: uniform in [0, min(maxMs, baseMs · 2^(n−1))] (full jitter, lib/realtime/backoff). */
  backoff?: { baseMs: number; maxMs: number };
  /** The jitter's random source, [0, 1) (tests pass a fixed one). */
  random?: () => number;
  /** Channels published in parallel within a batch. */
  concurrency?: number;
  /** Failed attempts after which a row goes to the dead letters (default 10: with the default backoff at most about 8½ minutes of waiting, 4 on average). */
  maxAttempts?: number;
  lockKey?: number;
}

export interface RelayEvents {
  /** This relay holds the lock and starts draining. */
  active: [];
  batch: [BatchReport];
  /** Nothing due: the relay waits for a notification, a retry or the poll. */
  idle: [];
  pruned: [number];
}

class LockLost extends Error {
  override name = 'LockLost';
}

export class Relay extends EventEmitter<RelayEvents> {
  private readonly sql: Sql;
  private readonly publisher: Publisher;
  private readonly log: RelayLogger;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retentionMs: number;
  private readonly pruneIntervalMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly lockKey: number;

  private woken = false;
  private wakeWaiter: (() => void) | null = null;

  constructor(options: RelayOptions) {
    super();
    this.sql = options.sql;
    this.publisher = options.publisher;
    this.log = options.logger ?? createRelayLogger(readRelayLogFormat(process.env));
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
    this.pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
    const backoff = options.backoff ?? { baseMs: 1_000, maxMs: 5 * 60_000 };
    this.backoff = { baseMs: backoff.baseMs, capMs: backoff.maxMs };
    this.random = options.random ?? Math.random;
    this.concurrency = options.concurrency ?? 8;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.lockKey = options.lockKey ?? RELAY_LOCK_KEY;
  }

  /** The delay before retry number `attempt` (1 = after the first failure): exponential, capped, full jitter. */
  retryDelayMs(attempt: number): number {
    return backoffDelay(this.backoff, attempt, this.random);
  }

  /**
   * Waits for the relay lock, then drains the outbox until `signal` aborts.
   * Resolves after a clean stop; rejects if the database connection is lost
   * (restart it: the next relay resumes where this one stopped).
   */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    // The lock lives on a connection of its own for the relay's lifetime; the
    // work goes through the pool (a reserved connection that dies can leave
    // queries waiting forever, a pool query fails).
    const lockConn = await this.sql.reserve();
    let lockPid: number | null = null;
    let listener: { unlisten(): Promise<void> } | null = null;
    const onAbort = () => this.wake();
    signal.addEventListener('abort', onAbort);
    try {
      lockPid = await this.acquireLock(lockConn, signal);
      if (lockPid === null) return;
      this.log.info({ provider: this.publisher.name }, 'active; draining the outbox');
      this.emit('active');

      // Subscribe before the first drain: a change committed in between wakes us.
      listener = await this.sql.listen(
        'realtime_outbox',
        () => this.wake(),
        () => this.wake(),
      );
      let lastPrune = 0;
      while (!signal.aborted) {
        this.woken = false;
        await this.checkLock(lockPid);
        const more = await this.drainOnce(signal);
        if (more) continue;
        if (Date.now() - lastPrune >= this.pruneIntervalMs) {
          await this.prune();
          lastPrune = Date.now();
        }
        if (this.woken || signal.aborted) continue;
        const nextRetry = await this.nextRetryInMs();
        this.emit('idle');
        await this.sleepUntilWoken(Math.min(this.pollIntervalMs, nextRetry ?? Infinity));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Best effort, bounded: after a lost connection these may never answer,
      // and the server releases the lock with the session anyway.
      await settleWithin(1_000, listener?.unlisten());
      if (lockPid !== null) await settleWithin(1_000, lockConn`select pg_advisory_unlock(${this.lockKey})`.execute());
      lockConn.release();
      if (lockPid !== null) this.log.info('stopped');
    }
  }

  /** Blocks until this relay holds the lock; null if aborted first. Returns the lock connection's backend pid. */
  private async acquireLock(conn: ReservedSql, signal: AbortSignal): Promise<number | null> {
    const [{ locked, pid }] = await conn<{ locked: boolean; pid: number }[]>`
      select pg_try_advisory_lock(${this.lockKey}) as locked, pg_backend_pid() as pid`;
    if (locked) return pid;
    this.log.info('another relay is active on this database; standing by until it stops');
    const waiting = conn`select pg_advisory_lock(${this.lockKey})`;
    const cancel = () => waiting.cancel();
    signal.addEventListener('abort', cancel);
    try {
      await waiting;
      return pid;
    } catch (err) {
      if (signal.aborted) return null;
      throw err;
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  /**
   * Still the active relay? The lock belongs to the lock connection's session;
   * if that session is gone, a standby may be active already, and this relay
   * must stop before it publishes anything else.
   */
  private async checkLock(pid: number): Promise<void> {
    const key = BigInt(this.lockKey);
    const [row] = await this.sql<{ held: boolean }[]>`
      select exists (
        select 1 from pg_locks
         where locktype = 'advisory' and pid = ${pid} and granted
           and classid = ${String(key >> 32n)}::oid and objid = ${String(key & 0xffffffffn)}::oid and objsubid = 1
      ) as held`;
    if (!row.held)
      throw new LockLost('lost the relay lock (its database session ended); stopping so that a standby can take over');
  }

  /** Publishes one batch. True if the batch was full (more rows may be waiting). */
  async drainOnce(signal?: AbortSignal): Promise<boolean> {
    const conn = this.sql;
    // A channel is readable only when its first undelivered row is due: that
    // row gates everything after it.
    const rows = await conn<OutboxRow[]>`
      with heads as (
        select distinct on (channel) channel, next_attempt_at
          from public.realtime_outbox
         where delivered_at is null
         order by channel, id
      )
      select o.id, o.channel, o.event, o.payload, o.seq, o.attempts
        from public.realtime_outbox o
        join heads h on h.channel = o.channel
       where o.delivered_at is null and h.next_attempt_at <= now()
       order by o.id
       limit ${this.batchSize}`;
    if (rows.length === 0) return false;

    const byChannel = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const list = byChannel.get(row.channel);
      if (list) list.push(row);
      else byChannel.set(row.channel, [row]);
    }

    const delivered: OutboxRow[] = [];
    const failed: BatchReport['failed'] = [];
    const deadLettered: DeadLetter[] = [];
    const queue = [...byChannel.values()];
    const worker = async () => {
      for (let list = queue.shift(); list; list = queue.shift()) {
        for (const row of list) {
          if (signal?.aborted) break;
          try {
            await this.publisher.publish(row.channel, row.event, row.payload);
            delivered.push(row);
          } catch (err) {
            const attempt = row.attempts + 1;
            const error = describeError(err);
            const refusal = this.publisher.refusal?.(err) ?? null;
            if (refusal !== null || attempt >= this.maxAttempts) {
              // Out of the way, so the channel goes on with its next row now.
              const dead: DeadLetter = {
                row,
                reason: refusal !== null ? `${refusal}: ${error}` : error,
                permanent: refusal !== null,
                attempts: attempt,
              };
              await this.moveToDeadLetters(dead);
              deadLettered.push(dead);
              continue;
            }
            failed.push({ row, error, attempt, retryInMs: this.retryDelayMs(attempt) });
            // Stop this channel: nothing may overtake the failed row.
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));

    let lagMs = 0;
    if (delivered.length > 0) {
      const marked = await conn<{ lag_ms: number }[]>`
        update public.realtime_outbox set delivered_at = now()
         where id in ${conn(delivered.map((r) => r.id))}
        returning (extract(epoch from now() - created_at) * 1000)::int as lag_ms`;
      lagMs = marked.reduce((max, r) => Math.max(max, r.lag_ms), 0);
      const channels = [...new Set(delivered.map((r) => r.channel))];
      this.log.info(
        { rows: delivered.length, channels: channels.length, first_channels: channels.slice(0, 3), lag_ms: lagMs },
        'delivered',
      );
    }
    for (const f of failed) {
      await conn`
        update public.realtime_outbox
           set attempts = attempts + 1, last_error = ${f.error},
               next_attempt_at = now() + make_interval(secs => ${f.retryInMs / 1000})
         where id = ${f.row.id}`;
      const waiting =
        (byChannel.get(f.row.channel)?.length ?? 1) - 1 - delivered.filter((r) => r.channel === f.row.channel).length;
      this.log.warn(
        {
          row: f.row.id,
          channel: f.row.channel,
          event: f.row.event,
          seq: f.row.seq,
          attempt: f.attempt,
          error: f.error,
          retry_in_ms: f.retryInMs,
          waiting_behind: Math.max(0, waiting),
        },
        'publish failed; retrying the row before later rows of its channel',
      );
    }
    this.emit('batch', { delivered, failed, deadLettered, lagMs });
    return rows.length === this.batchSize;
  }

  /** Moves one outbox row to the dead letters (one statement: it is in exactly one of the two tables). */
  private async moveToDeadLetters(dead: DeadLetter): Promise<void> {
    const { row } = dead;
    await this.sql`
      with moved as (
        delete from public.realtime_outbox where id = ${row.id} and delivered_at is null
        returning id, channel, event, payload, seq, created_at
      )
      insert into public.realtime_outbox_dead_letters (id, channel, event, payload, seq, created_at, attempts, reason, permanent)
      select id, channel, event, payload, seq, created_at, ${dead.attempts}, ${dead.reason}, ${dead.permanent} from moved`;
    this.log.error(
      {
        id: row.id,
        channel: row.channel,
        event: row.event,
        seq: row.seq,
        attempts: dead.attempts,
        permanent: dead.permanent,
        reason: dead.reason,
      },
      `dead letter: row ${row.id} (${row.channel} ${row.event}${row.seq ? ` seq ${row.seq}` : ''}) ` +
        `${dead.permanent ? 'refused for good' : `still failing after ${dead.attempts} attempts`}; ` +
        `moved to realtime_outbox_dead_letters, the channel goes on (npm run relay -- --retry-dead re-queues it after a fix)`,
    );
  }

  /** Deletes delivered rows older than the retention window. Returns how many. */
  async prune(): Promise<number> {
    const conn = this.sql;
    let total = 0;
    for (;;) {
      // In slices, so a large backlog never holds long locks.
      const result = await conn`
        delete from public.realtime_outbox
         where id in (select id from public.realtime_outbox
                       where delivered_at < now() - make_interval(secs => ${this.retentionMs / 1000})
                       limit 5000)`;
      total += result.count;
      if (result.count < 5000) break;
    }
    if (total > 0)
      this.log.info({ rows: total, older_than: formatDuration(this.retentionMs) }, 'pruned delivered rows');
    this.emit('pruned', total);
    return total;
  }

  /**
   * Milliseconds until the earliest channel head is due (0 if one already is),
   * or null if nothing waits. Only heads count: rows behind a failing head are
   * gated by it. A head that fell due while the batch ran must not be missed
   * (a short retry would otherwise wait for the poll).
   */
  private async nextRetryInMs(): Promise<number | null> {
    const conn = this.sql;
    const [row] = await conn<{ ms: number | null }[]>`
      with heads as (
        select distinct on (channel) next_attempt_at
          from public.realtime_outbox
         where delivered_at is null
         order by channel, id
      )
      select ceil(extract(epoch from min(next_attempt_at) - clock_timestamp()) * 1000)::int as ms from heads`;
    return row.ms === null ? null : Math.max(0, row.ms);
  }

  private wake(): void {
    this.woken = true;
    this.wakeWaiter?.();
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeWaiter = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeWaiter = done;
    });
  }
}

/** Waits for `work` (ignoring its outcome), at most `ms`. */
async function settleWithin(ms: number, work: Promise<unknown> | undefined): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
