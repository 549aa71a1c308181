// Chaos 4: the outbox relay dies mid-stream (Pusher and Ably, through their
// protocol test servers) and a new one takes over. Killing it between a
// publish and the "delivered" mark re-sends those rows (at-least-once); the
// clients drop the duplicates by seq, apply every change once and converge.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@switchboard/devstack';
import { readTestKeys } from '@switchboard/devstack';
import { freePort } from '@switchboard/devstack';
import { createAblyProvider } from '../../lib/realtime/adapters/ably';
import { ChannelRefusedError, createPusherProvider } from '../../lib/realtime/adapters/pusher';
import { ConnectionStatusStore } from '../../lib/realtime/connection-status';
import { ablyServerConfig } from '../../lib/realtime/server/ably-config';
import { createAblyTokenRequest } from '../../lib/realtime/server/ably-token';
import { authorizePusherChannel } from '../../lib/realtime/server/pusher-auth';
import type { RealtimeProvider } from '../../lib/realtime/types';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '../../lib/database.types';
import { ablyPublisher } from '../../relay/publishers/ably';
import type { Publisher } from '../../relay/publishers/publisher';
import { pusherPublisher } from '../../relay/publishers/pusher';
import { silentLogger } from '../../relay/log';
import { Relay } from '../../relay/relay';
import { startFakeAbly } from '../fakes/ably-server';
import { startFakePusher } from '../fakes/pusher-server';
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

const DEPOTS = 2;
const CLIENTS_PER_DEPOT = 5;
const KILLS = 3;

/** What differs between Pusher and Ably (as in tests/contract/relay-harness). */
interface Kit {
  publisher: Publisher;
  provider(supabase: SupabaseClient<Database>): { provider: RealtimeProvider; close(): void };
  close(): Promise<void>;
}

async function pusherKit(): Promise<Kit> {
  const app = { appId: '4243', key: 'chaos-key', secret: 'chaos-secret' };
  const fake = await startFakePusher(app);
  return {
    publisher: pusherPublisher({ ...app, host: fake.host, port: fake.port, useTLS: false }),
    provider(supabase) {
      const provider = createPusherProvider({
        key: app.key,
        cluster: 'fake',
        host: fake.host,
        port: fake.port,
        status: new ConnectionStatusStore(),
        authorize: async ({ socketId, channelName }) => {
          const result = await authorizePusherChannel(supabase, app, {
            socket_id: socketId,
            channel_name: channelName,
          });
          if (result.status === 200) return result.body;
          throw new ChannelRefusedError(result.body.error);
        },
      });
      return { provider, close: () => provider.disconnect() };
    },
    close: () => fake.close(),
  };
}

async function ablyKit(): Promise<Kit> {
  const apiKey = 'chaosApp.chaosKey:chaos-secret-0123456789';
  const fake = await startFakeAbly({ apiKey });
  const config = ablyServerConfig({
    ABLY_API_KEY: apiKey,
    ABLY_REST_HOST: fake.host,
    ABLY_REST_PORT: String(fake.port),
    ABLY_REST_TLS: 'false',
  });
  return {
    publisher: ablyPublisher({ apiKey, restHost: fake.host, port: fake.port, tls: false }),
    provider(supabase) {
      const provider = createAblyProvider({
        host: fake.host,
        port: fake.port,
        status: new ConnectionStatusStore(),
        fetchTokenRequest: async () => {
          const outcome = await createAblyTokenRequest(supabase, config);
          if (!outcome.ok) throw new Error(outcome.reason);
          return outcome.tokenRequest;
        },
      });
      return { provider, close: () => provider.close() };
    },
    close: () => fake.close(),
  };
}

/** A relay on a pool of its own; kill() is a crash: the pool is destroyed at once, mid-batch. */
function startRelay(dbUrl: string, publisher: Publisher) {
  const sql = postgres(dbUrl, { max: 3, onnotice: () => {} });
  const abort = new AbortController();
  const relay = new Relay({ sql, publisher, logger: silentLogger, pollIntervalMs: 500 });
  let active = false;
  relay.once('active', () => (active = true));
  // A relay whose connection is lost rejects by design; a crash is expected here.
  const run = relay.run(abort.signal).then(
    () => 'stopped',
    (error: unknown) => `crashed: ${(error as Error).message}`,
  );
  return {
    isActive: () => active,
    run,
    /** Crashes without waiting: the rows being published are never marked delivered. */
    crashNow() {
      abort.abort();
      void sql.end({ timeout: 0 });
    },
    async kill() {
      abort.abort();
      await sql.end({ timeout: 0 });
      return run;
    },
  };
}

for (const [name, startKit] of [
  ['pusher', pusherKit],
  ['ably', ablyKit],
] as const) {
  describe.sequential(`chaos: kill the relay mid-stream (${name})`, () => {
    let db: ChaosDatabase;
    let api: RunningApi;
    let kit: Kit;
    let depots: ChaosDepot[];
    const clients: AppClient[] = [];
    let relay: ReturnType<typeof startRelay> | null = null;
    /** Publishes accepted by the provider, per logical channel and seq. */
    const published = new Map<string, number>();

    beforeAll(async () => {
      db = await createChaosDatabase(`relay${name}`);
      api = await startApi({
        dbUrl: db.dbUrl,
        port: await freePort(),
        keys: await readTestKeys(),
        env: process.env,
        logSink: () => {},
      });
      kit = await startKit();
      depots = await createDepots(db.sql, `relay${name}`, DEPOTS);
    }, 60_000);

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await relay?.kill();
      await kit?.close();
      await api?.close();
      await db?.drop();
    });

    it('a new relay takes over; re-sent rows are dropped by seq; every client converges, each change once', async () => {
      const crashes = watchCrashes();
      const t0 = Date.now();
      // Set to crash the relay right after the provider accepted a row, before the relay marks it delivered.
      let crashAfterPublish: (() => void) | null = null;
      // Counts what the provider accepted, to show that re-sends happened.
      const counting: Publisher = {
        name: kit.publisher.name,
        verify: () => kit.publisher.verify(),
        async publish(channel, event, payload) {
          await kit.publisher.publish(channel, event, payload);
          const seq = (payload as { seq?: unknown }).seq;
          if (event === 'changed' && channel.startsWith('shipments:')) {
            const key = `${channel}#${String(seq)}`;
            published.set(key, (published.get(key) ?? 0) + 1);
          }
          const crash = crashAfterPublish;
          crashAfterPublish = null;
          crash?.();
        },
      };
      relay = startRelay(db.dbUrl, counting);
      await expect.poll(() => relay!.isActive(), { timeout: 10_000 }).toBe(true);

      for (const depot of depots) {
        for (let i = 0; i < CLIENTS_PER_DEPOT; i++) {
          const supabase = await signIn(api.url, api.keys.anonKey, depot.people[i % depot.people.length], false);
          const { provider, close } = kit.provider(supabase);
          clients.push(
            await openAppClient({
              name: `c${clients.length}`,
              depotId: depot.id,
              supabase,
              provider,
              closeProvider: close,
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

      const outcomes: string[] = [];
      for (let kill = 1; kill <= KILLS; kill++) {
        await pause(1_000); // load before the kill
        if (kill % 2 === 0) {
          // A standby waits on the lock, then the active one crashes: takeover.
          const standby = startRelay(db.dbUrl, counting);
          const killedAt = Date.now();
          outcomes.push(await relay!.kill());
          relay = standby;
          await expect.poll(() => relay!.isActive(), { timeout: 10_000 }).toBe(true);
          outcomes.push(`standby active after ${Date.now() - killedAt} ms`);
        } else {
          const victim = relay!;
          await new Promise<void>((resolve) => {
            crashAfterPublish = () => {
              victim.crashNow();
              resolve();
            };
          });
          const killedAt = Date.now();
          outcomes.push(await victim.run);
          await pause(300); // the outage: commits pile up in the outbox
          relay = startRelay(db.dbUrl, counting);
          await expect.poll(() => relay!.isActive(), { timeout: 10_000 }).toBe(true);
          outcomes.push(`new relay active after ${Date.now() - killedAt} ms`);
        }
      }
      await pause(1_000); // load after the last kill
      const report = await writer.stop();
      // The relay drains the outbox (it still answers), then every client converges.
      await expect
        .poll(
          async () => Number((await db.sql`select count(*) from realtime_outbox where delivered_at is null`)[0].count),
          { timeout: 20_000, interval: 50 },
        )
        .toBe(0);
      const convergence = await expectConvergence(db.sql, clients);
      crashes.stop();

      expect(report.errors).toEqual([]);
      await expectApiAnswers(api.url, clients[0].supabase, depots[0].id);
      expect(crashes.errors).toEqual([]);
      const resent = [...published.values()].filter((n) => n > 1).length;
      // The crashes after a publish re-send at least those rows: duplicates did reach the clients.
      expect(resent).toBeGreaterThan(0);
      log(
        `relay kill (${name}): ${outcomes.join('; ')}; ${report.commits} commits, ${resent} depot rows published more than once; ` +
          `${convergence.appliedTotal} applied / ${convergence.receivedTotal} received live; converged ${convergence.ms} ms after the outbox drained; total ${Date.now() - t0} ms`,
      );
    }, 60_000);
  });
}
