// The fake Pusher server, driven by the official clients (pusher-js, the
// `pusher` Node SDK) and by raw frames where a client would never misbehave.
import { createHmac } from 'node:crypto';
import type { PresenceChannel } from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Inbox } from '@switchboard/devstack/testing';
import {
  APP,
  connected,
  disconnectClients,
  pusherClient,
  rawSocket,
  serverSdk,
  signingHandler,
  until,
  type Frame,
} from './pusher/test-clients';
import { LIMITS, startFakePusher, type FakePusher } from './pusher-server';

let fake: FakePusher;
beforeAll(async () => {
  fake = await startFakePusher(APP);
});
afterEach(() => disconnectClients());
afterAll(() => fake.close());

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;
const sign = (message: string) => createHmac('sha256', APP.secret).update(message).digest('hex');

interface Received {
  event: string;
  data: unknown;
}

/** Records every event a pusher-js channel emits. */
function record(channel: { bind_global(cb: (event: string, data: unknown) => void): unknown }): Inbox<Received> {
  const inbox = new Inbox<Received>();
  channel.bind_global((event: string, data: unknown) => inbox.push({ event, data }));
  return inbox;
}

describe('connection', () => {
  it('sends connection_established with a socket id and activity timeout', async () => {
    const raw = await rawSocket(fake);
    const established = await raw.frames.next((f) => f.event === 'pusher:connection_established');
    expect(established.data).toEqual({ socket_id: expect.stringMatching(/^\d+\.\d+$/), activity_timeout: 120 });
    raw.ws.close();
  });

  it('connects pusher-js', async () => {
    const client = pusherClient(fake);
    expect(await connected(client)).toMatch(/^\d+\.\d+$/);
  });

  it('closes an unknown app key with 4001, which pusher-js treats as refused', async () => {
    const raw = await rawSocket(fake, '/app/nope?protocol=7');
    expect(await raw.closed).toEqual({ code: 4001, reason: expect.stringContaining('nope') });

    const client = pusherClient(fake, undefined, 'nope');
    const error = await new Promise<unknown>((resolve) => client.connection.bind('error', resolve));
    expect(error).toMatchObject({ error: { data: { code: 4001 } } });
    await until(() => client.connection.state === 'disconnected', 'pusher-js to give up');
  });

  it('closes a socket without a protocol version with 4008', async () => {
    const raw = await rawSocket(fake, `/app/${APP.key}`);
    expect((await raw.closed).code).toBe(4008);
  });

  it('answers pusher:ping with pusher:pong', async () => {
    const raw = await rawSocket(fake);
    await raw.socketId();
    raw.send({ event: 'pusher:ping', data: {} });
    await raw.frames.next((f) => f.event === 'pusher:pong');
    raw.ws.close();
  });

  it('answers malformed frames with pusher:error and keeps the socket open', async () => {
    const raw = await rawSocket(fake);
    await raw.socketId();
    raw.send('{not json');
    expect((await raw.frames.next((f) => f.event === 'pusher:error')).data).toMatchObject({
      message: expect.stringContaining('Invalid JSON'),
    });
    raw.send({ data: 'no event name' });
    await raw.frames.count(2, (f) => f.event === 'pusher:error');
    raw.send({ event: 'pusher:subscribe', data: { channel: 'bad channel name!' } });
    await raw.frames.count(3, (f) => f.event === 'pusher:error');
    raw.send({ event: 'pusher:ping', data: {} });
    await raw.frames.next((f) => f.event === 'pusher:pong');
    expect(raw.ws.readyState).toBe(raw.ws.OPEN);
    raw.ws.close();
  });
});

describe('subscriptions', () => {
  it('subscribes to public channels without auth', async () => {
    const client = pusherClient(fake);
    const channel = client.subscribe(unique('public'));
    await record(channel).next((e) => e.event === 'pusher:subscription_succeeded');
  });

  it('subscribes to a private channel with a valid signature', async () => {
    const client = pusherClient(fake, signingHandler(serverSdk(fake)));
    const channel = client.subscribe(unique('private-ok'));
    await record(channel).next((e) => e.event === 'pusher:subscription_succeeded');
  });

  it('refuses a private channel signed with the wrong secret', async () => {
    const client = pusherClient(fake, signingHandler(serverSdk(fake, 'wrong-secret')));
    const channel = client.subscribe(unique('private-bad'));
    const error = await record(channel).next((e) => e.event === 'pusher:subscription_error');
    expect(error.data).toMatchObject({
      type: 'AuthError',
      status: 401,
      error: expect.stringContaining('Invalid signature'),
    });
  });

  it('refuses a signature made for another socket or channel', async () => {
    const raw = await rawSocket(fake);
    const socketId = await raw.socketId();
    raw.send({
      event: 'pusher:subscribe',
      data: { channel: 'private-a', auth: `${APP.key}:${sign(`${socketId}:private-b`)}` },
    });
    raw.send({
      event: 'pusher:subscribe',
      data: { channel: 'private-c', auth: `${APP.key}:${sign(`1.2:private-c`)}` },
    });
    raw.send({
      event: 'pusher:subscribe',
      data: { channel: 'private-d', auth: `other-key:${sign(`${socketId}:private-d`)}` },
    });
    raw.send({ event: 'pusher:subscribe', data: { channel: 'private-e' } });
    const errors = await raw.frames.count(4, (f) => f.event === 'pusher:subscription_error');
    expect(errors.map((f) => f.channel).sort()).toEqual(['private-a', 'private-c', 'private-d', 'private-e']);
    raw.send({
      event: 'pusher:subscribe',
      data: { channel: 'private-a', auth: `${APP.key}:${sign(`${socketId}:private-a`)}` },
    });
    await raw.frames.next((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === 'private-a');
    raw.ws.close();
  });

  it('verifies presence signatures over the exact channel_data string', async () => {
    const raw = await rawSocket(fake);
    const socketId = await raw.socketId();
    const channel = unique('presence-exact');
    const signed = JSON.stringify({ user_id: 'u1', user_info: { name: 'Ann' } });
    const tampered = JSON.stringify({ user_id: 'u2', user_info: { name: 'Ann' } });
    raw.send({
      event: 'pusher:subscribe',
      data: { channel, auth: `${APP.key}:${sign(`${socketId}:${channel}:${signed}`)}`, channel_data: tampered },
    });
    await raw.frames.next((f) => f.event === 'pusher:subscription_error' && f.channel === channel);
    // Same JSON, different spacing: a different string, so a different signature.
    raw.send({
      event: 'pusher:subscribe',
      data: {
        channel,
        auth: `${APP.key}:${sign(`${socketId}:${channel}:${signed}`)}`,
        channel_data: JSON.stringify(JSON.parse(signed), null, 1),
      },
    });
    await raw.frames.count(2, (f) => f.event === 'pusher:subscription_error' && f.channel === channel);
    raw.send({
      event: 'pusher:subscribe',
      data: { channel, auth: `${APP.key}:${sign(`${socketId}:${channel}:${signed}`)}`, channel_data: signed },
    });
    const ok = await raw.frames.next(
      (f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel,
    );
    expect(ok.data).toEqual({ presence: { ids: ['u1'], hash: { u1: { name: 'Ann' } }, count: 1 } });
    raw.ws.close();
  });

  it('stops delivery after pusher:unsubscribe', async () => {
    const sdk = serverSdk(fake);
    const channelName = unique('private-unsub');
    const client = pusherClient(fake, signingHandler(sdk));
    const channel = client.subscribe(channelName);
    const inbox = record(channel);
    await inbox.next((e) => e.event === 'pusher:subscription_succeeded');
    client.unsubscribe(channelName);
    await until(() => fake.occupancy()[channelName] === undefined, 'the server to drop the subscription');
    await sdk.trigger(channelName, 'after', { n: 1 });
    // A second subscriber proves the event went out; the first never sees it.
    const other = pusherClient(fake, signingHandler(sdk));
    const otherInbox = record(other.subscribe(channelName));
    await otherInbox.next((e) => e.event === 'pusher:subscription_succeeded');
    await sdk.trigger(channelName, 'after', { n: 2 });
    await otherInbox.next((e) => e.event === 'after');
    expect(inbox.items.filter((e) => e.event === 'after')).toEqual([]);
  });
});

describe('presence', () => {
  it('counts a user with several sockets once, and removes them when the last socket leaves', async () => {
    const sdk = serverSdk(fake);
    const channelName = unique('presence-multi');
    const watcher = pusherClient(fake, signingHandler(sdk, { user_id: 'watcher', user_info: { name: 'W' } }));
    const watcherChannel = watcher.subscribe(channelName) as PresenceChannel;
    const events = record(watcherChannel);
    await events.next((e) => e.event === 'pusher:subscription_succeeded');

    const tab1 = pusherClient(fake, signingHandler(sdk, { user_id: 'ann', user_info: { name: 'Ann' } }));
    const tab2 = pusherClient(fake, signingHandler(sdk, { user_id: 'ann', user_info: { name: 'Ann' } }));
    await record(tab1.subscribe(channelName)).next((e) => e.event === 'pusher:subscription_succeeded');
    const tab2Events = record(tab2.subscribe(channelName));
    const tab2Joined = await tab2Events.next((e) => e.event === 'pusher:subscription_succeeded');
    expect((tab2Joined.data as { count: number }).count).toBe(2);
    expect(watcherChannel.members.count).toBe(2);

    // Marker events order the stream: anything sent before them has arrived.
    await sdk.trigger(channelName, 'marker', { n: 1 });
    await events.next((e) => e.event === 'marker');
    expect(events.items.filter((e) => e.event === 'pusher:member_added')).toHaveLength(1);

    tab1.disconnect();
    await until(() => fake.occupancy()[channelName] === 2, 'the first tab to leave');
    await sdk.trigger(channelName, 'marker', { n: 2 });
    await events.count(2, (e) => e.event === 'marker');
    expect(events.items.filter((e) => e.event === 'pusher:member_removed')).toEqual([]);

    tab2.unsubscribe(channelName);
    const removed = await events.next((e) => e.event === 'pusher:member_removed');
    expect(removed.data).toEqual({ id: 'ann', info: { name: 'Ann' } });
    expect(watcherChannel.members.count).toBe(1);
  });

  it(`refuses member ${LIMITS.presenceMembers + 1} of a presence channel`, async () => {
    const channel = unique('presence-full');
    const sockets = await Promise.all(Array.from({ length: LIMITS.presenceMembers + 1 }, () => rawSocket(fake)));
    const subscribe = async (raw: (typeof sockets)[number], userId: string) => {
      const socketId = await raw.socketId();
      const channelData = JSON.stringify({ user_id: userId });
      raw.send({
        event: 'pusher:subscribe',
        data: {
          channel,
          auth: `${APP.key}:${sign(`${socketId}:${channel}:${channelData}`)}`,
          channel_data: channelData,
        },
      });
      return raw.frames.next(
        (f) =>
          f.channel === channel &&
          (f.event === 'pusher_internal:subscription_succeeded' || f.event === 'pusher:subscription_error'),
      );
    };
    for (let i = 0; i < LIMITS.presenceMembers; i++) {
      expect((await subscribe(sockets[i], `user-${i}`)).event).toBe('pusher_internal:subscription_succeeded');
    }
    const last = await subscribe(sockets[LIMITS.presenceMembers], 'one-too-many');
    expect(last).toMatchObject({ event: 'pusher:subscription_error', data: { status: 403 } });
    // An existing member's second socket still fits.
    const again = await rawSocket(fake);
    expect((await subscribe(again, 'user-0')).event).toBe('pusher_internal:subscription_succeeded');
    for (const raw of [...sockets, again]) raw.ws.close();
  });
});

describe('client events', () => {
  it('reach other subscribers with user_id on presence channels, never the sender', async () => {
    const sdk = serverSdk(fake);
    const channelName = unique('presence-client');
    const ann = pusherClient(fake, signingHandler(sdk, { user_id: 'ann' }));
    const bob = pusherClient(fake, signingHandler(sdk, { user_id: 'bob' }));
    const annChannel = ann.subscribe(channelName);
    const annEvents = record(annChannel);
    const bobEvents = new Inbox<{ event: string; data: unknown; userId?: string }>();
    const bobChannel = bob.subscribe(channelName);
    bobChannel.bind('pusher:subscription_succeeded', () =>
      bobEvents.push({ event: 'pusher:subscription_succeeded', data: null }),
    );
    // Metadata (user_id) reaches callbacks bound by name, not global ones.
    bobChannel.bind('client-wave', (data: unknown, meta?: { user_id?: string }) =>
      bobEvents.push({ event: 'client-wave', data, userId: meta?.user_id }),
    );
    await annEvents.next((e) => e.event === 'pusher:subscription_succeeded');
    await bobEvents.next((e) => e.event === 'pusher:subscription_succeeded');

    expect(annChannel.trigger('client-wave', { hello: 1 })).toBe(true);
    expect(await bobEvents.next((e) => e.event === 'client-wave')).toEqual({
      event: 'client-wave',
      data: { hello: 1 },
      userId: 'ann',
    });
    await sdk.trigger(channelName, 'marker', {});
    await annEvents.next((e) => e.event === 'marker');
    expect(annEvents.items.filter((e) => e.event === 'client-wave')).toEqual([]);
  });

  it('are rejected on public channels, unsubscribed channels, over 10 KB and over 10 per second', async () => {
    const raw = await rawSocket(fake);
    const socketId = await raw.socketId();
    const errors = () => raw.frames.items.filter((f: Frame) => f.event === 'pusher:error');
    raw.send({ event: 'pusher:subscribe', data: { channel: 'public-x' } });
    await raw.frames.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    raw.send({ event: 'client-x', channel: 'public-x', data: {} });
    await raw.frames.count(1, (f) => f.event === 'pusher:error');
    raw.send({ event: 'client-x', channel: 'private-not-mine', data: {} });
    await raw.frames.count(2, (f) => f.event === 'pusher:error');
    expect(errors().map((f) => (f.data as { message: string }).message)).toEqual([
      expect.stringContaining('not a private or presence'),
      expect.stringContaining('not subscribed'),
    ]);

    const channel = unique('private-limits');
    raw.send({ event: 'pusher:subscribe', data: { channel, auth: `${APP.key}:${sign(`${socketId}:${channel}`)}` } });
    await raw.frames.next((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel);
    raw.send({ event: 'client-big', channel, data: { blob: 'x'.repeat(LIMITS.messageBytes) } });
    expect((await raw.frames.count(3, (f) => f.event === 'pusher:error'))[2].data).toMatchObject({
      message: expect.stringContaining('larger than'),
    });

    for (let i = 0; i < LIMITS.clientEventsPerSecond; i++) raw.send({ event: 'client-burst', channel, data: { i } });
    const limited = await raw.frames.count(4, (f) => f.event === 'pusher:error');
    expect(limited[3].data).toMatchObject({ code: 4301 });
    expect(raw.ws.readyState).toBe(raw.ws.OPEN);
    raw.ws.close();
  });
});

describe('REST API', () => {
  it('delivers events triggered by the pusher SDK in order, to one or many channels', async () => {
    const sdk = serverSdk(fake);
    const a = unique('private-rest-a');
    const b = unique('private-rest-b');
    const client = pusherClient(fake, signingHandler(sdk));
    const inboxA = record(client.subscribe(a));
    const inboxB = record(client.subscribe(b));
    await inboxA.next((e) => e.event === 'pusher:subscription_succeeded');
    await inboxB.next((e) => e.event === 'pusher:subscription_succeeded');
    for (let seq = 1; seq <= 20; seq++) await sdk.trigger(a, 'change', { seq });
    await sdk.trigger([a, b], 'both', { ok: true });
    await sdk.triggerBatch([
      { channel: b, name: 'batched', data: { n: 1 } },
      { channel: b, name: 'batched', data: { n: 2 } },
    ]);
    const changes = await inboxA.count(20, (e) => e.event === 'change');
    expect(changes.map((e) => (e.data as { seq: number }).seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await inboxA.next((e) => e.event === 'both');
    await inboxB.next((e) => e.event === 'both');
    expect((await inboxB.count(2, (e) => e.event === 'batched')).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('excludes the socket given as socket_id', async () => {
    const sdk = serverSdk(fake);
    const channelName = unique('private-exclude');
    const client = pusherClient(fake, signingHandler(sdk));
    const inbox = record(client.subscribe(channelName));
    await inbox.next((e) => e.event === 'pusher:subscription_succeeded');
    await sdk.trigger(channelName, 'skipped', {}, { socket_id: client.connection.socket_id });
    await sdk.trigger(channelName, 'marker', {});
    await inbox.next((e) => e.event === 'marker');
    expect(inbox.items.some((e) => e.event === 'skipped')).toBe(false);
  });

  it('answers 401 to a bad signature and 413 to data over 10 KB', async () => {
    await expect(serverSdk(fake, 'wrong-secret').trigger('private-x', 'e', {})).rejects.toMatchObject({ status: 401 });
    await expect(
      serverSdk(fake).trigger('private-x', 'e', { blob: 'x'.repeat(LIMITS.messageBytes) }),
    ).rejects.toMatchObject({ status: 413 });
    const unsigned = await fetch(`http://${fake.host}:${fake.port}/apps/${APP.appId}/events`, {
      method: 'POST',
      body: '{}',
    });
    expect(unsigned.status).toBe(401);
  });
});

describe('outages', () => {
  it('dropAllConnections makes pusher-js reconnect and resubscribe', async () => {
    const sdk = serverSdk(fake);
    const channelName = unique('private-drop');
    const client = pusherClient(fake, signingHandler(sdk));
    const inbox = record(client.subscribe(channelName));
    await inbox.next((e) => e.event === 'pusher:subscription_succeeded');
    const firstSocket = client.connection.socket_id;
    fake.dropAllConnections();
    await inbox.count(2, (e) => e.event === 'pusher:subscription_succeeded');
    expect(client.connection.socket_id).not.toBe(firstSocket);
    await sdk.trigger(channelName, 'after-drop', { ok: true });
    await inbox.next((e) => e.event === 'after-drop');
  });
});
