import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { closeClients, Inbox, privateApi, realtimeClient, stack, subscribed } from '../../src/testing/realtime';

// Limits and their Supabase reasons, on a gateway with tiny limits.

let api: Awaited<ReturnType<typeof privateApi>>;
let flood: Awaited<ReturnType<typeof privateApi>>;
beforeAll(async () => {
  [api, flood] = await Promise.all([
    privateApi({
      DEVSTACK_REALTIME_MAX_CHANNELS_PER_CLIENT: '3',
      DEVSTACK_REALTIME_MAX_JOINS_PER_SECOND: '8',
      DEVSTACK_REALTIME_MAX_EVENTS_PER_SECOND: '20',
      DEVSTACK_REALTIME_MAX_PRESENCE_CALLS: '2',
      DEVSTACK_REALTIME_MAX_PAYLOAD_BYTES: '1024',
    }),
    privateApi({ DEVSTACK_REALTIME_SEND_BUFFER_BYTES: '65536', DEVSTACK_REALTIME_MAX_EVENTS_PER_SECOND: '100000' }),
  ]);
});
afterAll(async () => {
  await closeClients();
  await api?.close();
  await flood?.close();
});

type Msg = [string | null, string | null, string, string, Record<string, unknown>];

async function raw(url: string) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${stack().anonKey}&vsn=2.0.0`);
  const inbox = new Inbox<Msg>();
  ws.on('message', (d, isBinary) => !isBinary && inbox.push(JSON.parse(d.toString()) as Msg));
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  return { ws, inbox };
}

test('channels per connection: ChannelRateLimitReached', async () => {
  const { ws, inbox } = await raw(api.url);
  for (let i = 1; i <= 4; i++) ws.send(JSON.stringify([`${i}`, `${i}`, `realtime:c${i}`, 'phx_join', {}]));
  const fourth = await inbox.next((m) => m[1] === '4');
  expect(fourth[4]).toEqual({ status: 'error', response: { reason: 'ChannelRateLimitReached: Too many channels' } });
  ws.close();
});

test('payload size: an ack broadcast over the limit is refused', async () => {
  const client = await realtimeClient({ apiUrl: api.url });
  const ch = await subscribed(client.channel('size', { config: { broadcast: { ack: true } } }));
  expect(await ch.send({ type: 'broadcast', event: 'x', payload: { s: 'x'.repeat(2000) } })).toBe('error');
  expect(await ch.send({ type: 'broadcast', event: 'x', payload: { s: 'small' } })).toBe('ok');
});

test('presence calls per client: shutdown with Supabase reason', async () => {
  const client = await realtimeClient({ apiUrl: api.url });
  const system = new Inbox<{ message: string; status: string }>();
  const ch = await subscribed(client.channel('presence-limit').on('system', {}, (m) => system.push(m)));
  await ch.track({ n: 1 });
  await ch.track({ n: 2 });
  void ch.track({ n: 3 });
  expect(await system.next((m) => m.status === 'error')).toMatchObject({
    message: 'Client presence rate limit exceeded',
  });
});

test('events per second: the channel is shut down with "Too many messages per second"', async () => {
  const { ws, inbox } = await raw(api.url);
  ws.send(JSON.stringify(['1', '1', 'realtime:busy', 'phx_join', {}]));
  await inbox.next((m) => m[1] === '1');
  for (let i = 0; i < 40; i++)
    ws.send(
      JSON.stringify(['1', null, 'realtime:busy', 'broadcast', { type: 'broadcast', event: 'e', payload: { i } }]),
    );
  expect((await inbox.next((m) => m[3] === 'system'))[4]).toMatchObject({
    extension: 'system',
    status: 'error',
    message: 'Too many messages per second',
  });
  expect(await inbox.next((m) => m[3] === 'phx_close')).toEqual(['1', '1', 'realtime:busy', 'phx_close', {}]);
  ws.close();
});

test('joins per second: ClientJoinRateLimitReached', async () => {
  const sockets = await Promise.all(Array.from({ length: 5 }, () => raw(api.url)));
  sockets.forEach(({ ws }, s) => {
    for (let i = 0; i < 3; i++) ws.send(JSON.stringify([`${i}`, `${i}`, `realtime:j${s}-${i}`, 'phx_join', {}]));
  });
  const replies = (await Promise.all(sockets.map(({ inbox }) => inbox.count(3, (m) => m[3] === 'phx_reply')))).flat();
  const reasons = replies.map((m) => (m[4].response as { reason?: string }).reason).filter(Boolean);
  expect(reasons).toContain('ClientJoinRateLimitReached: Too many joins per second');
  sockets.forEach(({ ws }) => ws.close());
});

test('a slow consumer is disconnected instead of buffering without bound', async () => {
  const receiver = await raw(flood.url);
  receiver.ws.send(JSON.stringify(['1', '1', 'realtime:flood', 'phx_join', {}]));
  await receiver.inbox.next((m) => m[1] === '1');
  const closed = new Promise<number>((resolve) => receiver.ws.on('close', (code) => resolve(code)));
  (receiver.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

  const sender = await raw(flood.url);
  sender.ws.send(JSON.stringify(['1', '1', 'realtime:flood', 'phx_join', {}]));
  await sender.inbox.next((m) => m[1] === '1');
  const chunk = 'x'.repeat(200 * 1024);
  for (let i = 0; i < 150; i++)
    sender.ws.send(
      JSON.stringify([
        '1',
        null,
        'realtime:flood',
        'broadcast',
        { type: 'broadcast', event: 'big', payload: { chunk } },
      ]),
    );
  sender.ws.send(JSON.stringify([null, 'hb', 'phoenix', 'heartbeat', {}]));
  await sender.inbox.next((m) => m[1] === 'hb', 20_000);
  (receiver.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  expect(await closed).toBe(1006);
  sender.ws.close();
});
