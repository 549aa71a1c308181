import { afterAll, expect, test } from 'vitest';
import { closeClients, Inbox, realtimeClient, stack, subscribed } from '../../src/testing/realtime';

afterAll(closeClients);

type Broadcast = { event: string; payload: unknown; meta?: Record<string, unknown> };

async function member(topic: string, vsn: '1.0.0' | '2.0.0', config: Record<string, unknown> = {}) {
  const client = await realtimeClient({ vsn });
  const inbox = new Inbox<Broadcast>();
  const channel = client
    .channel(topic, { config: { broadcast: { self: false, ...config } } })
    .on('broadcast', { event: '*' }, (m) => inbox.push(m as unknown as Broadcast));
  await subscribed(channel);
  return { channel, inbox };
}

test('text and binary broadcasts cross between vsn 1.0.0 and 2.0.0 clients in one channel', async () => {
  const v2 = await member('mixed', '2.0.0');
  const v2b = await member('mixed', '2.0.0');
  const v1 = await member('mixed', '1.0.0');

  // v2 sends JSON (as a kind-3 binary frame): v2 receivers decode kind 4, v1 receives text.
  await v2.channel.send({ type: 'broadcast', event: 'json', payload: { from: 'v2' } });
  expect(await v2b.inbox.next((m) => m.event === 'json')).toMatchObject({ payload: { from: 'v2' } });
  expect(await v1.inbox.next((m) => m.event === 'json')).toMatchObject({ payload: { from: 'v2' } });

  // v2 sends raw bytes: the other v2 client gets an ArrayBuffer back.
  await v2.channel.send({ type: 'broadcast', event: 'bytes', payload: new Uint8Array([1, 2, 250]).buffer });
  const bytes = await v2b.inbox.next((m) => m.event === 'bytes');
  expect(bytes.payload).toBeInstanceOf(ArrayBuffer);
  expect([...new Uint8Array(bytes.payload as ArrayBuffer)]).toEqual([1, 2, 250]);

  // v1 sends a text frame: both v2 clients receive it.
  await v1.channel.send({ type: 'broadcast', event: 'text', payload: { from: 'v1' } });
  expect(await v2.inbox.next((m) => m.event === 'text')).toMatchObject({ payload: { from: 'v1' } });
  expect(await v2b.inbox.next((m) => m.event === 'text')).toMatchObject({ payload: { from: 'v1' } });

  // The v1 client never receives bytes it cannot represent, and nobody got its own message.
  expect(v1.inbox.items.map((m) => m.event)).toEqual(['json']);
  expect(v2.inbox.items.map((m) => m.event)).toEqual(['text']);
});

test('self: true echoes to the sender; ack: true gets an ok reply', async () => {
  const a = await member('self-ack', '2.0.0', { self: true, ack: true });
  expect(await a.channel.send({ type: 'broadcast', event: 'echo', payload: { n: 1 } })).toBe('ok');
  expect(await a.inbox.next((m) => m.event === 'echo')).toMatchObject({ payload: { n: 1 } });
});

test('an oversized broadcast is refused in the ack', async () => {
  const a = await member('too-big', '2.0.0', { ack: true });
  expect(await a.channel.send({ type: 'broadcast', event: 'big', payload: { s: 'x'.repeat(300 * 1024) } })).toBe(
    'error',
  );
});

test('REST broadcast: batch endpoint and httpSend, 401 without a valid key', async () => {
  const rx = await member('rest-room', '2.0.0');
  const { apiUrl, anonKey } = stack();
  const res = await fetch(`${apiUrl}/realtime/v1/api/broadcast`, {
    method: 'POST',
    headers: { apikey: anonKey, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ topic: 'rest-room', event: 'batch', payload: { n: 1 } }] }),
  });
  expect(res.status).toBe(202);
  expect(await rx.inbox.next((m) => m.event === 'batch')).toMatchObject({ payload: { n: 1 } });

  const sender = (await realtimeClient()).channel('rest-room');
  expect(await sender.httpSend('single', { n: 2 })).toEqual({ success: true });
  expect(await rx.inbox.next((m) => m.event === 'single')).toMatchObject({ payload: { n: 2 } });

  const bad = await fetch(`${apiUrl}/realtime/v1/api/broadcast`, {
    method: 'POST',
    headers: { apikey: 'nope', 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ topic: 'rest-room', event: 'x', payload: {} }] }),
  });
  expect(bad.status).toBe(401);
  const invalid = await fetch(`${apiUrl}/realtime/v1/api/broadcast`, {
    method: 'POST',
    headers: { apikey: anonKey, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [] }),
  });
  expect(invalid.status).toBe(422);
});
