import { afterAll, expect, test } from 'vitest';
import { connect, DEPOT, USER } from '../support/fixture';
import { closeClients, Inbox, mintToken, realtimeClient, subscribed } from '../../src/testing/realtime';

// Broadcast from Database beyond JSON: realtime.send_binary / binary_payload
// (serializer 2.0.0 binary frames, nothing for 1.0.0 clients, replayed as
// bytes), Supabase's realtime.send adding an id, and the broadcast.
// replication_ready system message. Writes only under event names no app
// code listens to.

const sql = connect(2);

afterAll(async () => {
  await closeClients();
  await sql.end();
});

type Broadcast = { event: string; payload: unknown; meta?: { id?: string; replayed?: boolean } };
type System = { extension: string; status: string; message: string; channel: string };

const bytes = (payload: unknown) => [...new Uint8Array(payload as ArrayBuffer)];

async function listen(topic: string, options: { vsn?: '1.0.0' | '2.0.0'; token?: string; config?: object } = {}) {
  const client = await realtimeClient({ vsn: options.vsn, token: options.token });
  const inbox = new Inbox<Broadcast>();
  const system = new Inbox<System>();
  const channel = client
    .channel(topic, { config: { ...options.config } })
    .on('broadcast', { event: '*' }, (m) => inbox.push(m as unknown as Broadcast))
    .on('system', {}, (m) => system.push(m as System));
  await subscribed(channel);
  return { inbox, system };
}

test('realtime.send_binary reaches 2.0.0 clients as raw bytes with meta.id; 1.0.0 clients get nothing', async () => {
  const topic = `rt-binary-${process.pid}`;
  const v2 = await listen(topic, { vsn: '2.0.0' });
  const v1 = await listen(topic, { vsn: '1.0.0' });
  await sql`select realtime.send_binary(${Buffer.from([0, 1, 2, 250, 255])}, 'rt_test_bytes', ${topic}, false)`;
  await sql`select realtime.send('{"after": true}'::jsonb, 'rt_test_json', ${topic}, false)`;

  const binary = await v2.inbox.next((m) => m.event === 'rt_test_bytes');
  expect(binary.payload).toBeInstanceOf(ArrayBuffer);
  expect(bytes(binary.payload)).toEqual([0, 1, 2, 250, 255]);
  expect(binary.meta?.id).toMatch(/^[0-9a-f-]{36}$/);
  const [row] = await sql`select binary_payload, payload from realtime.messages where id = ${binary.meta!.id!}`;
  expect([...row.binary_payload]).toEqual([0, 1, 2, 250, 255]);
  expect(row.payload).toBeNull();

  // The JSON message sent after it arrives at the 1.0.0 client: the bytes were skipped, not late.
  await v1.inbox.next((m) => m.event === 'rt_test_json');
  expect(v1.inbox.items.map((m) => m.event)).toEqual(['rt_test_json']);
});

test('binary messages of a private topic are replayed as bytes, with replayed: true', async () => {
  const since = Date.now() - 1000;
  const topic = `shipments:${DEPOT.north}`;
  const token = await mintToken({ sub: USER.dispatcherNorth });
  await sql`select realtime.send_binary(${Buffer.from('héllo', 'utf8')}, 'rt_test_bytes', ${topic}, true)`;
  const later = await listen(topic, { token, config: { private: true, broadcast: { replay: { since, limit: 25 } } } });
  const replayed = await later.inbox.next((m) => m.event === 'rt_test_bytes');
  expect(Buffer.from(replayed.payload as ArrayBuffer).toString('utf8')).toBe('héllo');
  expect(replayed.meta).toMatchObject({ replayed: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
});

test("realtime.send adds an id to a payload without one (Supabase's realtime.send), keeps a given one", async () => {
  const topic = `rt-ids-${process.pid}`;
  const rx = await listen(topic);
  await sql`select realtime.send('{"n": 1}'::jsonb, 'rt_test_plain', ${topic}, false)`;
  await sql`select realtime.send('{"n": 2, "id": "mine"}'::jsonb, 'rt_test_plain', ${topic}, false)`;
  const [first, second] = await rx.inbox.count(2);
  expect(first.payload).toEqual({ n: 1, id: first.meta?.id });
  expect(second.payload).toEqual({ n: 2, id: 'mine' });
  expect(second.meta?.id).not.toBe('mine');
});

test('broadcast.replication_ready: "Replication connection established" once the stream is live', async () => {
  const topic = `rt-ready-${process.pid}`;
  const { system } = await listen(topic, { config: { broadcast: { replication_ready: true } } });
  expect(await system.next((m) => m.extension === 'system')).toEqual({
    extension: 'system',
    status: 'ok',
    message: 'Replication connection established',
    channel: topic,
  });
  // Without the option, no such message.
  const plain = await listen(`${topic}-plain`);
  await sql`select realtime.send('{}'::jsonb, 'rt_test_marker', ${`${topic}-plain`}, false)`;
  await plain.inbox.next((m) => m.event === 'rt_test_marker');
  expect(plain.system.items).toEqual([]);
});
