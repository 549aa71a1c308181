// Chaos 1: client sockets drop at random under load (Supabase provider).
// Every client converges to the database, each change applied once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@switchboard/devstack';
import { readTestKeys } from '@switchboard/devstack';
import { freePort } from '@switchboard/devstack';
import { createSupabaseProvider } from '../../lib/realtime/adapters/supabase';
import {
  allSubscribed,
  createChaosDatabase,
  createDepots,
  expectApiAnswers,
  expectConvergence,
  log,
  openAppClient,
  pause,
  randomBetween,
  signIn,
  startWriter,
  watchCrashes,
  type AppClient,
  type ChaosDatabase,
  type ChaosDepot,
} from './support';

const DEPOTS = 3;
const CLIENTS_PER_DEPOT = 5;
const CHAOS_MS = 8_000;

/** The client-side WebSocket under supabase-js (phoenix Socket.conn). */
function cutClientSocket(client: AppClient): boolean {
  const realtime = client.supabase.realtime as unknown as {
    socketAdapter?: { socket?: { conn?: unknown } };
    conn?: unknown;
  };
  const conn = (realtime.socketAdapter?.socket?.conn ?? realtime.conn) as { terminate?: () => void } | null | undefined;
  if (!conn?.terminate) return false;
  conn.terminate(); // no close frame: like a network cut
  return true;
}

describe.sequential('chaos: random client socket drops (supabase)', () => {
  let db: ChaosDatabase;
  let api: RunningApi;
  let depots: ChaosDepot[];
  const clients: AppClient[] = [];

  beforeAll(async () => {
    db = await createChaosDatabase('drops');
    api = await startApi({
      dbUrl: db.dbUrl,
      port: await freePort(),
      keys: await readTestKeys(),
      env: process.env,
      logSink: () => {},
    });
    depots = await createDepots(db.sql, 'drops', DEPOTS);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await api?.close();
    await db?.drop();
  });

  it('every client converges to the database; no delta applied twice; nothing crashes', async () => {
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
      db.sql,
      depots.map((d) => d.id),
      15,
    );

    let everyone = 0;
    let single = 0;
    const chaosEnd = Date.now() + CHAOS_MS;
    while (Date.now() < chaosEnd) {
      await pause(randomBetween(300, 900)); // pacing of the chaos, not synchronization
      if (Math.random() < 0.3) {
        api.realtime.dropAllConnections();
        everyone++;
      } else {
        const victims = clients.filter(() => Math.random() < 0.3);
        for (const victim of victims) if (cutClientSocket(victim)) single++;
      }
    }
    const report = await writer.stop();
    const convergence = await expectConvergence(db.sql, clients);
    crashes.stop();

    expect(single, 'client sockets were cut').toBeGreaterThan(0);
    expect(everyone, 'server-side drops').toBeGreaterThan(0);
    expect(report.errors).toEqual([]);
    await expectApiAnswers(api.url, clients[0].supabase, depots[0].id);
    expect(crashes.errors).toEqual([]);
    const rejoins = clients.reduce((n, c) => n + c.subscribedCount() - 1, 0);
    log(
      `socket drops: ${everyone} drop-all + ${single} single cuts, ${report.commits} commits (${JSON.stringify(report.byOperation)}), ` +
        `${rejoins} rejoins, ${convergence.appliedTotal} applied / ${convergence.receivedTotal} received live, ` +
        `converged ${convergence.ms} ms after the writer stopped; total ${Date.now() - t0} ms`,
    );
  }, 60_000);
});
