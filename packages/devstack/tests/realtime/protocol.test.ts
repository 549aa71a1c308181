import { afterAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { closeClients, stack } from '../../src/testing/realtime';

// The wire protocol, spoken by hand: vsn 2.0.0 arrays and vsn 1.0.0 objects.

afterAll(closeClients);

type Msg = [string | null, string | null, string, string, Record<string, unknown>];

async function socket(
  vsn = '2.0.0',
  apikey = stack().anonKey,
): Promise<{ ws: WebSocket; next: (pred: (m: Msg) => boolean) => Promise<Msg>; all: Msg[] }> {
  const url = `${stack().apiUrl.replace('http', 'ws')}/realtime/v1/websocket?apikey=${apikey}&vsn=${vsn}`;
  const ws = new WebSocket(url);
  const all: Msg[] = [];
  const waiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  ws.on('message', (data) => {
    const raw = JSON.parse(data.toString()) as
      Msg | { join_ref: string; ref: string; topic: string; event: string; payload: Record<string, unknown> };
    const m: Msg = Array.isArray(raw) ? raw : [raw.join_ref, raw.ref, raw.topic, raw.event, raw.payload];
    all.push(m);
    for (const w of waiters.splice(0)) {
      if (w.pred(m)) w.resolve(m);
      else waiters.push(w);
    }
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const next = (pred: (m: Msg) => boolean) =>
    new Promise<Msg>((resolve, reject) => {
      const found = all.find(pred);
      if (found) return resolve(found);
      const t = setTimeout(() => reject(new Error(`no message; got ${JSON.stringify(all)}`)), 5000);
      waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  return { ws, next, all };
}

test('a bad apikey is refused at the upgrade with 401 and a JSON body', async () => {
  const url = `${stack().apiUrl.replace('http', 'ws')}/realtime/v1/websocket?apikey=not-a-jwt&vsn=2.0.0`;
  const ws = new WebSocket(url);
  const response = await new Promise<{ status: number; body: string }>((resolve) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
  expect(response.status).toBe(401);
  expect(JSON.parse(response.body)).toEqual({ error: expect.stringContaining('JWT') });
});

test('heartbeat is answered with an ok reply carrying its ref', async () => {
  const { ws, next } = await socket();
  ws.send(JSON.stringify([null, '12', 'phoenix', 'heartbeat', {}]));
  expect(await next((m) => m[1] === '12')).toEqual([
    null,
    '12',
    'phoenix',
    'phx_reply',
    { status: 'ok', response: {} },
  ]);
  ws.close();
});

test('join, leave and close carry the join_ref; unmatched topics are answered', async () => {
  const { ws, next } = await socket();
  ws.send(JSON.stringify(['1', '1', 'realtime:proto', 'phx_join', { config: { postgres_changes: [] } }]));
  expect(await next((m) => m[1] === '1')).toEqual([
    '1',
    '1',
    'realtime:proto',
    'phx_reply',
    { status: 'ok', response: { postgres_changes: [] } },
  ]);
  ws.send(JSON.stringify(['9', '2', 'realtime:other', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }]));
  expect((await next((m) => m[1] === '2'))[4]).toEqual({ status: 'error', response: { reason: 'unmatched topic' } });
  ws.send(JSON.stringify(['3', '3', 'not-realtime', 'phx_join', {}]));
  expect((await next((m) => m[1] === '3'))[4]).toEqual({ status: 'error', response: { reason: 'unmatched topic' } });
  ws.send(JSON.stringify(['4', '4', 'realtime:', 'phx_join', {}]));
  expect((await next((m) => m[1] === '4'))[4]).toEqual({
    status: 'error',
    response: { reason: 'TopicNameRequired: You must provide a topic name' },
  });
  ws.send(JSON.stringify(['1', '5', 'realtime:proto', 'phx_leave', {}]));
  expect(await next((m) => m[1] === '5')).toEqual([
    '1',
    '5',
    'realtime:proto',
    'phx_reply',
    { status: 'ok', response: {} },
  ]);
  expect(await next((m) => m[3] === 'phx_close')).toEqual(['1', '1', 'realtime:proto', 'phx_close', {}]);
  ws.close();
});

test('a second join on a topic closes the first with its own join_ref', async () => {
  const { ws, next } = await socket();
  ws.send(JSON.stringify(['1', '1', 'realtime:dup', 'phx_join', {}]));
  await next((m) => m[1] === '1');
  ws.send(JSON.stringify(['2', '2', 'realtime:dup', 'phx_join', {}]));
  expect(await next((m) => m[3] === 'phx_close')).toEqual(['1', '1', 'realtime:dup', 'phx_close', {}]);
  expect((await next((m) => m[1] === '2'))[4]).toMatchObject({ status: 'ok' });
  ws.close();
});

test('malformed frames are ignored and the socket stays open', async () => {
  const { ws, next } = await socket();
  ws.send('{not json');
  ws.send(JSON.stringify({ an: 'object on vsn 2' }));
  ws.send(JSON.stringify([1, 2, 3]));
  ws.send(Buffer.from([9, 9, 9]));
  ws.send(JSON.stringify([null, 'hb', 'phoenix', 'heartbeat', {}]));
  expect((await next((m) => m[1] === 'hb'))[4]).toEqual({ status: 'ok', response: {} });
  expect(ws.readyState).toBe(WebSocket.OPEN);
  ws.close();
});

test('an oversized frame closes the socket with 1009', async () => {
  const { ws } = await socket();
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.send(JSON.stringify([null, '1', 'realtime:big', 'broadcast', { payload: 'x'.repeat(2 * 1024 * 1024) }]));
  expect(await closed).toBe(1009);
});

test('vsn 1.0.0 speaks JSON objects', async () => {
  const { ws, next } = await socket('1.0.0');
  ws.send(JSON.stringify({ topic: 'realtime:v1', event: 'phx_join', payload: {}, ref: '1', join_ref: '1' }));
  expect(await next((m) => m[1] === '1')).toEqual([
    '1',
    '1',
    'realtime:v1',
    'phx_reply',
    { status: 'ok', response: { postgres_changes: [] } },
  ]);
  ws.close();
});
