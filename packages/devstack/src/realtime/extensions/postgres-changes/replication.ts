import type { Duplex } from 'node:stream';
import postgres, { type Sql } from 'postgres';
import { CHANGES_PUBLICATION, MESSAGES_PUBLICATION } from '../../constants';
import { decodePgoutput, type Relation, type TupleValue } from './pgoutput';

// One logical replication stream (pgoutput) over both publications: the
// project's supabase_realtime tables, and realtime.messages through a
// publication the dev stack owns. The slot is TEMPORARY: it lives as long as
// this connection, so a stopped stack leaves nothing behind in Postgres, and
// changes committed while the stack is down are not replayed (Supabase does
// not replay them either; the app catches up from shipment_events).

export interface RowChange {
  relation: Relation;
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  newTuple: TupleValue[] | null;
  oldTuple: TupleValue[] | null;
}

export interface Transaction {
  commitTime: Date;
  changes: RowChange[];
}

export interface ReplicationHandlers {
  onTransaction(tx: Transaction): void;
  onRelation(relation: Relation): void;
  /**
   * The stream came back after it was lost (e.g. Postgres restarted). Its slot
   * is temporary, so changes committed in between were not streamed.
   */
  onResumed?(): void;
}

export interface ReplicationStream {
  ready: Promise<void>;
  close(): Promise<void>;
}

const STATUS_INTERVAL_MS = 10_000;

/** Creates the dev stack's publication for realtime.messages when it is missing. */
export async function ensureMessagesPublication(sql: Sql): Promise<void> {
  await sql.unsafe(`
    do $$
    begin
      if not exists (select 1 from pg_publication where pubname = '${MESSAGES_PUBLICATION}') then
        create publication ${MESSAGES_PUBLICATION} for table realtime.messages with (publish = 'insert');
      end if;
    end
    $$`);
}

export function startReplication(dbUrl: string, handlers: ReplicationHandlers): ReplicationStream {
  let ended = false;
  let current: { sql: Sql; stream: Duplex; timer: NodeJS.Timeout } | null = null;
  let connectedBefore = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));

  async function connect(): Promise<void> {
    const sql = postgres(dbUrl, {
      max: 1,
      fetch_types: false,
      idle_timeout: undefined,
      max_lifetime: null,
      onnotice: () => {},
      // ISO dates in UTC: values.ts relies on this text format.
      connection: {
        replication: 'database',
        application_name: 'devstack_realtime',
        DateStyle: 'ISO, YMD',
        TimeZone: 'UTC',
        IntervalStyle: 'iso_8601',
        extra_float_digits: 1,
      },
    });
    const slot = `devstack_realtime_${process.pid}_${Date.now().toString(36)}`;
    const [created] = await sql.unsafe<{ consistent_point: string }[]>(
      `CREATE_REPLICATION_SLOT ${slot} TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT`,
    );
    const stream = (await sql
      .unsafe(
        `START_REPLICATION SLOT ${slot} LOGICAL ${created.consistent_point} (proto_version '1', publication_names '${CHANGES_PUBLICATION},${MESSAGES_PUBLICATION}')`,
      )
      .writable()) as unknown as Duplex;

    const relations = new Map<number, Relation>();
    let commitTime = new Date();
    let changes: RowChange[] = [];
    let flushedLsn = 0n;

    const sendStatus = () => {
      const status = Buffer.alloc(34);
      status[0] = 0x72; // 'r'
      status.writeBigUInt64BE(flushedLsn, 1);
      status.writeBigUInt64BE(flushedLsn, 9);
      status.writeBigUInt64BE(flushedLsn, 17);
      status.writeBigInt64BE(BigInt(Date.now() - Date.UTC(2000, 0, 1)) * 1000n, 25);
      if (!stream.destroyed) stream.write(status);
    };

    stream.on('data', (data: Buffer) => {
      if (data[0] === 0x77) {
        // XLogData: 'w', start LSN, end LSN, send time, then the pgoutput message.
        const message = decodePgoutput(data.subarray(25));
        switch (message.tag) {
          case 'begin':
            commitTime = message.commitTime;
            changes = [];
            break;
          case 'relation':
            relations.set(message.relation.id, message.relation);
            handlers.onRelation(message.relation);
            break;
          case 'insert':
          case 'update':
          case 'delete': {
            const relation = relations.get(message.relationId);
            if (!relation) break;
            changes.push({
              relation,
              type: message.tag === 'insert' ? 'INSERT' : message.tag === 'update' ? 'UPDATE' : 'DELETE',
              newTuple: message.tag === 'delete' ? null : message.newTuple,
              oldTuple: message.tag === 'insert' ? null : message.oldTuple,
            });
            break;
          }
          case 'commit':
            flushedLsn = message.endLsn;
            if (changes.length > 0) handlers.onTransaction({ commitTime: message.commitTime ?? commitTime, changes });
            changes = [];
            break;
        }
      } else if (data[0] === 0x6b && data[17]) {
        // Primary keepalive that asks for a reply.
        sendStatus();
      }
    });
    stream.on('error', () => {});
    stream.on('close', () => {
      clearInterval(timer);
      void sql.end({ timeout: 1 }).catch(() => {});
      if (!ended) setTimeout(() => void reconnect(), 1000).unref();
    });
    const timer = setInterval(sendStatus, STATUS_INTERVAL_MS);
    timer.unref();
    current = { sql, stream, timer };
    resolveReady();
    if (connectedBefore) handlers.onResumed?.();
    connectedBefore = true;
  }

  async function reconnect(): Promise<void> {
    while (!ended) {
      try {
        await connect();
        return;
      } catch (err) {
        console.error('[realtime] replication connection failed, retrying in 1 s:', (err as Error).message);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  const started = connect().catch(async (err: unknown) => {
    console.error('[realtime] could not start logical replication:', (err as Error).message);
    await reconnect();
  });

  return {
    ready: Promise.race([ready, started.then(() => ready)]),
    async close() {
      ended = true;
      if (!current) return;
      clearInterval(current.timer);
      const { stream, sql } = current;
      await new Promise<void>((resolve) => {
        if (stream.destroyed) return resolve();
        stream.once('close', () => resolve());
        stream.end();
        setTimeout(resolve, 1000).unref();
      });
      await sql.end({ timeout: 1 }).catch(() => {});
    },
  };
}
