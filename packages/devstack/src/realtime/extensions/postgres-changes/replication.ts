import type { Duplex } from 'node:stream';
import postgres, { type Sql } from 'postgres';
import { CHANGES_PUBLICATION, MESSAGES_PUBLICATION } from '../../constants';
import { decodePgoutput, type Relation } from './pgoutput';
import { toImage, type Transaction } from './row-images';
import { createSlot, dropSlot, formatLsn, parseLsn, readSlot } from './slot';
import { defaultLogger, type Logger } from '../../../log-json';

// One logical replication stream (pgoutput) over both publications: the
// project's supabase_realtime tables, and realtime.messages through a
// publication the dev stack owns.
//
// The slot is persistent (slot.ts). A transaction's position is confirmed to
// Postgres only after the pipeline has delivered it, so after a Postgres
// restart (or a lost connection) the stream resumes exactly after the last
// delivered transaction: nothing committed in between is missed, nothing
// delivered is sent twice. When idle, the server's keepalive position is
// confirmed so the slot does not hold WAL back.

export interface ReplicationHandlers {
  /** A committed transaction; confirm(tx.lsn) once it is delivered. */
  onTransaction(tx: Transaction): void;
  onRelation(relation: Relation): void;
  /**
   * The slot was gone when the stream came back (dropped by hand, or
   * invalidated by max_slot_wal_keep_size) and was created anew: changes
   * committed in between were not streamed.
   */
  onGap?(): void;
}

export interface ReplicationOptions {
  slot: string;
  /** Drop the slot when the stream closes (a throw-away stack). */
  dropOnClose: boolean;
  /** Pause between attempts to reconnect. */
  retryMs: number;
  /** Where connection trouble is logged (default: the process logger, service "realtime"). */
  log?: Logger;
}

export interface ReplicationStream {
  /** Resolves when streaming; rejects when the slot is held by another process at start-up. */
  ready: Promise<void>;
  /** Marks everything up to `lsn` as delivered. */
  confirm(lsn: bigint): void;
  /** True while connected and streaming. */
  streaming(): boolean;
  close(): Promise<void>;
}

const STATUS_INTERVAL_MS = 10_000;
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

/** Thrown at start-up when another process streams from the slot (another stack on this database). */
export class SlotInUseError extends Error {}

/** Streams committed changes from the slot; reconnects (and resumes) until closed. */
export function startReplication(
  dbUrl: string,
  pool: Sql,
  options: ReplicationOptions,
  handlers: ReplicationHandlers,
): ReplicationStream {
  const log = options.log ?? defaultLogger().child({ service: 'realtime' });
  let ended = false;
  let current: { sql: Sql; stream: Duplex; timer: NodeJS.Timeout } | null = null;
  let streamedBefore = false;
  /** Highest LSN delivered (or known to hold nothing for us). */
  let confirmed = 0n;
  /** End of the last transaction received; everything up to it is delivered when confirmed ≥ it. */
  let received = 0n;
  let statusQueued = false;
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {});

  const sendStatus = () => {
    const stream = current?.stream;
    if (!stream || stream.destroyed) return;
    const status = Buffer.alloc(34);
    status[0] = 0x72; // 'r': written, flushed, applied, clock, no reply wanted
    status.writeBigUInt64BE(received > confirmed ? received : confirmed, 1);
    status.writeBigUInt64BE(confirmed, 9);
    status.writeBigUInt64BE(confirmed, 17);
    status.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MS) * 1000n, 25);
    stream.write(status);
  };

  /** Takes the slot: resumes it, or creates it (a gap if it existed before and is gone). */
  async function takeSlot(): Promise<void> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const state = await readSlot(pool, options.slot);
      if (state?.walStatus === 'lost') {
        log.warn('replication slot was invalidated by Postgres; creating it again', { slot: options.slot });
        await dropSlot(pool, options.slot);
        continue;
      }
      if (!state) {
        await createSlot(pool, options.slot);
        if (streamedBefore) handlers.onGap?.();
        return;
      }
      if (state.activePid === null) {
        const lsn = parseLsn(state.confirmedFlushLsn);
        if (lsn !== null && lsn > confirmed && !streamedBefore) confirmed = received = lsn;
        return;
      }
      if (streamedBefore) {
        // Our own previous stream, not yet noticed as gone by its server process.
        await pool`select pg_catalog.pg_terminate_backend(${state.activePid})`;
      } else if (Date.now() > deadline) {
        throw new SlotInUseError(
          `Replication slot ${options.slot} is in use by another process (server pid ${state.activePid}): ` +
            'is another dev stack running on this database? Stop it, or point this one at another database.',
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function connect(): Promise<void> {
    await takeSlot();
    const sql = postgres(dbUrl, {
      max: 1,
      fetch_types: false,
      idle_timeout: undefined,
      max_lifetime: null,
      onnotice: () => {},
      // ISO date text (values.ts reads it); TimeZone and IntervalStyle stay the
      // database's, as in every session whose to_jsonb output we match.
      connection: {
        replication: 'database',
        application_name: 'devstack_realtime',
        DateStyle: 'ISO, YMD',
        extra_float_digits: 1,
      },
    });
    let stream: Duplex;
    try {
      stream = (await sql
        .unsafe(
          `START_REPLICATION SLOT ${options.slot} LOGICAL ${formatLsn(confirmed)} (proto_version '1', publication_names '${CHANGES_PUBLICATION},${MESSAGES_PUBLICATION}')`,
        )
        .writable()) as unknown as Duplex;
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => {});
      throw err;
    }

    const relations = new Map<number, Relation>();
    let tx: Transaction | null = null;

    stream.on('data', (data: Buffer) => {
      if (data[0] === 0x77) {
        // XLogData: 'w', start LSN, end LSN, send time, then the pgoutput message.
        const message = decodePgoutput(data.subarray(25));
        switch (message.tag) {
          case 'begin':
            tx = { commitTime: message.commitTime, lsn: 0n, changes: [] };
            break;
          case 'relation':
            relations.set(message.relation.id, message.relation);
            handlers.onRelation(message.relation);
            break;
          case 'insert':
          case 'update':
          case 'delete': {
            const relation = relations.get(message.relationId);
            if (!relation || !tx) break;
            const oldImage =
              message.tag === 'insert' ? null : toImage(relation, message.oldTuple, message.oldKind === 'K');
            tx.changes.push({
              relation,
              type: message.tag === 'insert' ? 'INSERT' : message.tag === 'update' ? 'UPDATE' : 'DELETE',
              newImage: message.tag === 'delete' ? null : toImage(relation, message.newTuple, false, oldImage),
              oldImage,
            });
            break;
          }
          case 'commit': {
            const done = tx;
            tx = null;
            // Already queued or delivered before the stream came back: not again.
            if (!done || message.endLsn <= received) break;
            done.lsn = message.endLsn;
            done.commitTime = message.commitTime;
            received = message.endLsn;
            // Even an empty one: confirmations must follow commit order.
            handlers.onTransaction(done);
            break;
          }
        }
      } else if (data[0] === 0x6b) {
        // Primary keepalive: 'k', server WAL end, clock, reply requested.
        const walEnd = data.readBigUInt64BE(1);
        // Everything received is delivered and no transaction is half-read: nothing
        // before walEnd is still owed to us, so the slot may move on.
        if (!tx && confirmed >= received && walEnd > confirmed) confirmed = walEnd;
        if (data[17]) sendStatus();
      }
    });
    stream.on('error', () => {});
    stream.on('close', () => {
      clearInterval(timer);
      void sql.end({ timeout: 1 }).catch(() => {});
      if (current?.stream === stream) current = null;
      if (!ended) setTimeout(() => void reconnect(), options.retryMs).unref();
    });
    const timer = setInterval(sendStatus, STATUS_INTERVAL_MS);
    timer.unref();
    current = { sql, stream, timer };
    streamedBefore = true;
    resolveReady();
  }

  async function reconnect(): Promise<void> {
    while (!ended) {
      try {
        await connect();
        return;
      } catch (err) {
        if (ended) return;
        log.error('replication connection failed, retrying', {
          retry_in_ms: options.retryMs,
          reason: (err as Error).message,
        });
        await new Promise((r) => setTimeout(r, options.retryMs));
      }
    }
  }

  function confirm(lsn: bigint): void {
    if (lsn <= confirmed) return;
    confirmed = lsn;
    // Tell the server soon (coalesced), so its slot position is fresh if it goes down.
    if (statusQueued) return;
    statusQueued = true;
    setTimeout(() => {
      statusQueued = false;
      sendStatus();
    }, 100).unref();
  }

  connect().catch(async (err: unknown) => {
    if (err instanceof SlotInUseError) {
      ended = true;
      rejectReady(err);
      return;
    }
    log.error('could not start logical replication', { reason: (err as Error).message });
    await reconnect();
  });

  return {
    ready,
    confirm,
    streaming: () => current !== null && !current.stream.destroyed,
    async close() {
      ended = true;
      const running = current;
      if (running) {
        clearInterval(running.timer);
        sendStatus();
        current = null;
        await new Promise<void>((resolve) => {
          if (running.stream.destroyed) return resolve();
          running.stream.once('close', () => resolve());
          running.stream.end();
          setTimeout(resolve, 1000).unref();
        });
        await running.sql.end({ timeout: 1 }).catch(() => {});
      }
      if (options.dropOnClose) await dropSlot(pool, options.slot).catch(() => {});
    },
  };
}
