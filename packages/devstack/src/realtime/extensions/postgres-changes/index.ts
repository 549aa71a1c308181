import type { Sql } from 'postgres';
import type { DevstackMetrics } from '../../../metrics';
import { REALTIME_DDL_LOCK } from '../../constants';
import type { BindingWithId, ChangesSubscriber, PostgresChangesApi, SubscribeResult } from '../../context';
import { processBatch, type PipelineContext, type StoredBroadcast } from './batch';
import { Catalog } from './catalog';
import { ensureMessagesPublication } from './publication';
import { startReplication, type ReplicationStream } from './replication';
import type { Transaction } from './row-images';
import { compileBindings, ensureFilterCheck, type CompiledBinding } from './subscriptions';
import { defaultLogger, type Logger } from '../../../log-json';

export type { StoredBroadcast } from './batch';

export interface PostgresChangesOptions {
  /** Superuser pool: catalog, filters, RLS checks, slot management. */
  sql: Sql;
  /** Where the replication connection goes. */
  dbUrl: string;
  /** The replication slot (slot.ts) and whether to drop it on close. */
  slot: string;
  dropSlotOnClose: boolean;
  /** Pause between replication reconnect attempts. */
  retryMs: number;
  maxRecordBytes: number;
  onBroadcast(message: StoredBroadcast): void;
  metrics: Pick<DevstackMetrics, 'rlsCheckSeconds' | 'replicationLagSeconds'>;
  /** The stream came back without its slot: subscribers may have missed changes. */
  onGap(): void;
  /** The realtime service's logger (default: the process logger, service "realtime"). */
  log?: Logger;
}

const MAX_BATCH_TRANSACTIONS = 500;

/** Errors of a database that is (re)starting or unreachable, not of the batch itself. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^(08|57P0)/.test(code) || /^(ECONN|EPIPE|ETIMEDOUT|CONNECTION_|CONNECT_TIMEOUT)/.test(code);
}

/**
 * Postgres Changes: subscriptions of channels, the replication stream, and an
 * ordered pipeline (batch.ts) that delivers each change in commit order, then
 * confirms it to the replication slot.
 */
export class PostgresChanges implements PostgresChangesApi {
  private readonly subscriptions = new Map<ChangesSubscriber, CompiledBinding[]>();
  private readonly pipeline: PipelineContext;
  private readonly queue: Transaction[] = [];
  private draining = false;
  private replication: ReplicationStream | null = null;
  private started: Promise<void> | null = null;
  private closed = false;

  private readonly log: Logger;

  constructor(private readonly options: PostgresChangesOptions) {
    this.log = options.log ?? defaultLogger().child({ service: 'realtime' });
    this.pipeline = {
      sql: options.sql,
      catalog: new Catalog(options.sql),
      subscriptions: this.subscriptions,
      maxRecordBytes: options.maxRecordBytes,
      onBroadcast: options.onBroadcast,
      metrics: options.metrics,
      log: this.log,
    };
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      await this.options.sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${REALTIME_DDL_LOCK})`;
        await ensureMessagesPublication(tx);
        await ensureFilterCheck(tx);
      });
      this.replication = startReplication(
        this.options.dbUrl,
        this.options.sql,
        {
          slot: this.options.slot,
          dropOnClose: this.options.dropSlotOnClose,
          retryMs: this.options.retryMs,
          log: this.log,
        },
        {
          onRelation: (relation) => this.pipeline.catalog.invalidate(relation.id),
          onTransaction: (tx) => this.enqueue(tx),
          onGap: () => this.options.onGap(),
        },
      );
      await this.replication.ready;
    })();
    return this.started;
  }

  ready(): Promise<void> {
    return this.start();
  }

  streaming(): boolean {
    return this.replication?.streaming() ?? false;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.replication?.close();
  }

  async subscribe(subscriber: ChangesSubscriber, bindings: BindingWithId[]): Promise<SubscribeResult> {
    await this.ready();
    const result = await compileBindings(this.options.sql, subscriber, bindings);
    if (!result.ok) return result;
    this.subscriptions.set(subscriber, result.compiled);
    return { ok: true };
  }

  unsubscribe(subscriber: ChangesSubscriber): void {
    this.subscriptions.delete(subscriber);
  }

  private enqueue(tx: Transaction): void {
    this.queue.push(tx);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH_TRANSACTIONS);
        for (;;) {
          try {
            await processBatch(this.pipeline, batch);
            break;
          } catch (err) {
            // Nothing of a batch is delivered before all its queries ran, so it can run again.
            if (isConnectionError(err) && !this.closed) {
              this.log.warn('database unreachable, retrying a batch of changes', { reason: (err as Error).message });
              await new Promise((r) => setTimeout(r, this.options.retryMs));
              continue;
            }
            this.log.error('dropping a batch of changes after an error', { err });
            break;
          }
        }
        // Delivered (or given up on): the slot may move past it.
        this.replication?.confirm(batch[batch.length - 1].lsn);
      }
    } finally {
      this.draining = false;
    }
  }
}
