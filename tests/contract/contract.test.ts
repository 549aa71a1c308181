// One contract for every realtime provider: the same tests through the same
// app code (lib/realtime adapters, lib/live's SeqFeed), green for Supabase (dev
// stack) and for each other provider (protocol test server + the outbox relay),
// and for two live tables: shipments and a throw-away table made live with
// live.publish's default rule, so nothing in the pipeline is shipment-specific.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatchUpPoller, type DegradedPolicy } from '../../lib/live/catch-up-poller';
import { connectionStatus, type ConnectionState } from '../../lib/realtime/connection-status';
import type { ChannelSubscription, PresenceState } from '../../lib/realtime/types';
import { liveChangeSchema, type LiveChange, type VersionedRow } from '../../lib/live/schema';
import { SeqFeed } from '../../lib/live/seq-feed';
import type { Sql } from 'postgres';
import { z } from 'zod';
import {
  createThrowawayLiveTable,
  createWorld,
  shipmentsSubject,
  type ContractPerson,
  type ContractWorld,
  type LiveSubject,
} from './fixtures';
import type { ContractClient } from './harness';
import { harnesses } from './providers';

/** A promise resolved by `check()` once `predicate` holds: waiting on events, not on time. */
function when(predicate: () => boolean): { done: Promise<void>; check: () => void } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { done, check: () => predicate() && resolve() };
}

function within<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

type Change = LiveChange<VersionedRow>;
const anyRow = z.looseObject({ version: z.number().int().positive() });
const changeOf = (table: string) => liveChangeSchema(table, anyRow);

/** Subscribes to a live table's scope topic, collecting parsed changes. */
function collectChanges(client: ContractClient, table: string, depotId: string) {
  const received: Change[] = [];
  const subscribed = when(() => true);
  const schema = changeOf(table);
  const sub = client.provider.subscribe(`${table}:${depotId}`, {
    events: {
      changed: (payload) => {
        received.push(schema.parse(payload));
      },
    },
    onSubscribed: subscribed.check,
  });
  return { received, sub, subscribed: subscribed.done };
}

/** Degraded mode's rules with test-sized times (the app's: 10 s bound, 5–30 s interval). */
const FAST_DEGRADE: DegradedPolicy = {
  notLiveForMs: 1_000,
  dropsToDegrade: 3,
  dropWindowMs: 60_000,
  baseIntervalMs: 300,
  backoffFactor: 1.5,
  maxIntervalMs: 1_000,
};

for (const harness of harnesses()) {
  describe.sequential(`realtime contract: ${harness.name}`, () => {
    let world: ContractWorld;
    let sql: Sql;
    const clients: ContractClient[] = [];
    const open = async (person: ContractPerson) => {
      const client = await harness.client(person);
      clients.push(client);
      return client;
    };

    let throwaway: LiveSubject;
    beforeAll(async () => {
      sql = await harness.start();
      world = await createWorld(sql, harness.name);
      throwaway = await createThrowawayLiveTable(sql);
    }, 60_000);

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await harness.stop();
    });

    for (const kind of ['shipments', 'a throw-away live table'] as const) {
      describe.sequential(kind, () => {
        const subject = () => (kind === 'shipments' ? shipmentsSubject : throwaway);
        // Each table starts with no tabs of the other one left open (fewer sockets to reconnect at once).
        afterAll(async () => {
          await Promise.all(clients.splice(0).map((c) => c.close()));
        });

        it('delivers changes published server-side in order; unsubscribing stops delivery', async () => {
          const a = collectChanges(await open(world.dispatcher), subject().table, world.depotId);
          const b = collectChanges(await open(world.colleague), subject().table, world.depotId);
          await within(Promise.all([a.subscribed, b.subscribed]), 'subscriptions');
          await subject().commit(sql, world.depotId, 5);
          await harness.flush();
          await expect.poll(() => a.received.length, { timeout: 20_000 }).toBe(5);
          const seqs = a.received.map((c) => c.seq);
          expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
          expect(new Set(seqs).size).toBe(5);

          a.sub.unsubscribe();
          await subject().commit(sql, world.depotId, 1);
          await harness.flush();
          // The witness got the sixth change, so it went out; the unsubscribed tab must not have.
          await expect.poll(() => b.received.length, { timeout: 20_000 }).toBe(6);
          expect(a.received).toHaveLength(5);
          b.sub.unsubscribe();
        });

        it('refuses a channel the person may not use, and the authorization says 403', async () => {
          const client = await open(world.dispatcher);
          let sub: ChannelSubscription | undefined;
          const refused = new Promise<string>((resolve) => {
            sub = client.provider.subscribe(`${subject().table}:${world.otherDepotId}`, {
              events: {},
              onRefused: resolve,
            });
          });
          expect(await within(refused, 'the refusal')).toMatch(/\S/);
          // Leave the refused channel: supabase-js would otherwise retry the join for
          // the rest of the file (after 1, 2, 5, then every 10 s), and each refusal
          // sets the process-wide connection status back to "reconnecting".
          sub?.unsubscribe();
          expect(await harness.authorize(world.dispatcher, `${subject().table}:${world.otherDepotId}`)).toBe(403);
          for (const member of subject().refusedMembers(world))
            expect(await harness.authorize(member, `${subject().table}:${world.depotId}`)).toBe(403);
          expect(await harness.authorize(world.dispatcher, `${subject().table}:${world.depotId}`)).toBe(200);
          if (subject().refusedMembers(world).length === 0)
            // The default rule: whoever can see the depot row, drivers included.
            expect(await harness.authorize(world.driver, `${subject().table}:${world.depotId}`)).toBe(200);
        });

        it('after the server drops the socket: reconnecting, then connected, and the gap is filled from the record, each change once', async () => {
          const client = await open(world.dispatcher);
          const states: ConnectionState[] = [];
          const stopWatching = connectionStatus.subscribe(() => states.push(connectionStatus.getSnapshot().state));
          const [{ last_seq }] = await sql<
            { last_seq: string }[]
          >`select coalesce((select last_seq from live.watermarks where table_name = ${subject().table} and scope = ${world.depotId}), 0) as last_seq`;
          const start = Number(last_seq);
          const applied: number[] = [];
          const feed = new SeqFeed<Change>({
            initialSeq: start,
            apply: (changes) => applied.push(...changes.map((c) => c.seq)),
            backfill: async (after) =>
              (await client.changesAfter(subject().table, world.depotId, after)).map((c) => ({
                seq: c.seq,
                scope: world.depotId,
                id: c.id,
                version: c.version,
                operation: 'UPDATE' as const,
                changed: [],
                record: null,
              })),
          });
          const subscribed = when(() => true);
          const sub = client.provider.subscribe(`${subject().table}:${world.depotId}`, {
            events: { changed: (p) => feed.receive(changeOf(subject().table).parse(p)) },
            onSubscribed: () => {
              subscribed.check();
              void feed.catchUp();
            },
          });
          await within(subscribed.done, 'subscription');
          await subject().commit(sql, world.depotId, 2);
          await harness.flush();
          await expect.poll(() => applied.length, { timeout: 20_000 }).toBe(2);

          states.length = 0;
          harness.dropConnections();
          // Committed while the socket is down: only the record can bring these back.
          await subject().commit(sql, world.depotId, 3);
          await harness.flush();
          // Measured in a busy vitest run next to npm run dev: connected again 0.3-1.3 s after
          // the drop, the gap filled 0-0.1 s later. These waits fit in the test's 30 s, so a
          // failure names the step that did not happen.
          await expect.poll(() => states.includes('reconnecting'), { timeout: 5_000 }).toBe(true);
          await expect.poll(() => connectionStatus.getSnapshot().state, { timeout: 10_000 }).toBe('connected');
          await expect.poll(() => applied.length, { timeout: 10_000 }).toBe(5);
          expect(applied).toEqual(Array.from({ length: 5 }, (_, i) => start + 1 + i));
          stopWatching();
          feed.close();
          sub.unsubscribe();
        });

        it('a StrictMode-style double mount leaves one live subscription and one delivery per message', async () => {
          const client = await open(world.dispatcher);
          const witness = collectChanges(await open(world.colleague), subject().table, world.depotId);
          const got: Change[] = [];
          const first = client.provider.subscribe(`${subject().table}:${world.depotId}`, {
            events: { changed: (p) => got.push(changeOf(subject().table).parse(p)) },
          });
          first.unsubscribe();
          const subscribed = when(() => true);
          const second = client.provider.subscribe(`${subject().table}:${world.depotId}`, {
            events: { changed: (p) => got.push(changeOf(subject().table).parse(p)) },
            onSubscribed: subscribed.check,
          });
          await within(Promise.all([subscribed.done, witness.subscribed]), 'subscriptions');
          expect(client.openChannels()).toBe(1);
          const before = witness.received.length;
          await subject().commit(sql, world.depotId, 1);
          await harness.flush();
          await expect.poll(() => witness.received.length, { timeout: 20_000 }).toBe(before + 1);
          await expect.poll(() => got.length, { timeout: 20_000 }).toBe(1);
          expect(got.map((c) => c.seq)).toEqual([witness.received[before].seq]);
          second.unsubscribe();
          witness.sub.unsubscribe();
        });
      });
    }

    it('presence: members join, update and leave', async () => {
      const channel = `depot:${world.depotId}:live`;
      let seen: PresenceState = {};
      const dispatcherTab = await open(world.dispatcher);
      const driverTab = await open(world.driver);
      const dispatcherSub: ChannelSubscription = dispatcherTab.provider.subscribe(channel, {
        events: {},
        presence: { key: world.dispatcher.id, onSync: (state) => (seen = state) },
        onSubscribed: () => dispatcherSub.track({ user_id: world.dispatcher.id, viewing: null }),
      });
      const driverSub: ChannelSubscription = driverTab.provider.subscribe(channel, {
        events: {},
        presence: { key: world.driver.id, onSync: () => {} },
        onSubscribed: () => driverSub.track({ user_id: world.driver.id, viewing: null }),
      });
      await expect
        .poll(() => Object.keys(seen).sort(), { timeout: 20_000 })
        .toEqual([world.dispatcher.id, world.driver.id].sort());
      driverSub.track({ user_id: world.driver.id, viewing: 'shipment-42' });
      await expect
        .poll(() => seen[world.driver.id]?.some((m) => m.viewing === 'shipment-42'), { timeout: 20_000 })
        .toBe(true);
      driverSub.unsubscribe();
      await expect.poll(() => Object.keys(seen), { timeout: 20_000 }).toEqual([world.dispatcher.id]);
      dispatcherSub.unsubscribe();
    });

    it('degraded mode: with WebSockets blocked the feed polls the record, each change once, and goes live again when they are allowed', async () => {
      const table = shipmentsSubject.table;
      const client = await open(world.dispatcher);
      const [{ last_seq }] = await sql<{ last_seq: string }[]>`
        select coalesce((select last_seq from live.watermarks where table_name = ${table} and scope = ${world.depotId}), 0) as last_seq`;
      const start = Number(last_seq);
      const applied: { seq: number; live: boolean }[] = [];
      const feed = new SeqFeed<Change>({
        initialSeq: start,
        apply: (changes) =>
          applied.push(
            ...changes.map((c) => ({ seq: c.seq, live: connectionStatus.getSnapshot().state === 'connected' })),
          ),
        backfill: async (after) =>
          (await client.changesAfter(table, world.depotId, after)).map((c) => ({
            seq: c.seq,
            scope: world.depotId,
            id: c.id,
            version: c.version,
            operation: 'UPDATE' as const,
            changed: [],
            record: null,
          })),
      });
      const subscribed = when(() => true);
      const sub = client.provider.subscribe(`${table}:${world.depotId}`, {
        events: { changed: (p) => feed.receive(changeOf(table).parse(p)) },
        onSubscribed: () => {
          subscribed.check();
          void feed.catchUp();
        },
      });
      // What useLiveFeed does: the same feed's catch-up on the tab's polling clock.
      const poller = new CatchUpPoller(connectionStatus, FAST_DEGRADE);
      const unregister = poller.register(async () => {
        const before = feed.lastSeq;
        await feed.catchUp();
        return feed.lastSeq - before;
      });
      try {
        await within(subscribed.done, 'subscription');
        await expect.poll(() => connectionStatus.getSnapshot().state, { timeout: 20_000 }).toBe('connected');
        await shipmentsSubject.commit(sql, world.depotId, 1);
        await harness.flush();
        await expect.poll(() => applied.length, { timeout: 20_000 }).toBe(1);
        expect(poller.degraded).toBe(false);

        harness.blockConnections(true);
        await expect.poll(() => poller.degraded, { timeout: 20_000 }).toBe(true);
        expect(connectionStatus.getSnapshot()).toMatchObject({ polling: { intervalMs: expect.any(Number) } });
        expect(connectionStatus.getSnapshot().state).not.toBe('connected');
        // Committed while no socket can open: only the polling clock can bring these.
        await shipmentsSubject.commit(sql, world.depotId, 3);
        await harness.flush();
        await expect.poll(() => applied.length, { timeout: 20_000 }).toBe(4);
        expect(applied.slice(1).every((a) => !a.live)).toBe(true);

        harness.blockConnections(false);
        await expect.poll(() => connectionStatus.getSnapshot().state, { timeout: 60_000 }).toBe('connected');
        expect(poller.degraded).toBe(false);
        expect(connectionStatus.getSnapshot().polling).toBeNull();
        await shipmentsSubject.commit(sql, world.depotId, 1);
        await harness.flush();
        await expect.poll(() => applied.length, { timeout: 20_000 }).toBe(5);
        expect(applied[4].live).toBe(true);
        // The same seq feed on both paths: every change once, in order.
        expect(applied.map((a) => a.seq)).toEqual(Array.from({ length: 5 }, (_, i) => start + 1 + i));
      } finally {
        harness.blockConnections(false);
        unregister();
        feed.close();
        sub.unsubscribe();
      }
    }, 120_000);
  });
}
