// Building blocks of the chaos suite: a database of its own, app-like clients
// (the real adapters, SeqFeed, the merge functions, the app's fetchers), a
// writer committing at a steady rate, and the convergence checks every
// scenario ends with.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { Sql } from 'postgres';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { freePort, startEmbeddedPostgres, type RunningPostgres } from '@switchboard/devstack';
import type { Database } from '../../lib/database.types';
import { realtimeSocketOptions } from '../../lib/realtime/adapters/supabase';
import type { ChannelSubscription, RealtimeProvider } from '../../lib/realtime/types';
import { applyChangeToList } from '../../lib/live/merge';
import type { LiveChange } from '../../lib/live/schema';
import { SeqFeed } from '../../lib/live/seq-feed';
import { shipmentsTable } from '../../lib/shipments/live';
import { fetchDepotBoard, type DepotBoard } from '../../lib/shipments/queries';
import type { Shipment } from '../../lib/shipments/schema';
import { createWorld, PASSWORD, type ContractPerson } from '../contract/fixtures';
import { createPrivateDatabase, type PrivateDatabase } from '../contract/private-stack';

// ---------------------------------------------------------------- databases

export type ChaosDatabase = PrivateDatabase;

/** A fresh, migrated database on the test server; the caller owns the API. */
export const createChaosDatabase = (tag: string): Promise<ChaosDatabase> => createPrivateDatabase(`chaos_${tag}`);

/** An embedded Postgres of its own (persistent data folder), so it can be stopped and started again on the same port. */
export interface RestartablePostgres {
  dbUrl: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'switchboard-chaos-'));
  // As root, Postgres runs as the "postgres" user, which must be able to enter the folder.
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'pg');
  const port = await freePort();
  let running: RunningPostgres | null = await startEmbeddedPostgres({ dataDir, port });
  return {
    dbUrl: running.url,
    port,
    async stop() {
      await running?.stop();
      running = null;
    },
    async start() {
      running = await startEmbeddedPostgres({ dataDir, port });
    },
    async destroy() {
      await running?.stop();
      running = null;
      await rm(root, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- people

export interface ChaosDepot {
  id: string;
  people: ContractPerson[];
}

/** `count` depots, each with two dispatchers of its own (tests/contract/fixtures' world). */
export async function createDepots(sql: Sql, tag: string, count: number): Promise<ChaosDepot[]> {
  const depots: ChaosDepot[] = [];
  for (let i = 0; i < count; i++) {
    const world = await createWorld(sql, `${tag}${i}`);
    depots.push({ id: world.depotId, people: [world.dispatcher, world.colleague] });
  }
  return depots;
}

// ---------------------------------------------------------------- clients

/** An app tab on a depot board: initial board from REST, live deltas through the provider, SeqFeed, merge. */
export interface AppClient {
  name: string;
  depotId: string;
  supabase: SupabaseClient<Database>;
  provider: RealtimeProvider;
  board(): DepotBoard;
  /** Every seq applied, in application order. */
  applied: number[];
  initialSeq: number;
  lastSeq(): number;
  /** Live messages received (duplicates included). */
  received(): number;
  subscribedCount(): number;
  backfillErrors: unknown[];
  close(): Promise<void>;
}

export async function signIn(
  apiUrl: string,
  anonKey: string,
  person: ContractPerson,
  realtime: boolean,
): Promise<SupabaseClient<Database>> {
  const client = createClient<Database>(apiUrl, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never, ...(realtime ? realtimeSocketOptions() : {}) },
  });
  const { error } = await client.auth.signInWithPassword({ email: person.email, password: PASSWORD });
  if (error) throw error;
  return client;
}

export interface ClientSetup {
  name: string;
  depotId: string;
  supabase: SupabaseClient<Database>;
  provider: RealtimeProvider;
  closeProvider?: () => void;
}

/** What useLiveList does, without React: the board cache is a plain variable. */
export async function openAppClient(setup: ClientSetup): Promise<AppClient> {
  const { supabase, depotId, provider } = setup;
  let board = await fetchDepotBoard(supabase, depotId);
  const applied: number[] = [];
  const backfillErrors: unknown[] = [];
  let received = 0;
  let subscribed = 0;
  const initialSeq = board.watermark ?? 0;
  const feed = new SeqFeed<LiveChange<Shipment>>({
    initialSeq,
    apply: (changes) => {
      for (const change of changes) {
        applied.push(change.seq);
        board = applyChangeToList(board, change, shipmentsTable.keyOf) ?? board;
      }
    },
    backfill: (afterSeq, limit) => shipmentsTable.fetchChangesAfter(supabase, depotId, afterSeq, limit),
    // The app logs and retries on the next reconnect / gap; the test counts.
    onError: (error) => backfillErrors.push(error),
  });
  const sub: ChannelSubscription = provider.subscribe(shipmentsTable.topic(depotId), {
    events: {
      changed: (payload) => {
        const parsed = shipmentsTable.changeSchema.safeParse(payload);
        if (!parsed.success || parsed.data.scope !== depotId)
          throw new Error(`invalid change: ${JSON.stringify(payload)}`);
        received++;
        feed.receive(parsed.data);
      },
    },
    onSubscribed: () => {
      subscribed++;
      void feed.catchUp();
    },
  });
  return {
    name: setup.name,
    depotId,
    supabase,
    provider,
    board: () => board,
    applied,
    initialSeq,
    lastSeq: () => feed.lastSeq,
    received: () => received,
    subscribedCount: () => subscribed,
    backfillErrors,
    async close() {
      sub.unsubscribe();
      feed.close();
      setup.closeProvider?.();
      await supabase.removeAllChannels();
      supabase.realtime.disconnect();
    },
  };
}

/** Resolves once every client has joined its channel at least `times` times. */
export async function allSubscribed(clients: AppClient[], times = 1, timeout = 20_000): Promise<void> {
  await expect
    .poll(() => clients.filter((c) => c.subscribedCount() < times).map((c) => c.name), { timeout, interval: 50 })
    .toEqual([]);
}

// ---------------------------------------------------------------- writer

export interface WriterReport {
  commits: number;
  failures: number;
  /** The first few failure messages. */
  errors: string[];
  byOperation: Record<'insert' | 'update' | 'delete', number>;
}

/**
 * Commits one change at a time, round-robin over the depots, paced at one
 * commit per `intervalMs`: mostly updates, some inserts, a few deletes, as the
 * superuser (the change-feed trigger runs either way). Errors (a database that
 * is restarting) are counted and the writer carries on.
 */
export function startWriter(
  sql: Sql,
  depotIds: string[],
  intervalMs: number,
): { stop(): Promise<WriterReport>; commits(): number } {
  const report: WriterReport = {
    commits: 0,
    failures: 0,
    errors: [],
    byOperation: { insert: 0, update: 0, delete: 0 },
  };
  const shipments = new Map<string, string[]>(depotIds.map((id) => [id, []]));
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      const depotId = depotIds[n++ % depotIds.length];
      const ids = shipments.get(depotId)!;
      const roll = Math.random();
      const op = ids.length < 4 || roll < 0.12 ? 'insert' : roll < 0.16 ? 'delete' : 'update';
      try {
        if (op === 'insert') {
          const [{ id }] = await sql<{ id: string }[]>`
            insert into shipments (depot_id, reference, recipient, address)
            values (${depotId}, ${`CHAOS-${Date.now().toString(36).toUpperCase()}-${n}`}, 'R', 'A') returning id`;
          ids.push(id);
        } else if (op === 'delete') {
          const id = ids.splice(Math.floor(Math.random() * ids.length), 1)[0];
          await sql`delete from shipments where id = ${id}`;
        } else {
          const id = ids[Math.floor(Math.random() * ids.length)];
          await sql`update shipments set eta = now() + make_interval(secs => ${n}) where id = ${id}`;
        }
        report.commits++;
        report.byOperation[op]++;
      } catch (error) {
        report.failures++;
        if (report.errors.length < 5) report.errors.push(`${op}: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    commits: () => report.commits,
    async stop() {
      stopped = true;
      await loop;
      return report;
    },
  };
}

// ---------------------------------------------------------------- checks

interface Row {
  id: string;
  version: number;
  status: string;
  eta: number | null;
}

async function databaseRows(sql: Sql, depotId: string): Promise<Row[]> {
  const rows = await sql<{ id: string; version: number; status: string; eta: Date | null }[]>`
    select id, version, status, eta from shipments where depot_id = ${depotId} order by id`;
  return rows.map((r) => ({ id: r.id, version: r.version, status: r.status, eta: r.eta ? r.eta.getTime() : null }));
}

function clientRows(board: DepotBoard): Row[] {
  return board.rows
    .map((s) => ({ id: s.id, version: s.version, status: s.status, eta: s.eta ? Date.parse(s.eta) : null }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function watermarks(sql: Sql, depotIds: string[]): Promise<Map<string, number>> {
  const rows = await sql<
    { depot_id: string; last_seq: string }[]
  >`select depot_id, last_seq from depot_watermarks where depot_id in ${sql(depotIds)}`;
  return new Map(rows.map((r) => [r.depot_id, Number(r.last_seq)]));
}

export interface Convergence {
  /** From the writer's stop to the last client reaching its depot's watermark. */
  ms: number;
  watermarks: Record<string, number>;
  appliedTotal: number;
  receivedTotal: number;
}

/**
 * Waits until every client has applied its depot's last seq, then asserts:
 * state equals the database, each client's applied seqs are exactly
 * initialSeq+1 … watermark (strictly increasing, complete: nothing lost,
 * nothing applied twice).
 */
export async function expectConvergence(sql: Sql, clients: AppClient[], timeout = 30_000): Promise<Convergence> {
  const started = Date.now();
  const depotIds = [...new Set(clients.map((c) => c.depotId))];
  const marks = await watermarks(sql, depotIds);
  await expect
    .poll(
      () =>
        clients
          .filter((c) => c.lastSeq() < marks.get(c.depotId)!)
          .map((c) => `${c.name}@${c.lastSeq()}/${marks.get(c.depotId)}`),
      {
        timeout,
        interval: 50,
      },
    )
    .toEqual([]);
  const ms = Date.now() - started;
  const expected = new Map<string, Row[]>();
  for (const depotId of depotIds) expected.set(depotId, await databaseRows(sql, depotId));
  for (const client of clients) {
    const last = marks.get(client.depotId)!;
    expect(client.lastSeq(), `${client.name} applied past the watermark`).toBe(last);
    const complete = Array.from({ length: last - client.initialSeq }, (_, i) => client.initialSeq + 1 + i);
    expect(client.applied, `${client.name}: applied seqs`).toEqual(complete);
    expect(clientRows(client.board()), `${client.name}: board equals the database`).toEqual(
      expected.get(client.depotId),
    );
  }
  return {
    ms,
    watermarks: Object.fromEntries(marks),
    appliedTotal: clients.reduce((n, c) => n + c.applied.length, 0),
    receivedTotal: clients.reduce((n, c) => n + c.received(), 0),
  };
}

/** Unhandled rejections and uncaught exceptions while a scenario runs ("nothing crashed"). */
export function watchCrashes(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onError = (error: unknown) => errors.push(error);
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
  return {
    errors,
    stop() {
      process.off('unhandledRejection', onError);
      process.off('uncaughtException', onError);
    },
  };
}

/** The gateway answers: REST as a signed-in person, and the realtime health endpoint. */
export async function expectApiAnswers(
  apiUrl: string,
  client: SupabaseClient<Database>,
  depotId: string,
): Promise<void> {
  const health = await fetch(`${apiUrl}/realtime/v1/api/health`);
  expect(health.status).toBe(200);
  const { error } = await client.from('shipments').select('id').eq('depot_id', depotId).limit(1);
  expect(error).toBeNull();
}

export function log(line: string): void {
  console.log(`[chaos] ${line}`);
}

export const randomBetween = (min: number, max: number) => min + Math.random() * (max - min);
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
