// Chaos 3: Postgres restarts (fast shutdown, same data folder and port). The
// gateway is NOT restarted: its REST/auth pool and its logical replication
// stream must recover by themselves. Under load, clients converge, each change
// applied once. With no load at all, a change committed after the restart but
// before the stream reconnected still reaches the clients live: the stream
// resumes from its persistent slot, and no socket is dropped.
import type { RealtimeChannel } from '@supabase/supabase-js';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@switchboard/devstack';
import { readTestKeys } from '@switchboard/devstack';
import { prepareDatabase } from '@switchboard/devstack';
import { freePort } from '@switchboard/devstack';
import { createSupabaseProvider } from '../../lib/realtime/adapters/supabase';
import {
  allSubscribed,
  createDepots,
  expectApiAnswers,
  expectConvergence,
  log,
  openAppClient,
  pause,
  signIn,
  startRestartablePostgres,
  startWriter,
  watchCrashes,
  type AppClient,
  type ChaosDepot,
  type RestartablePostgres,
} from './support';

const DEPOTS = 2;
const CLIENTS_PER_DEPOT = 5;

describe.sequential('chaos: restart Postgres under load (supabase)', () => {
  let pg: RestartablePostgres;
  let sql: Sql;
  let api: RunningApi;
  let depots: ChaosDepot[];
  const clients: AppClient[] = [];

  beforeAll(async () => {
    pg = await startRestartablePostgres();
    sql = postgres(pg.dbUrl, { max: 4, onnotice: () => {} });
    await prepareDatabase(sql);
    api = await startApi({
      dbUrl: pg.dbUrl,
      port: await freePort(),
      keys: await readTestKeys(),
      env: process.env,
      logSink: () => {},
      persistentSlot: true, // as `npm run stack`: the database's one slot, kept across restarts
    });
    depots = await createDepots(sql, 'pgrestart', DEPOTS);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await api?.close();
    await sql?.end({ timeout: 1 });
    await pg?.destroy();
  });

  it('the gateway recovers by itself after Postgres restarts; clients converge, each change once', async () => {
    const crashes = watchCrashes();
    const t0 = Date.now();
    for (const depot of depots) {
      for (let i = 0; i < CLIENTS_PER_DEPOT; i++) {
        const supabase = await signIn(api.url, api.keys.anonKey, depot.people[i % depot.people.length], true);
        clients.push(
          await openAppClient({
            name: `c${clients.length}`,
            depotId: depot.id,
            supabase,
            provider: createSupabaseProvider(supabase),
          }),
        );
      }
    }
    await allSubscribed(clients);
    const writer = startWriter(
      sql,
      depots.map((d) => d.id),
      15,
    );
    await pause(1_500); // load before the restart

    const down = Date.now();
    await pg.stop();
    const stopped = Date.now();
    await pg.start();
    const up = Date.now();

    // Live delivery resumes without restarting the gateway: a change committed
    // now reaches every client over the socket (the replication stream reconnected).
    const receivedAtRestart = clients.map((c) => c.received());
    await expect
      .poll(() => clients.filter((c, i) => c.received() <= receivedAtRestart[i]).map((c) => c.name), {
        timeout: 20_000,
        interval: 50,
      })
      .toEqual([]);
    const liveAgain = Date.now();
    await pause(1_500); // load after the restart
    const report = await writer.stop();
    const convergence = await expectConvergence(sql, clients);
    crashes.stop();

    await expectApiAnswers(api.url, clients[0].supabase, depots[0].id);
    expect(crashes.errors).toEqual([]);
    // Only failures of the outage itself (connection refused / terminated), nothing else.
    for (const error of report.errors)
      expect(error).toMatch(
        /ECONNREFUSED|ECONNRESET|CONNECTION_|terminat|shutting down|starting up|not yet accepting|write after end/i,
      );
    log(
      `postgres restart: stop ${stopped - down} ms, start ${up - stopped} ms, live delivery back ${liveAgain - up} ms after Postgres accepted connections; ` +
        `${report.commits} commits, ${report.failures} writer failures during the outage (${report.errors.slice(0, 2).join(' | ')}); ` +
        `${convergence.appliedTotal} applied / ${convergence.receivedTotal} received live; backfill errors ${clients.reduce((n, c) => n + c.backfillErrors.length, 0)}; ` +
        `converged ${convergence.ms} ms after the writer stopped; total ${Date.now() - t0} ms`,
    );
  }, 60_000);
});

describe.sequential('chaos: restart Postgres with no later writes (supabase)', () => {
  // The stream waits this long between reconnect attempts, so there is a wide
  // window in which Postgres accepts commits while no one streams from the slot.
  const RETRY_MS = 3000;
  let pg: RestartablePostgres;
  let sql: Sql;
  let api: RunningApi;
  let depot: ChaosDepot;
  let client: AppClient;

  beforeAll(async () => {
    pg = await startRestartablePostgres();
    sql = postgres(pg.dbUrl, { max: 2, onnotice: () => {} });
    await prepareDatabase(sql);
    api = await startApi({
      dbUrl: pg.dbUrl,
      port: await freePort(),
      keys: await readTestKeys(),
      env: { ...process.env, DEVSTACK_REALTIME_REPLICATION_RETRY_MS: String(RETRY_MS) },
      logSink: () => {},
      persistentSlot: true, // as `npm run stack`: the database's one slot, kept across restarts
    });
    [depot] = await createDepots(sql, 'pgquiet', 1);
  }, 60_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    await api?.close();
    await sql?.end({ timeout: 1 });
    await pg?.destroy();
  });

  it('a change committed before the stream reconnected is delivered live, over the same sockets', async () => {
    const supabase = await signIn(api.url, api.keys.anonKey, depot.people[0], true);
    client = await openAppClient({
      name: 'quiet',
      depotId: depot.id,
      supabase,
      provider: createSupabaseProvider(supabase),
    });
    await allSubscribed([client]);
    // Postgres Changes on the same socket, for the same depot.
    const changes: Array<{ eventType: string; new: { reference?: string } }> = [];
    let changesLive!: () => void;
    const changesReady = new Promise<void>((resolve) => (changesLive = resolve));
    supabase
      .channel('quiet-changes')
      .on('system', {}, (m: { extension?: string; status?: string }) => {
        if (m.extension === 'postgres_changes' && m.status === 'ok') changesLive();
      })
      .on(
        'postgres_changes',
        { event: '*', schema: 'public', table: 'shipments', filter: `depot_id=eq.${depot.id}` },
        (p) => changes.push(p as never),
      )
      .subscribe();
    await changesReady;
    const sockets = api.realtime.connectionCount();
    const received = client.received();
    const joins = client.subscribedCount();

    await pg.stop();
    await pg.start();

    // A channel that waits for the stream (broadcast.replication_ready), joined while it is away.
    const system: Array<{ message: string; streamingThen: boolean }> = [];
    const ready: RealtimeChannel = supabase
      .channel('quiet-ready', { config: { broadcast: { replication_ready: true } } })
      .on('system', {}, (m: { extension?: string; message: string }) => {
        if (m.extension === 'system') system.push({ message: m.message, streamingThen: api.realtime.streaming() });
      });
    ready.subscribe();

    // The one and only write after the restart, committed while nobody streams from the slot.
    const reference = `QUIET-${Date.now().toString(36).toUpperCase()}`;
    const slotActiveAtCommit = await sql.begin(async (tx) => {
      await tx`insert into shipments (depot_id, reference, recipient, address) values (${depot.id}, ${reference}, 'R', 'A')`;
      const [slot] =
        await tx`select bool_or(active) as active from pg_replication_slots where slot_name like 'devstack_realtime_%'`;
      return slot.active as boolean;
    });
    expect(slotActiveAtCommit).toBe(false);

    // Delivered live: the app's depot channel (Broadcast from Database) and Postgres Changes.
    await expect.poll(() => client.received(), { timeout: 20_000, interval: 50 }).toBe(received + 1);
    await expect
      .poll(() => changes.filter((c) => c.new.reference === reference).map((c) => c.eventType), { timeout: 10_000 })
      .toEqual(['INSERT']);
    const [{ last_seq }] = await sql`select last_seq from depot_watermarks where depot_id = ${depot.id}`;
    expect(client.lastSeq()).toBe(Number(last_seq));
    // Not by a catch-up after a reconnect: the sockets were never dropped and nobody rejoined.
    expect(api.realtime.connectionCount()).toBe(sockets);
    expect(client.subscribedCount()).toBe(joins);
    expect(client.backfillErrors).toEqual([]);
    // replication_ready came once the stream was back, not before.
    await expect
      .poll(() => system.map((m) => m.message), { timeout: 10_000 })
      .toEqual(['Replication connection established']);
    expect(system[0].streamingThen).toBe(true);
    log(
      `postgres restart with no later writes: delivered live ${client.received() - received} change(s), ${sockets} socket(s) kept`,
    );
  }, 60_000);
});
