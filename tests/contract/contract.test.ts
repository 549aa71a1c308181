// One contract for every realtime provider: the same tests through the same
// app code (lib/realtime adapters, SeqFeed), green for Supabase (dev stack) and
// for each other provider whose harness is available (protocol test server +
// the outbox relay).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionStatus, type ConnectionState } from '../../lib/realtime/connection-status';
import type { ChannelSubscription, PresenceState } from '../../lib/realtime/types';
import { shipmentChangeSchema, type ShipmentChange } from '../../lib/shipments/schema';
import { SeqFeed } from '../../lib/shipments/seq-feed';
import type { Sql } from 'postgres';
import { commitChanges, createWorld, type ContractPerson, type ContractWorld } from './fixtures';
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

/** Subscribes to a depot's change channel, collecting parsed changes. */
function collectChanges(client: ContractClient, depotId: string) {
  const received: ShipmentChange[] = [];
  const subscribed = when(() => true);
  const sub = client.provider.subscribe(`depot:${depotId}`, {
    events: {
      shipment_changed: (payload) => {
        received.push(shipmentChangeSchema.parse(payload));
      },
    },
    onSubscribed: subscribed.check,
  });
  return { received, sub, subscribed: subscribed.done };
}

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

    beforeAll(async () => {
      sql = await harness.start();
      world = await createWorld(sql, harness.name);
    }, 60_000);

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await harness.stop();
    });

    it('delivers changes published server-side in order; unsubscribing stops delivery', async () => {
      const a = collectChanges(await open(world.dispatcher), world.depotId);
      const b = collectChanges(await open(world.colleague), world.depotId);
      await within(Promise.all([a.subscribed, b.subscribed]), 'subscriptions');
      await commitChanges(sql, world.depotId, 5);
      await harness.flush();
      await expect.poll(() => a.received.length, { timeout: 20_000 }).toBe(5);
      const seqs = a.received.map((c) => c.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(5);

      a.sub.unsubscribe();
      await commitChanges(sql, world.depotId, 1);
      await harness.flush();
      // The witness got the sixth change, so it went out; the unsubscribed tab must not have.
      await expect.poll(() => b.received.length, { timeout: 20_000 }).toBe(6);
      expect(a.received).toHaveLength(5);
      b.sub.unsubscribe();
    });

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

    it('refuses a channel the person may not use, and the authorization says 403', async () => {
      const client = await open(world.dispatcher);
      const refused = new Promise<string>((resolve) => {
        client.provider.subscribe(`depot:${world.otherDepotId}`, { events: {}, onRefused: resolve });
      });
      expect(await within(refused, 'the refusal')).toMatch(/\S/);
      expect(await harness.authorize(world.dispatcher, `depot:${world.otherDepotId}`)).toBe(403);
      expect(await harness.authorize(world.driver, `depot:${world.depotId}`)).toBe(403);
      expect(await harness.authorize(world.dispatcher, `depot:${world.depotId}`)).toBe(200);
    });

    it('after the server drops the socket: reconnecting, then connected, and the gap is filled from the record, each change once', async () => {
      const client = await open(world.dispatcher);
      const states: ConnectionState[] = [];
      const stopWatching = connectionStatus.subscribe(() => states.push(connectionStatus.getSnapshot().state));
      const [{ last_seq }] = await sql<
        { last_seq: string }[]
      >`select last_seq from depot_watermarks where depot_id = ${world.depotId}`;
      const start = Number(last_seq);
      const applied: number[] = [];
      const feed = new SeqFeed({
        initialSeq: start,
        apply: (changes) => applied.push(...changes.map((c) => c.seq)),
        backfill: async (after) =>
          (await client.changesAfter(world.depotId, after)).map((c) => ({
            seq: c.seq,
            depot_id: world.depotId,
            id: c.id,
            version: c.version,
            operation: 'UPDATE' as const,
            changed: [],
            record: null,
          })),
      });
      const subscribed = when(() => true);
      const sub = client.provider.subscribe(`depot:${world.depotId}`, {
        events: { shipment_changed: (p) => feed.receive(shipmentChangeSchema.parse(p)) },
        onSubscribed: () => {
          subscribed.check();
          void feed.catchUp();
        },
      });
      await within(subscribed.done, 'subscription');
      await commitChanges(sql, world.depotId, 2);
      await harness.flush();
      await expect.poll(() => applied.length, { timeout: 20_000 }).toBe(2);

      states.length = 0;
      harness.dropConnections();
      // Committed while the socket is down: only the record can bring these back.
      await commitChanges(sql, world.depotId, 3);
      await harness.flush();
      await expect.poll(() => states.includes('reconnecting'), { timeout: 20_000 }).toBe(true);
      await expect.poll(() => connectionStatus.getSnapshot().state, { timeout: 40_000 }).toBe('connected');
      await expect.poll(() => applied.length, { timeout: 30_000 }).toBe(5);
      expect(applied).toEqual(Array.from({ length: 5 }, (_, i) => start + 1 + i));
      stopWatching();
      feed.close();
      sub.unsubscribe();
    });

    it('a StrictMode-style double mount leaves one live subscription and one delivery per message', async () => {
      const client = await open(world.dispatcher);
      const witness = collectChanges(await open(world.colleague), world.depotId);
      const got: ShipmentChange[] = [];
      const first = client.provider.subscribe(`depot:${world.depotId}`, {
        events: { shipment_changed: (p) => got.push(shipmentChangeSchema.parse(p)) },
      });
      first.unsubscribe();
      const subscribed = when(() => true);
      const second = client.provider.subscribe(`depot:${world.depotId}`, {
        events: { shipment_changed: (p) => got.push(shipmentChangeSchema.parse(p)) },
        onSubscribed: subscribed.check,
      });
      await within(Promise.all([subscribed.done, witness.subscribed]), 'subscriptions');
      expect(client.openChannels()).toBe(1);
      const before = witness.received.length;
      await commitChanges(sql, world.depotId, 1);
      await harness.flush();
      await expect.poll(() => witness.received.length, { timeout: 20_000 }).toBe(before + 1);
      await expect.poll(() => got.length, { timeout: 20_000 }).toBe(1);
      expect(got.map((c) => c.seq)).toEqual([witness.received[before].seq]);
      second.unsubscribe();
      witness.sub.unsubscribe();
    });
  });
}
