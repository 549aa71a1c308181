// Chaos 2: the dev stack's API gateway (and with it Realtime and its
// replication stream) is closed under load and a new one starts on the same
// port. Clients reconnect on their own; changes committed while it was down
// come back through the seq catch-up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@switchboard/devstack';
import { readTestKeys, type StackKeys } from '@switchboard/devstack';
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
  signIn,
  startWriter,
  watchCrashes,
  type AppClient,
  type ChaosDatabase,
  type ChaosDepot,
} from './support';

const DEPOTS = 3;
const CLIENTS_PER_DEPOT = 4;
const RESTARTS = 2;

describe.sequential('chaos: restart the dev stack realtime (supabase)', () => {
  let db: ChaosDatabase;
  let api: RunningApi | null = null;
  let port: number;
  let keys: StackKeys;
  let depots: ChaosDepot[];
  const clients: AppClient[] = [];
  const start = async () => startApi({ dbUrl: db.dbUrl, port, keys, env: process.env, logSink: () => {} });

  beforeAll(async () => {
    db = await createChaosDatabase('rtrestart');
    port = await freePort();
    keys = await readTestKeys();
    api = await start();
    depots = await createDepots(db.sql, 'rtrestart', DEPOTS);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await api?.close();
    await db?.drop();
  });

  it('clients reconnect to the new gateway and converge; changes committed while it was down are caught up, once each', async () => {
    const crashes = watchCrashes();
    const t0 = Date.now();
    for (const depot of depots) {
      for (let i = 0; i < CLIENTS_PER_DEPOT; i++) {
        const supabase = await signIn(api!.url, keys.anonKey, depot.people[i % depot.people.length], true);
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
    const timings: string[] = [];

    for (let round = 1; round <= RESTARTS; round++) {
      await pause(1_500); // load before the outage
      const joinsBefore = clients.map((c) => c.subscribedCount());
      const down = Date.now();
      const commitsBefore = writer.commits();
      await api!.close();
      api = null;
      await pause(1_000); // the outage: the writer keeps committing
      const committedWhileDown = writer.commits() - commitsBefore;
      api = await start();
      const up = Date.now();
      // Every client joins again by itself (supabase-js reconnect + rejoin).
      await expect
        .poll(() => clients.filter((c, i) => c.subscribedCount() <= joinsBefore[i]).map((c) => c.name), {
          timeout: 30_000,
          interval: 50,
        })
        .toEqual([]);
      timings.push(
        `restart ${round}: down ${up - down} ms (${committedWhileDown} commits), all rejoined ${Date.now() - up} ms after the new gateway listened`,
      );
    }
    await pause(1_000); // load after the last restart
    const report = await writer.stop();
    const convergence = await expectConvergence(db.sql, clients);
    crashes.stop();

    expect(report.errors).toEqual([]);
    await expectApiAnswers(api!.url, clients[0].supabase, depots[0].id);
    expect(crashes.errors).toEqual([]);
    log(
      `realtime restart: ${timings.join('; ')}; ${report.commits} commits, ${convergence.appliedTotal} applied / ${convergence.receivedTotal} received live, ` +
        `converged ${convergence.ms} ms after the writer stopped; total ${Date.now() - t0} ms`,
    );
  }, 60_000);
});
