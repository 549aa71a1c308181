import * as Ably from 'ably';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Inbox } from '@switchboard/devstack/testing';
import { startFakeAbly, type FakeAbly } from './ably-server';

// The official ably clients (Realtime over WebSocket, Rest over HTTP) against
// the fake, plus raw sockets for what the SDK would never send.

const API_KEY = 'fakeApp.fakeKey:fake-secret-0123456789';
let server: FakeAbly;
const realtimes: Ably.Realtime[] = [];

beforeAll(async () => {
  server = await startFakeAbly({ apiKey: API_KEY });
});
afterEach(() => {
  for (const client of realtimes.splice(0)) client.close();
});
afterAll(async () => {
  await server.close();
});

const endpoint = () => ({
  endpoint: server.host,
  port: server.port,
  tls: false,
  useBinaryProtocol: false,
  fallbackHosts: [],
  disableConnectivityCheck: true,
});

function rest(options: Partial<Ably.ClientOptions> = {}): Ably.Rest {
  return new Ably.Rest({ key: API_KEY, ...endpoint(), ...options });
}

/** A Realtime client whose tokens come from TokenRequests signed with the key (as our token route does). */
function realtime(tokenParams: Ably.TokenParams, options: Partial<Ably.ClientOptions> = {}): Ably.Realtime {
  const signer = rest();
  const client = new Ably.Realtime({
    ...endpoint(),
    authCallback: (_params, callback) => {
      signer.auth.createTokenRequest(tokenParams).then(
        (request) => callback(null, request),
        (err: Ably.ErrorInfo) => callback(err, null),
      );
    },
    ...options,
  });
  realtimes.push(client);
  return client;
}

type Capability = Record<string, Ably.CapabilityOp[]>;

const DEPOT_A = 'depot:aaaaaaaa-0000-4000-8000-000000000001';
const DEPOT_B = 'depot:bbbbbbbb-0000-4000-8000-000000000002';
const uniqueChannel = (() => {
  let n = 0;
  return (prefix = 'test') => `${prefix}:${Date.now().toString(36)}-${(n += 1)}`;
})();

function messages(channel: Ably.RealtimeChannel, name?: string): Inbox<Ably.Message> {
  const inbox = new Inbox<Ably.Message>();
  if (name) void channel.subscribe(name, inbox.push);
  else void channel.subscribe(inbox.push);
  return inbox;
}

/** A raw socket with the key, for frames the SDK never sends. */
async function rawSocket(
  query = '',
): Promise<{ ws: WebSocket; frames: Inbox<Record<string, unknown>>; closed: Promise<void> }> {
  const ws = new WebSocket(
    `ws://${server.host}:${server.port}/?key=${encodeURIComponent(API_KEY)}&format=json&v=6${query}`,
  );
  const frames = new Inbox<Record<string, unknown>>();
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  await frames.next((f) => f.action === 4);
  return { ws, frames, closed };
}

describe('fake Ably: authentication', () => {
  it('connects with a token from a signed TokenRequest and reports the token clientId', async () => {
    const client = realtime({ clientId: 'user-1', capability: { [DEPOT_A]: ['subscribe'] } });
    await client.connection.once('connected');
    expect(client.auth.clientId).toBe('user-1');
    expect(client.connection.id).toBeTruthy();
  });

  it('refuses a TokenRequest whose mac was not made with the key secret', async () => {
    const forged = rest({ key: 'fakeApp.fakeKey:wrong-secret' });
    const err = await forged.auth.requestToken({ clientId: 'mallory' }).catch((e: Ably.ErrorInfo) => e);
    expect(err).toMatchObject({ code: 40101, statusCode: 401 });
  });

  it('refuses a TokenRequest that is replayed', async () => {
    const request = await rest().auth.createTokenRequest({ clientId: 'user-1' });
    const post = () =>
      fetch(`http://${server.host}:${server.port}/keys/${request.keyName}/requestToken`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
    expect((await post()).status).toBe(200);
    const replay = await post();
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { message: string } }).error.message).toMatch(/nonce/);
  });

  it('accepts an Ably JWT (x-ably-capability, x-ably-clientId) signed with the key secret', async () => {
    const jwt = await new SignJWT({
      'x-ably-capability': JSON.stringify({ [DEPOT_A]: ['subscribe'] }),
      'x-ably-clientId': 'jwt-user',
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'fakeApp.fakeKey' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('fake-secret-0123456789'));
    const client = new Ably.Realtime({ ...endpoint(), authCallback: (_p, cb) => cb(null, jwt) });
    realtimes.push(client);
    await client.connection.once('connected');
    expect(client.auth.clientId).toBe('jwt-user');
    await client.channels.get(DEPOT_A).attach();
    await expect(client.channels.get(DEPOT_B).attach()).rejects.toMatchObject({ code: 40160 });
  });

  it('fails the connection for a token it did not issue', async () => {
    const ws = new WebSocket(
      `ws://${server.host}:${server.port}/?access_token=fakeApp.not-a-real-token&format=json&v=6`,
    );
    const frames = new Inbox<Record<string, unknown>>();
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
    expect(await frames.next()).toMatchObject({ action: 9, error: { code: 40140, statusCode: 401 } });
    // The SDK treats it as a token error: with no way to renew, the connection fails.
    const client = new Ably.Realtime({ ...endpoint(), token: 'fakeApp.not-a-real-token' });
    realtimes.push(client);
    const change = await client.connection.once('failed');
    expect(change.reason?.message).toMatch(/new token/);
  });

  it('renews the token on the open connection (AUTH) and applies the new capability', async () => {
    let capability: Capability = { [DEPOT_A]: ['subscribe'] };
    const signer = rest();
    const client = new Ably.Realtime({
      ...endpoint(),
      authCallback: (_p, cb) =>
        void signer.auth.createTokenRequest({ clientId: 'renewer', capability }).then((r) => cb(null, r)),
    });
    realtimes.push(client);
    await client.connection.once('connected');
    const id = client.connection.id;
    await expect(client.channels.get(DEPOT_B).attach()).rejects.toMatchObject({ code: 40160 });
    capability = { [DEPOT_A]: ['subscribe'], [DEPOT_B]: ['subscribe'] };
    await client.auth.authorize();
    expect(client.connection.id).toBe(id);
    const again = client.channels.get(`${DEPOT_B}`);
    await again.attach();
    expect(again.state).toBe('attached');
  });

  it('disconnects a connection whose token expires (40142); the SDK renews the token and reconnects', async () => {
    const client = realtime({ clientId: 'short-lived', ttl: 1_000 });
    await client.connection.once('connected');
    const change = await client.connection.once('disconnected');
    expect(change.reason).toMatchObject({ code: 40142 });
    await client.connection.once('connected');
    expect(client.auth.clientId).toBe('short-lived');
  });
});

describe('fake Ably: channels', () => {
  it('attaches a channel the capability covers (wildcards too) and refuses others with 40160', async () => {
    const client = realtime({ clientId: 'u', capability: { 'depot:aaaaaaaa-*': ['subscribe'] } });
    const allowed = client.channels.get(DEPOT_A);
    await allowed.attach();
    expect(allowed.state).toBe('attached');
    const refused = client.channels.get(DEPOT_B);
    await expect(refused.attach()).rejects.toMatchObject({ code: 40160, statusCode: 401 });
    expect(refused.state).toBe('failed');
    expect(server.attachments(DEPOT_B)).toBe(0);
  });

  it('ACKs a publish and fans it out to every attached client, echoing to the sender by default', async () => {
    const name = uniqueChannel();
    const sender = realtime({ clientId: 'sender', capability: { [name]: ['subscribe', 'publish'] } });
    const receiver = realtime({ clientId: 'receiver', capability: { [name]: ['subscribe'] } });
    const quiet = realtime(
      { clientId: 'quiet', capability: { [name]: ['subscribe', 'publish'] } },
      { echoMessages: false },
    );
    const senderInbox = messages(sender.channels.get(name));
    const receiverInbox = messages(receiver.channels.get(name));
    const quietInbox = messages(quiet.channels.get(name));
    await Promise.all([sender, receiver, quiet].map((c) => c.channels.get(name).attach()));

    await sender.channels.get(name).publish('position', { lat: 1 });
    await quiet.channels.get(name).publish('marker', { id: 'q' });
    const got = await receiverInbox.count(2);
    expect(got.map((m) => [m.name, m.data, m.clientId])).toEqual([
      ['position', { lat: 1 }, 'sender'],
      ['marker', { id: 'q' }, 'quiet'],
    ]);
    expect((await senderInbox.count(2)).map((m) => m.name)).toEqual(['position', 'marker']);
    await quietInbox.next((m) => m.name === 'position');
    expect(quietInbox.items.map((m) => m.name)).not.toContain('marker');
  });

  it('NACKs a publish without the publish capability', async () => {
    const name = uniqueChannel();
    const client = realtime({ clientId: 'reader', capability: { [name]: ['subscribe'] } });
    const channel = client.channels.get(name);
    await channel.attach();
    await expect(channel.publish('x', {})).rejects.toMatchObject({ code: 40160 });
  });

  it('stops delivery after DETACH', async () => {
    const name = uniqueChannel();
    const client = realtime({ clientId: 'r', capability: { [name]: ['subscribe'] } });
    const channel = client.channels.get(name);
    const inbox = messages(channel);
    await channel.attach();
    const publisher = rest().channels.get(name);
    await publisher.publish('one', { n: 1 });
    await inbox.next();
    await channel.detach();
    expect(server.attachments(name)).toBe(0);
    // A second subscriber, still attached, proves the next message was sent.
    const other = realtime({ clientId: 'r2', capability: { [name]: ['subscribe'] } });
    const otherInbox = messages(other.channels.get(name));
    await other.channels.get(name).attach();
    await publisher.publish('two', { n: 2 });
    await otherInbox.next((m) => m.name === 'two');
    expect(inbox.items.map((m) => m.name)).toEqual(['one']);
  });
});

describe('fake Ably: presence', () => {
  it('enter, update and leave reach other members; a late attach gets the set by SYNC', async () => {
    const name = uniqueChannel();
    const capability: Capability = { [name]: ['subscribe', 'presence'] };
    const alice = realtime({ clientId: 'alice', capability });
    const bob = realtime({ clientId: 'bob', capability });
    const seen = new Inbox<Ably.PresenceMessage>();
    await bob.channels.get(name).presence.subscribe(seen.push);

    await alice.channels.get(name).presence.enter({ viewing: 's1' });
    expect(await seen.next((p) => p.action === 'enter')).toMatchObject({ clientId: 'alice', data: { viewing: 's1' } });
    await alice.channels.get(name).presence.update({ viewing: 's2' });
    expect(await seen.next((p) => p.action === 'update')).toMatchObject({ clientId: 'alice', data: { viewing: 's2' } });

    const carol = realtime({ clientId: 'carol', capability });
    const members = await carol.channels.get(name).presence.get();
    expect(members.map((m) => [m.clientId, m.data])).toEqual([['alice', { viewing: 's2' }]]);

    await alice.channels.get(name).presence.leave();
    expect(await seen.next((p) => p.action === 'leave')).toMatchObject({ clientId: 'alice' });
    expect(server.presenceMembers(name)).toEqual([]);
  });

  it('a member leaves when its connection drops', async () => {
    const name = uniqueChannel();
    const capability: Capability = { [name]: ['subscribe', 'presence'] };
    const watcher = realtime({ clientId: 'watcher', capability });
    const leaver = realtime({ clientId: 'leaver', capability }, { disconnectedRetryTimeout: 60_000 });
    const seen = new Inbox<Ably.PresenceMessage>();
    await watcher.channels.get(name).presence.subscribe(seen.push);
    await leaver.channels.get(name).presence.enter();
    await seen.next((p) => p.action === 'enter');
    leaver.close();
    expect(await seen.next((p) => p.action === 'leave')).toMatchObject({ clientId: 'leaver' });
  });

  it('refuses presence without the presence capability', async () => {
    const name = uniqueChannel();
    const client = realtime({ clientId: 'nope', capability: { [name]: ['subscribe'] } });
    await expect(client.channels.get(name).presence.enter()).rejects.toMatchObject({ code: 40160 });
  });
});

describe('fake Ably: REST', () => {
  it('publishes with basic auth to realtime subscribers, in order', async () => {
    const name = uniqueChannel('depot');
    const client = realtime({ clientId: 'r', capability: { [name]: ['subscribe'] } });
    const channel = client.channels.get(name);
    const inbox = messages(channel);
    await channel.attach();
    const publisher = rest().channels.get(name);
    for (let seq = 1; seq <= 5; seq += 1) await publisher.publish('shipment.changed', { seq });
    await publisher.publish([
      { name: 'shipment.changed', data: { seq: 6 } },
      { name: 'shipment.changed', data: { seq: 7 } },
    ]);
    const got = await inbox.count(7);
    expect(got.map((m) => (m.data as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses a REST publish with a wrong key (401) or without the capability (40160)', async () => {
    const wrong = rest({ key: 'fakeApp.fakeKey:nope' });
    await expect(wrong.channels.get('x').publish('e', { n: 1 })).rejects.toMatchObject({ statusCode: 401 });
    const details = await rest().auth.requestToken({ capability: { x: ['subscribe'] } });
    const limited = new Ably.Rest({ ...endpoint(), token: details.token });
    await expect(limited.channels.get('x').publish('e', { n: 1 })).rejects.toMatchObject({ code: 40160 });
  });

  it('refuses a REST message over 64 KiB with 40009', async () => {
    const response = await fetch(`http://${server.host}:${server.port}/channels/x/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(API_KEY).toString('base64')}`,
      },
      body: JSON.stringify({ name: 'e', data: 'x'.repeat(65_537) }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 40009 } });
  });
});

describe('fake Ably: limits and protocol', () => {
  it('NACKs a message over 64 KiB with 40009', async () => {
    const { ws, frames } = await rawSocket();
    ws.send(JSON.stringify({ action: 10, channel: 'big' }));
    await frames.next((f) => f.action === 11);
    ws.send(
      JSON.stringify({ action: 15, channel: 'big', msgSerial: 0, messages: [{ name: 'e', data: 'x'.repeat(65_537) }] }),
    );
    expect(await frames.next((f) => f.action === 2)).toMatchObject({ msgSerial: 0, error: { code: 40009 } });
    ws.close();
  });

  it('the SDK itself refuses a message over the advertised maxMessageSize', async () => {
    const client = realtime({ clientId: 'big', capability: { big: ['*'] } });
    await expect(client.channels.get('big').publish('e', 'x'.repeat(70_000))).rejects.toMatchObject({ code: 40009 });
  });

  it('NACKs publishes beyond 50 messages per second per connection with 42911', async () => {
    const name = uniqueChannel();
    const client = realtime({ clientId: 'fast', capability: { [name]: ['*'] } });
    const channel = client.channels.get(name);
    await channel.attach();
    // One at a time: publishes queued together would go out as one protocol message.
    const outcomes: Array<'ack' | Ably.ErrorInfo> = [];
    for (let i = 0; i < 60; i += 1)
      outcomes.push(
        await channel.publish('tick', { i }).then(
          () => 'ack' as const,
          (err: Ably.ErrorInfo) => err,
        ),
      );
    expect(outcomes.filter((o) => o === 'ack')).toHaveLength(50);
    expect(outcomes[50]).toMatchObject({ code: 42911, statusCode: 429 });
  });

  it('answers HEARTBEAT with HEARTBEAT (same id), and the SDK ping round-trips', async () => {
    const { ws, frames } = await rawSocket('&heartbeats=true');
    ws.send(JSON.stringify({ action: 0, id: 'hb-1' }));
    expect(await frames.next((f) => f.action === 0)).toMatchObject({ id: 'hb-1' });
    ws.close();
    const client = realtime({ clientId: 'pinger' });
    await client.connection.once('connected');
    expect(await client.connection.ping()).toBeGreaterThanOrEqual(0);
  });

  it('advertises connectionDetails the SDK relies on', async () => {
    const { ws, frames } = await rawSocket();
    const connected = await frames.next((f) => f.action === 4);
    expect(connected).toMatchObject({
      connectionDetails: { maxMessageSize: 65_536, connectionStateTtl: 120_000, maxIdleInterval: 15_000 },
    });
    ws.close();
  });

  it('answers malformed frames with a connection ERROR (40000) and closes', async () => {
    for (const bad of ['not json', JSON.stringify({ action: 15, channel: 'x' }), JSON.stringify({ action: 99 })]) {
      const { ws, frames, closed } = await rawSocket();
      ws.send(bad);
      const error = await frames.next((f) => f.action === 9);
      expect(error).toMatchObject({ error: { code: 40000 } });
      expect(error.channel).toBeUndefined();
      await closed;
    }
  });

  it('CLOSE gets CLOSED; a dropped client reconnects with a new connection (resume is not kept)', async () => {
    const client = realtime({ clientId: 'dropper' });
    await client.connection.once('connected');
    const firstId = client.connection.id;
    server.dropAllConnections();
    await client.connection.once('disconnected');
    await client.connection.once('connected');
    expect(client.connection.id).not.toBe(firstId);
    client.close();
    await client.connection.once('closed');
  });
});
