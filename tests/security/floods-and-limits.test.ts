// Oversized payloads and message floods, on private gateways with small limits
// (so the shared stack is never disturbed): each limit trips with Supabase's
// documented status or reason, and afterwards the server still answers and
// other clients still work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken, privateApi } from '@switchboard/devstack/testing';
import { USER } from '../support/seed-ids';
import { call, openSocket, stack, type Frame, type RawSocket } from './support';

type Api = Awaited<ReturnType<typeof privateApi>>;
let sizes: Api;
let floods: Api;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  [sizes, floods] = await Promise.all([
    privateApi({
      DEVSTACK_REST_MAX_BODY: '16384',
      DEVSTACK_REALTIME_MAX_PAYLOAD_BYTES: '1024',
      DEVSTACK_REALTIME_MAX_FRAME_BYTES: '8192',
    }),
    privateApi({
      DEVSTACK_REALTIME_MAX_EVENTS_PER_SECOND: '20',
      DEVSTACK_REALTIME_MAX_JOINS_PER_SECOND: '8',
      DEVSTACK_REALTIME_MAX_CHANNELS_PER_CLIENT: '3',
      DEVSTACK_REALTIME_MAX_PRESENCE_CALLS: '2',
    }),
  ]);
});
afterAll(async () => {
  sockets.forEach((s) => s.ws.close());
  await Promise.all([sizes?.close(), floods?.close()]);
});

async function socket(api: Api, token = stack().anonKey): Promise<RawSocket> {
  const s = await openSocket(token, api.url);
  sockets.push(s);
  return s;
}

/** Joins, waiting out the joins-per-second window of an earlier flood (only that refusal is retried). */
async function joinWhenAllowed(s: RawSocket, topic: string, config: Record<string, unknown> = {}) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const reply = await s.join(topic, config);
    if (reply.response.reason !== 'ClientJoinRateLimitReached: Too many joins per second' || Date.now() > deadline)
      return reply;
    await new Promise((resolve) => setTimeout(resolve, 250)); // the rate window, not an event
  }
}

const bcast = (topic: string, ref: string | null, payload: unknown, event = 'e'): Frame => [
  '1',
  ref,
  `realtime:${topic}`,
  'broadcast',
  { type: 'broadcast', event, payload },
];
const service = () => stack().serviceRoleKey;
let topics = 0;

/**
 * The gateway still serves: REST and health answer, and two fresh clients can
 * join a new topic and exchange a broadcast. Rate limits are per second, so
 * this retries (briefly) while the window of the flood is still open.
 */
async function stillServes(api: Api): Promise<void> {
  expect((await call('/rest/v1/depots?select=id&limit=1', { token: service(), apiUrl: api.url })).status).toBe(200);
  expect((await call('/realtime/v1/api/health', { apiUrl: api.url })).status).toBe(200);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const topic = `after-${++topics}`;
    const [a, b] = [await socket(api), await socket(api)];
    const joins = [await joinWhenAllowed(a, topic), await joinWhenAllowed(b, topic)];
    if (joins.every((j) => j.status === 'ok')) {
      a.send(bcast(topic, null, { alive: true }, 'alive'));
      const got = await b.inbox.next((m) => m[3] === 'broadcast', 1_000).catch(() => null);
      if (got) return expect(got[4]).toMatchObject({ event: 'alive', payload: { alive: true } });
    }
    if (Date.now() > deadline) throw new Error(`gateway did not recover: ${JSON.stringify(joins)}`);
    await new Promise((resolve) => setTimeout(resolve, 250)); // the rate window, not an event
  }
}

describe('oversized payloads', () => {
  it('REST: a body over DEVSTACK_REST_MAX_BODY is answered 413, for writes and rpc', async () => {
    const big = JSON.stringify({ full_name: 'x'.repeat(20_000) });
    for (const path of ['/rest/v1/profiles', '/rest/v1/rpc/realtime_channel_grants']) {
      const res = await call(path, { token: service(), body: big, apiUrl: sizes.url });
      expect([path, res.status, (res.body as { message: string }).message]).toEqual([
        path,
        413,
        'Request body is larger than the limit of 16384 bytes',
      ]);
    }
    await stillServes(sizes);
  });

  it('auth: a body over its limit is answered 413 request_entity_too_large', async () => {
    const blob = 'x'.repeat(2 * 1024 * 1024);
    const token = await mintToken({ sub: USER.dispatcherNorth });
    for (const [path, method] of [
      ['/auth/v1/signup', 'POST'],
      ['/auth/v1/token?grant_type=password', 'POST'],
      ['/auth/v1/user', 'PUT'],
    ] as const) {
      const res = await call(path, {
        method,
        apikey: stack().anonKey,
        ...(method === 'PUT' ? { token } : {}),
        body: { email: 'big@example.com', password: 'secret-pass', data: { blob } },
        apiUrl: sizes.url,
      });
      expect([path, res.status, (res.body as { error_code: string }).error_code]).toEqual([
        path,
        413,
        'request_entity_too_large',
      ]);
    }
    expect((await call('/auth/v1/health', { apikey: stack().anonKey, apiUrl: sizes.url })).status).toBe(200);
  });

  it('realtime: a broadcast over the payload limit gets an error reply, the channel stays usable', async () => {
    const s = await socket(sizes);
    expect((await s.join('big', { broadcast: { ack: true, self: true } })).status).toBe('ok');
    s.send(bcast('big', 'over', { s: 'x'.repeat(2000) }));
    expect((await s.inbox.next((m) => m[1] === 'over'))[4]).toEqual({
      status: 'error',
      response: { reason: 'Payload size exceeded' },
    });
    s.send(bcast('big', 'under', { s: 'small' }));
    expect((await s.inbox.next((m) => m[1] === 'under'))[4]).toEqual({ status: 'ok', response: {} });
  });

  it('realtime REST broadcast: a body over the limit is answered 413', async () => {
    const payload = { s: 'x'.repeat(80 * 1024) };
    const res = await call('/realtime/v1/api/broadcast', {
      token: stack().anonKey,
      apiUrl: sizes.url,
      body: { messages: [{ topic: 'big', event: 'e', payload }] },
    });
    expect(res).toEqual({ status: 413, body: { message: 'Payload too large' } });
  });

  it('realtime: a presence track over the payload limit shuts the channel with "Track message size exceeded"', async () => {
    const s = await socket(sizes);
    await s.join('big-presence', { presence: { key: 'me', enabled: true } });
    s.send([
      '1',
      'track',
      'realtime:big-presence',
      'presence',
      { type: 'presence', event: 'track', payload: { s: 'x'.repeat(2000) } },
    ]);
    expect((await s.inbox.next((m) => m[3] === 'system'))[4]).toMatchObject({
      status: 'error',
      message: 'Track message size exceeded',
    });
    await s.inbox.next((m) => m[3] === 'phx_close');
  });

  it('realtime: a frame over the frame limit closes the socket with 1009; other clients are unaffected', async () => {
    const victim = await socket(sizes);
    await victim.join('frames');
    victim.ws.send('x'.repeat(9000));
    expect(await victim.closed).toBe(1009);
    await stillServes(sizes);
  });
});

describe('message floods', () => {
  it('events per second: the channel is shut down with "Too many messages per second"; REST broadcast gets 429', async () => {
    const s = await socket(floods);
    expect((await joinWhenAllowed(s, 'busy')).status).toBe('ok');
    for (let i = 0; i < 40; i++) s.send(bcast('busy', null, { i }));
    expect((await s.inbox.next((m) => m[3] === 'system'))[4]).toMatchObject({
      extension: 'system',
      status: 'error',
      message: 'Too many messages per second',
    });
    expect((await s.inbox.next((m) => m[3] === 'phx_close'))[2]).toBe('realtime:busy');
    const rest = await Promise.all(
      Array.from({ length: 30 }, () =>
        call('/realtime/v1/api/broadcast', {
          token: stack().anonKey,
          apiUrl: floods.url,
          body: { messages: [{ topic: 'busy', event: 'e', payload: {} }] },
        }),
      ),
    );
    expect(rest.map((r) => r.status)).toContain(429);
    expect(rest.find((r) => r.status === 429)?.body).toEqual({ message: 'Too many requests' });
    await stillServes(floods);
  });

  it('joins per second: ClientJoinRateLimitReached', async () => {
    const all = await Promise.all(Array.from({ length: 4 }, () => socket(floods)));
    const replies = await Promise.all(all.flatMap((s, i) => [0, 1, 2].map((j) => s.join(`j${i}-${j}-${topics}`))));
    expect(replies.map((r) => r.response.reason).filter(Boolean)).toContain(
      'ClientJoinRateLimitReached: Too many joins per second',
    );
    await stillServes(floods);
  });

  it('channels per client: ChannelRateLimitReached', async () => {
    const s = await socket(floods);
    const replies = [];
    for (let i = 1; i <= 4; i++) replies.push(await joinWhenAllowed(s, `c${i}-${topics}`));
    expect(replies.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'error']);
    expect(replies[3].response).toEqual({ reason: 'ChannelRateLimitReached: Too many channels' });
    await stillServes(floods);
  });

  it('presence calls: the channel is shut down with "Client presence rate limit exceeded"', async () => {
    const s = await socket(floods);
    expect((await joinWhenAllowed(s, 'presence-flood', { presence: { key: 'me', enabled: true } })).status).toBe('ok');
    for (let i = 0; i < 3; i++)
      s.send([
        '1',
        `t${i}`,
        'realtime:presence-flood',
        'presence',
        { type: 'presence', event: 'track', payload: { i } },
      ]);
    expect((await s.inbox.next((m) => m[3] === 'system'))[4]).toMatchObject({
      status: 'error',
      message: 'Client presence rate limit exceeded',
    });
    await s.inbox.next((m) => m[3] === 'phx_close');
    await stillServes(floods);
  });
});
