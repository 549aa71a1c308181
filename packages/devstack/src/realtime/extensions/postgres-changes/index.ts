import type { Sql } from 'postgres';
import type { DevstackMetrics } from '../../../metrics';
import { EVENTS, TRUNCATED_VALUE_BYTES } from '../../constants';
import type { BindingWithId, ChangesSubscriber, PostgresChangesApi, SubscribeResult } from '../../context';
import { Catalog, type RoleView, type TableInfo } from './catalog';
import type { Relation, TupleValue } from './pgoutput';
import {
  ensureMessagesPublication,
  startReplication,
  type ReplicationStream,
  type RowChange,
  type Transaction,
} from './replication';
import { compileBindings, type CompiledBinding } from './subscriptions';
import { toJson, type JsonValue } from './values';
import { VisibilityBatch, type Ticket } from './visibility';

/** A row inserted into realtime.messages (Broadcast from Database). */
export interface StoredBroadcast {
  id: string;
  topic: string;
  event: string;
  payload: unknown;
  isPrivate: boolean;
}

interface Delivery {
  subscriber: ChangesSubscriber;
  ids: number[];
  view: RoleView | null;
  select: string[] | null;
  error: string | null;
  ticket: Ticket | null;
}

type Image = Map<string, string | null>;

interface PlannedChange {
  change: RowChange;
  table: TableInfo;
  commitTimestamp: string;
  newImage: Image | null;
  oldImage: Image | null;
  deliveries: Delivery[];
}

const MAX_BATCH_TRANSACTIONS = 500;

function image(relation: Relation, tuple: TupleValue[] | null, fallback: TupleValue[] | null): Image | null {
  if (!tuple) return null;
  const out: Image = new Map();
  relation.columns.forEach((column, i) => {
    const value = tuple[i] === undefined ? fallback?.[i] : tuple[i];
    if (value !== undefined) out.set(column.name, value);
  });
  return out;
}

/**
 * Postgres Changes: subscriptions of channels, the replication stream, and an
 * ordered pipeline that checks visibility per batch (one round trip for all
 * subscribers, see visibility.ts) and delivers each change in commit order.
 */
export class PostgresChanges implements PostgresChangesApi {
  private readonly subscriptions = new Map<ChangesSubscriber, CompiledBinding[]>();
  private readonly catalog: Catalog;
  private readonly queue: Transaction[] = [];
  private draining = false;
  private replication: ReplicationStream | null = null;
  private started: Promise<void> | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly dbUrl: string,
    private readonly maxRecordBytes: number,
    private readonly onBroadcast: (message: StoredBroadcast) => void,
    private readonly metrics: Pick<DevstackMetrics, 'rlsCheckSeconds' | 'replicationLagSeconds'>,
    /** The replication stream came back after a gap: subscribers may have missed changes. */
    private readonly onResumed: () => void = () => {},
  ) {
    this.catalog = new Catalog(sql);
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      await ensureMessagesPublication(this.sql);
      this.replication = this.openReplication();
      await this.replication.ready;
    })();
    return this.started;
  }

  private openReplication(): ReplicationStream {
    return startReplication(this.dbUrl, {
      onRelation: (relation) => this.catalog.invalidate(relation.id),
      onTransaction: (tx) => this.enqueue(tx),
      onResumed: () => this.onResumed(),
    });
  }

  ready(): Promise<void> {
    return this.start();
  }

  async close(): Promise<void> {
    await this.replication?.close();
  }

  async subscribe(subscriber: ChangesSubscriber, bindings: BindingWithId[]): Promise<SubscribeResult> {
    await this.ready();
    const result = await compileBindings(this.sql, subscriber, bindings);
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
        try {
          await this.process(batch);
        } catch (err) {
          console.error('[realtime] dropping a batch of changes after an error:', err);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async process(batch: Transaction[]): Promise<void> {
    const visibility = new VisibilityBatch();
    const steps: Array<PlannedChange | StoredBroadcast> = [];
    for (const tx of batch) {
      const commitTimestamp = tx.commitTime.toISOString();
      for (const change of tx.changes) {
        const { relation } = change;
        if (relation.schema === 'realtime' && relation.table === 'messages') {
          const stored = this.storedBroadcast(change);
          if (stored) steps.push(stored);
          continue;
        }
        if (this.subscriptions.size === 0) continue;
        const planned = await this.plan(change, commitTimestamp, visibility);
        if (planned) steps.push(planned);
      }
    }
    const endCheck = visibility.size > 0 ? this.metrics.rlsCheckSeconds.startTimer() : null;
    await visibility.run(this.sql);
    endCheck?.();
    for (const step of steps) {
      if ('deliveries' in step) this.deliver(step);
      else this.onBroadcast(step);
    }
    // Commit to delivery of the batch's last transaction (0 if the clocks disagree slightly).
    const last = batch[batch.length - 1];
    if (last) this.metrics.replicationLagSeconds.set(Math.max(0, Date.now() - last.commitTime.getTime()) / 1000);
  }

  private storedBroadcast(change: RowChange): StoredBroadcast | null {
    const row = image(change.relation, change.newTuple, null);
    if (!row || row.get('extension') !== 'broadcast') return null;
    let payload: unknown = {};
    try {
      payload = JSON.parse(row.get('payload') ?? '{}');
    } catch {
      /* keep {} */
    }
    return {
      id: row.get('id') ?? '',
      topic: row.get('topic') ?? '',
      event: row.get('event') ?? '',
      payload,
      isPrivate: row.get('private') === 't',
    };
  }

  private async plan(
    change: RowChange,
    commitTimestamp: string,
    visibility: VisibilityBatch,
  ): Promise<PlannedChange | null> {
    const table = await this.catalog.table(change.relation.id);
    if (!table) return null;
    const newImage = image(change.relation, change.newTuple, change.oldTuple);
    const oldImage = image(change.relation, change.oldTuple, null);
    const filterImage = change.type === 'DELETE' ? oldImage : newImage;
    const deliveries: Delivery[] = [];
    for (const [subscriber, bindings] of this.subscriptions) {
      const ids: number[] = [];
      let select: string[] | null = null;
      for (const b of bindings) {
        if (b.event !== '*' && b.event !== change.type) continue;
        if (b.schema !== '*' && b.schema !== table.schema) continue;
        if (b.table !== null && b.table !== table.table) continue;
        if (b.filter && b.filterColumn && !b.filter(filterImage?.get(b.filterColumn))) continue;
        if (!ids.includes(b.id)) ids.push(b.id);
        select ??= b.select;
      }
      if (ids.length === 0) continue;
      const role = subscriber.claims.role;
      let view: RoleView;
      try {
        view = await this.catalog.view(table, role);
      } catch {
        continue; // unknown role: nothing is visible to it
      }
      const delivery: Delivery = { subscriber, ids, view, select, error: null, ticket: null };
      const pks = table.columns.filter((c) => c.isPk);
      if (change.type !== 'DELETE' && pks.length === 0) delivery.error = 'Error 400: Bad Request, no primary key';
      else if (change.type !== 'DELETE' && !pks.every((c) => view.selectable.has(c.name)))
        delivery.error = 'Error 401: Unauthorized';
      else if (change.type !== 'DELETE' && !view.unrestricted && newImage) {
        delivery.ticket = visibility.request(table, view, JSON.stringify(subscriber.claims), newImage);
      }
      deliveries.push(delivery);
    }
    if (deliveries.length === 0) return null;
    return { change, table, commitTimestamp, newImage, oldImage, deliveries };
  }

  private deliver(planned: PlannedChange): void {
    const dataCache = new Map<string, string>();
    for (const d of planned.deliveries) {
      if (d.ticket && !VisibilityBatch.visible(d.ticket)) continue;
      const cacheKey = `${d.subscriber.claims.role}|${d.select?.join(',') ?? ''}|${d.error ?? ''}`;
      let data = dataCache.get(cacheKey);
      if (data === undefined) {
        data = JSON.stringify(this.data(planned, d));
        dataCache.set(cacheKey, data);
      }
      const payload = `{"ids":${JSON.stringify(d.ids)},"data":${data}}`;
      const topic = JSON.stringify(d.subscriber.topic);
      d.subscriber.sendRaw(
        d.subscriber.vsn === '2.0.0'
          ? `[null,null,${topic},"${EVENTS.postgresChanges}",${payload}]`
          : `{"topic":${topic},"event":"${EVENTS.postgresChanges}","payload":${payload},"ref":null,"join_ref":null}`,
        'postgres_changes',
      );
    }
  }

  /** The `data` of a postgres_changes event as one role sees it (WALRUS' output shape). */
  private data(planned: PlannedChange, d: Delivery): Record<string, JsonValue> {
    const { change, table, newImage, oldImage } = planned;
    const base: Record<string, JsonValue> = {
      schema: table.schema,
      table: table.table,
      commit_timestamp: planned.commitTimestamp,
      type: change.type,
    };
    if (d.error) return { ...base, errors: [d.error] };
    const view = d.view!;
    const shown = (name: string) => {
      const column = table.byName.get(name);
      return !!column && view.selectable.has(name) && (!d.select || d.select.includes(name) || column.isPk);
    };
    const size = [newImage, oldImage].reduce(
      (n, img) => n + [...(img?.values() ?? [])].reduce((m, v) => m + (v?.length ?? 0), 0),
      0,
    );
    const tooLarge = size > this.maxRecordBytes;
    const record = (img: Image | null, only?: (name: string) => boolean): Record<string, JsonValue> => {
      const out: Record<string, JsonValue> = {};
      for (const column of change.relation.columns) {
        if (!img?.has(column.name) || !shown(column.name) || (only && !only(column.name))) continue;
        const text = img.get(column.name);
        if (tooLarge && (text?.length ?? 0) > TRUNCATED_VALUE_BYTES) continue;
        out[column.name] = toJson(text, column.typeOid);
      }
      return out;
    };
    const isPk = (name: string) => table.byName.get(name)?.isPk ?? false;
    const columns = table.columns.filter((c) => shown(c.name)).map((c) => ({ name: c.name, type: c.typeName }));
    const data: Record<string, JsonValue> = {
      ...base,
      columns,
      errors: tooLarge ? ['Error 413: Payload Too Large'] : null,
    };
    if (change.type !== 'DELETE') data.record = record(newImage);
    if (change.type === 'UPDATE') data.old_record = oldImage ? record(oldImage) : record(newImage, isPk);
    if (change.type === 'DELETE') {
      // With RLS on a table, a delete cannot be secured: only the primary key is sent.
      const keyOnly = table.rlsEnabled || change.relation.replicaIdentity !== 'f';
      data.old_record = record(oldImage, keyOnly ? isPk : undefined);
    }
    return data;
  }
}
