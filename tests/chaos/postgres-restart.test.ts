// Chaos 3: Postgres restarts under load (fast shutdown, same data folder and
// port). The gateway is NOT restarted: its REST/auth pool and its logical
// replication stream must recover by themselves; clients converge, each
// change applied once.
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
