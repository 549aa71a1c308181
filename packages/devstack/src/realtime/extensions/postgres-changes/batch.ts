import type { Sql } from 'postgres';
import type { DevstackMetrics } from '../../../metrics';
import { EVENTS } from '../../constants';
import type { ChangesSubscriber } from '../../context';
import type { Catalog, RoleView, TableInfo } from './catalog';
import { FilterBatch, type FilterTicket } from './filter-batch';
import { changeData, errorData, RenderedImages, type PayloadInput } from './payload';
import type { Image, RowChange, Transaction } from './row-images';
import type { CompiledBinding } from './subscriptions';
import { ValueBatch } from './values';
import { VisibilityBatch, type Ticket } from './visibility';
import type { Logger } from '../../../log-json';

// One batch of committed transactions through the Postgres Changes pipeline:
//   1. plan: which bindings of which subscribers a change could match (event,
//      table), and the filter conditions to ask;
//   2. one statement evaluates every filter condition in SQL (filter-batch.ts)
//      while another renders the values only to_jsonb can render (values.ts);
//   3. one statement checks RLS for every subscriber still matching (visibility.ts);
//   4. delivery, in commit order.
// Rows of realtime.messages (Broadcast from Database) pass through in the same
// order, so a broadcast never overtakes a change committed before it.

/** A row inserted into realtime.messages (Broadcast from Database). */
export interface StoredBroadcast {
  id: string;
  topic: string;
  event: string;
  /** JSON payload, or bytes for realtime.send_binary (binary_payload). */
  body: { kind: 'json'; value: unknown } | { kind: 'binary'; bytes: Buffer };
  isPrivate: boolean;
}

export interface PipelineContext {
  sql: Sql;
  catalog: Catalog;
  subscriptions: ReadonlyMap<ChangesSubscriber, CompiledBinding[]>;
  maxRecordBytes: number;
  onBroadcast(message: StoredBroadcast): void;
  metrics: Pick<DevstackMetrics, 'rlsCheckSeconds' | 'replicationLagSeconds'>;
  /** The realtime service's logger. */
  log: Logger;
}

/** A binding that matches a change's table and event; its filter tickets decide the rest. */
interface Candidate {
  subscriber: ChangesSubscriber;
  binding: CompiledBinding;
  tickets: readonly FilterTicket[];
}

const NO_TICKETS: readonly FilterTicket[] = [];

interface Delivery {
  subscriber: ChangesSubscriber;
  ids: number[];
  select: string[] | null;
  view: RoleView | null;
  error: string | null;
  ticket: Ticket | null;
}

interface PlannedChange {
  input: PayloadInput;
  /** In subscriber order: the candidates of one subscriber are adjacent. */
  candidates: Candidate[];
  deliveries: Delivery[];
}

function storedBroadcast(change: RowChange): StoredBroadcast | null {
  const row = change.newImage;
  if (!row || row.get('extension') !== 'broadcast') return null;
  const binary = row.get('binary_payload');
  let body: StoredBroadcast['body'];
  if (binary !== null && binary !== undefined) {
    // bytea in hex output: \x0102…
    body = { kind: 'binary', bytes: Buffer.from(binary.startsWith('\\x') ? binary.slice(2) : binary, 'hex') };
  } else {
    let value: unknown = {};
    try {
      value = JSON.parse(row.get('payload') ?? '{}');
    } catch {
      /* keep {} */
    }
    body = { kind: 'json', value };
  }
  return {
    id: row.get('id') ?? '',
    topic: row.get('topic') ?? '',
    event: row.get('event') ?? '',
    body,
    isPrivate: row.get('private') === 't',
  };
}

async function plan(
  ctx: PipelineContext,
  change: RowChange,
  table: TableInfo,
  commitTimestamp: string,
  filters: FilterBatch,
  values: ValueBatch,
): Promise<PlannedChange | null> {
  const { newImage, oldImage } = change;
  // WALRUS: the new row must pass; a DELETE passes on its old row image.
  const image: Image = (change.type === 'DELETE' ? oldImage : newImage) ?? new Map();
  const candidates: Candidate[] = [];
  for (const [subscriber, bindings] of ctx.subscriptions) {
    for (const binding of bindings) {
      if (binding.action !== '*' && binding.action !== change.type) continue;
      const conditions = binding.entities.get(table.relid);
      if (!conditions) continue;
      const tickets = conditions.length === 0 ? NO_TICKETS : conditions.map((c) => filters.request(c, image));
      candidates.push({ subscriber, binding, tickets });
    }
  }
  if (candidates.length === 0) return null;
  const rendered = new RenderedImages(table, values);
  rendered.prepare(newImage);
  rendered.prepare(oldImage);
  return { input: { change, table, commitTimestamp, newImage, oldImage, rendered }, candidates, deliveries: [] };
}

const passes = (c: Candidate) => c.tickets === NO_TICKETS || c.tickets.every((t) => FilterBatch.passes(t));
const sameSelect = (a: string[] | null, b: string[] | null) =>
  a === b || (!!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]));

/** The claims as request.jwt.claims text, once per claims object (a token refresh makes a new one). */
const claimsText = new WeakMap<object, string>();
function claimsJson(subscriber: ChangesSubscriber): string {
  let text = claimsText.get(subscriber.claims);
  if (text === undefined) claimsText.set(subscriber.claims, (text = JSON.stringify(subscriber.claims)));
  return text;
}

/** After the filters ran: one delivery per subscriber and column selection, with its RLS ticket. */
async function decide(
  ctx: PipelineContext,
  planned: PlannedChange,
  visibility: VisibilityBatch,
  views: Map<string, RoleView | null>,
): Promise<void> {
  const { change, table, newImage } = planned.input;
  const pks = table.columns.filter((c) => c.isPk);
  const { candidates } = planned;
  for (let i = 0; i < candidates.length;) {
    const subscriber = candidates[i].subscriber;
    // Usually one binding matches; several of one channel share a message per column selection.
    const groups: Array<{ select: string[] | null; ids: number[] }> = [];
    for (; i < candidates.length && candidates[i].subscriber === subscriber; i++) {
      const candidate = candidates[i];
      if (!passes(candidate)) continue;
      const { select, id } = candidate.binding;
      const group = groups.find((g) => sameSelect(g.select, select));
      if (!group) groups.push({ select, ids: [id] });
      else if (!group.ids.includes(id)) group.ids.push(id);
    }
    if (groups.length === 0) continue;
    const role = subscriber.claims.role;
    let view = views.get(role);
    if (view === undefined) {
      view = await ctx.catalog.view(table, role).catch(() => null); // unknown role: nothing is visible to it
      views.set(role, view);
    }
    if (!view) continue;
    let error: string | null = null;
    if (change.type !== 'DELETE' && pks.length === 0) error = 'Error 400: Bad Request, no primary key';
    else if (change.type !== 'DELETE' && !pks.every((c) => view.selectable.has(c.name)))
      error = 'Error 401: Unauthorized';
    const ticket =
      !error && change.type !== 'DELETE' && !view.unrestricted && newImage
        ? visibility.request(table, view, claimsJson(subscriber), newImage)
        : null;
    for (const { select, ids } of groups) planned.deliveries.push({ subscriber, ids, select, view, error, ticket });
  }
}

function deliver(ctx: PipelineContext, planned: PlannedChange): void {
  const dataCache = new Map<string, string>();
  for (const d of planned.deliveries) {
    if (d.ticket && !VisibilityBatch.visible(d.ticket)) continue;
    const cacheKey = `${d.subscriber.claims.role}\u0000${d.select ? d.select.join('\u0000') : '*'}\u0000${d.error ?? ''}`;
    let data = dataCache.get(cacheKey);
    if (data === undefined) {
      data = d.error
        ? errorData(planned.input, d.error)
        : changeData(planned.input, d.view!, d.select, ctx.maxRecordBytes);
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

/** Runs one batch through the pipeline (at most three statements, whatever the number of subscribers). */
export async function processBatch(ctx: PipelineContext, batch: Transaction[]): Promise<void> {
  const filters = new FilterBatch();
  const values = new ValueBatch();
  const steps: Array<PlannedChange | StoredBroadcast> = [];
  for (const tx of batch) {
    const commitTimestamp = tx.commitTime.toISOString();
    for (const change of tx.changes) {
      const { relation } = change;
      if (relation.schema === 'realtime' && relation.table === 'messages') {
        const stored = storedBroadcast(change);
        if (stored) steps.push(stored);
        continue;
      }
      if (ctx.subscriptions.size === 0) continue;
      const table = await ctx.catalog.table(relation.id);
      if (!table) continue;
      const planned = await plan(ctx, change, table, commitTimestamp, filters, values);
      if (planned) steps.push(planned);
    }
  }
  await Promise.all([filters.run(ctx.sql, ctx.log), values.run(ctx.sql, ctx.log)]);
  const visibility = new VisibilityBatch();
  const views = new Map<number, Map<string, RoleView | null>>();
  for (const step of steps) {
    if (!('candidates' in step)) continue;
    const relid = step.input.table.relid;
    let byRole = views.get(relid);
    if (!byRole) views.set(relid, (byRole = new Map()));
    await decide(ctx, step, visibility, byRole);
  }
  const endCheck = visibility.size > 0 ? ctx.metrics.rlsCheckSeconds.startTimer() : null;
  await visibility.run(ctx.sql, ctx.log);
  endCheck?.();
  for (const step of steps) {
    if ('candidates' in step) deliver(ctx, step);
    else ctx.onBroadcast(step);
  }
  // Commit to delivery of the batch's last transaction (0 if the clocks disagree slightly).
  const last = batch[batch.length - 1];
  if (last) ctx.metrics.replicationLagSeconds.set(Math.max(0, Date.now() - last.commitTime.getTime()) / 1000);
}
