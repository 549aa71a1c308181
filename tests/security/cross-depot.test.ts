// North's dispatcher attacks South through every path: REST writes, socket and
// REST broadcasts, presence, the Pusher auth logic and the Ably token. Every
// path is refused (or silently dropped, as Supabase does for private sends),
// the database is unchanged, and South's subscribers receive nothing while a
// control message sent afterwards arrives.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, DEPOT, USER } from '../support/db';
import { mintToken } from '@switchboard/devstack/testing';
import { ablyToken, call, EMAIL, Inbox, openSocket, pusherAuth, signIn, type Frame, type RawSocket } from './support';

const sql = connect(2);
const S = DEPOT.south;
const sockets: RawSocket[] = [];
let north: string;
let south: string;
let southShipment: string;
let northShipment: string;

beforeAll(async () => {
  [north, south] = await Promise.all([
    mintToken({ sub: USER.dispatcherNorth }),
    mintToken({ sub: USER.dispatcherSouth }),
  ]);
  [{ id: southShipment }] = await sql<
    { id: string }[]
  >`select id from public.shipments where depot_id = ${S} and reference like 'SOU-%' order by reference limit 1`;
  [{ id: northShipment }] = await sql<
    { id: string }[]
  >`select id from public.shipments where depot_id = ${DEPOT.north} and reference like 'NOR-%' order by reference limit 1`;
});
afterAll(async () => {
  sockets.forEach((s) => s.ws.close());
  await sql.end();
});

/** A digest of everything of South's (and the North row the attacker tries to move). */
async function southDigest(): Promise<string> {
  const [{ digest }] = await sql<{ digest: string }[]>`
    select md5(concat_ws('|',
      (select string_agg(s::text, ',' order by s.id) from public.shipments s where s.depot_id = ${S} or s.id = ${northShipment}),
      (select string_agg(e::text, ',' order by e.id) from public.shipment_events e where e.depot_id = ${S}),
      (select string_agg(m::text, ',' order by m.user_id) from public.depot_members m where m.depot_id = ${S}),
      (select string_agg(p::text, ',' order by p.id) from public.profiles p where p.id in (select user_id from public.depot_members where depot_id = ${S})),
      (select d::text from public.depots d where d.id = ${S}))) as digest`;
  return digest;
}

describe('REST writes into South', () => {
  const ref = `XD-${randomUUID().slice(0, 8).toUpperCase()}`;
  const json = { Prefer: 'return=representation' };
  // RLS answers a write it filters out with 200 and no rows (PostgREST), one it
  // refuses by WITH CHECK or grant with 403 42501; the shipment rules trigger
  // refuses a depot change with 400 23514.
  const cases: Array<{
    name: string;
    method: string;
    path: () => string;
    body?: () => unknown;
    prefer?: string;
    expect: [number, unknown];
  }> = [
    {
      name: 'insert a shipment into South',
      method: 'POST',
      path: () => '/rest/v1/shipments',
      body: () => ({ depot_id: S, reference: ref, recipient: 'x', address: 'y' }),
      expect: [403, '42501'],
    },
    {
      name: 'upsert over a South shipment',
      method: 'POST',
      path: () => '/rest/v1/shipments?on_conflict=id',
      prefer: 'resolution=merge-duplicates,return=representation',
      body: () => ({ id: southShipment, depot_id: S, reference: 'SOU-HACKED', recipient: 'x', address: 'y' }),
      expect: [403, '42501'],
    },
    {
      name: 'update a South shipment',
      method: 'PATCH',
      path: () => `/rest/v1/shipments?id=eq.${southShipment}`,
      body: () => ({ recipient: 'hacked' }),
      expect: [200, []],
    },
    {
      name: 'move a North shipment into South',
      method: 'PATCH',
      path: () => `/rest/v1/shipments?id=eq.${northShipment}`,
      body: () => ({ depot_id: S }),
      expect: [400, '23514'],
    },
    {
      name: 'delete South shipments',
      method: 'DELETE',
      path: () => `/rest/v1/shipments?depot_id=eq.${S}`,
      expect: [200, []],
    },
    {
      name: 'insert a South shipment event',
      method: 'POST',
      path: () => '/rest/v1/shipment_events',
      body: () => ({ depot_id: S, seq: 999999, shipment_id: southShipment, operation: 'UPDATE', version: 99 }),
      expect: [403, '42501'],
    },
    {
      name: 'update South shipment events',
      method: 'PATCH',
      path: () => `/rest/v1/shipment_events?depot_id=eq.${S}`,
      body: () => ({ status: 'delivered' }),
      expect: [403, '42501'],
    },
    {
      name: 'delete South shipment events',
      method: 'DELETE',
      path: () => `/rest/v1/shipment_events?depot_id=eq.${S}`,
      expect: [403, '42501'],
    },
    {
      name: 'join South as a member',
      method: 'POST',
      path: () => '/rest/v1/depot_members',
      body: () => ({ depot_id: S, user_id: USER.dispatcherNorth }),
      expect: [403, '42501'],
    },
    {
      name: 'move own membership to South',
      method: 'PATCH',
      path: () => `/rest/v1/depot_members?user_id=eq.${USER.dispatcherNorth}`,
      body: () => ({ depot_id: S }),
      expect: [200, []],
    },
    {
      name: "remove South's members",
      method: 'DELETE',
      path: () => `/rest/v1/depot_members?depot_id=eq.${S}`,
      expect: [200, []],
    },
    {
      name: "rename South's dispatcher",
      method: 'PATCH',
      path: () => `/rest/v1/profiles?id=eq.${USER.dispatcherSouth}`,
      body: () => ({ full_name: 'hacked' }),
      expect: [200, []],
    },
    {
      name: "demote South's dispatcher",
      method: 'PATCH',
      path: () => `/rest/v1/profiles?id=eq.${USER.dispatcherSouth}`,
      body: () => ({ role: 'driver' }),
      expect: [403, '42501'],
    },
    {
      name: 'promote self (role column)',
      method: 'PATCH',
      path: () => `/rest/v1/profiles?id=eq.${USER.dispatcherNorth}`,
      body: () => ({ role: 'dispatcher' }),
      expect: [403, '42501'],
    },
    {
      name: 'rename the South depot',
      method: 'PATCH',
      path: () => `/rest/v1/depots?id=eq.${S}`,
      body: () => ({ name: 'hacked' }),
      expect: [200, []],
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s: refused, nothing changes', async (_name, c) => {
    const before = await southDigest();
    const res = await call(c.path(), {
      method: c.method,
      token: north,
      body: c.body?.(),
      headers: { ...json, ...(c.prefer ? { Prefer: c.prefer } : {}) },
    });
    const [status, outcome] = c.expect;
    expect({
      status: res.status,
      outcome: Array.isArray(res.body) ? res.body : (res.body as { code?: string }).code,
    }).toEqual({ status, outcome });
    expect(await southDigest()).toBe(before);
    expect(await sql`select 1 from public.shipments where reference in (${ref}, 'SOU-HACKED')`).toHaveLength(0);
  });
});

describe('realtime into South', () => {
  type Seen = { topic: string; event: string; payload: unknown };

  /** South's dispatcher on both private South topics (one socket, so arrival order is send order). */
  async function southWatcher() {
    const socket = await openSocket(south);
    sockets.push(socket);
    for (const topic of [`shipments:${S}`, `depot:${S}:live`]) {
      expect(
        (await socket.join(topic, { private: true, presence: { key: USER.dispatcherSouth, enabled: true } }, south))
          .status,
      ).toBe('ok');
    }
    const seen = new Inbox<Seen>();
    socket.ws.on('message', (data) => {
      const [, , topic, event, payload] = JSON.parse(data.toString()) as Frame;
      if (event !== 'phx_reply' && event !== 'presence_state') seen.push({ topic, event, payload });
    });
    return { socket, seen };
  }

  it('socket: joins refused; broadcasts and presence pushed anyway are dropped; South sees only its own control', async () => {
    const { seen } = await southWatcher();
    const attacker = await openSocket(north);
    sockets.push(attacker);
    for (const topic of [`shipments:${S}`, `depot:${S}:live`]) {
      expect(await attacker.join(topic, { private: true, presence: { key: 'x', enabled: true } }, north)).toEqual({
        status: 'error',
        response: { reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}` },
      });
      // Frames for a topic the socket did not join are ignored.
      attacker.send([
        '9',
        '9',
        `realtime:${topic}`,
        'broadcast',
        { type: 'broadcast', event: 'forged', payload: { from: 'north' } },
      ]);
      attacker.send([
        '9',
        '9',
        `realtime:${topic}`,
        'presence',
        { type: 'presence', event: 'track', payload: { from: 'north' } },
      ]);
      // The same name without private:true is another (public) namespace: joining it reaches nobody of South.
      expect((await attacker.join(topic, {}, north)).status).toBe('ok');
      attacker.send([
        '9',
        null,
        `realtime:${topic}`,
        'broadcast',
        { type: 'broadcast', event: 'forged', payload: { from: 'north-public' } },
      ]);
      attacker.send([
        '9',
        null,
        `realtime:${topic}`,
        'presence',
        { type: 'presence', event: 'track', payload: { from: 'north-public' } },
      ]);
    }
    // A heartbeat round trip: the server has processed every frame above.
    attacker.send([null, 'hb', 'phoenix', 'heartbeat', {}]);
    await attacker.inbox.next((m) => m[1] === 'hb');
    await expectOnlyControl(seen);
  });

  it('REST broadcast: private South topics are dropped (202, as Supabase); North control arrives', async () => {
    const { seen } = await southWatcher();
    const northWatcher = await openSocket(north);
    sockets.push(northWatcher);
    await northWatcher.join(`depot:${DEPOT.north}:live`, { private: true }, north);
    const messages = [`shipments:${S}`, `depot:${S}:live`].map((topic) => ({
      topic,
      event: 'forged',
      payload: { from: 'north' },
      private: true,
    }));
    expect((await call('/realtime/v1/api/broadcast', { token: north, body: { messages } })).status).toBe(202);
    for (const topic of [`shipments:${S}`, `depot:${S}:live`]) {
      const single = await call(`/realtime/v1/api/broadcast/${encodeURIComponent(topic)}/events/forged?private=true`, {
        token: north,
        body: { from: 'north' },
      });
      expect(single.status).toBe(202);
    }
    expect(
      (
        await call('/realtime/v1/api/broadcast', {
          token: north,
          body: { messages: [{ topic: `depot:${DEPOT.north}:live`, event: 'control', payload: {}, private: true }] },
        })
      ).status,
    ).toBe(202);
    await northWatcher.inbox.next((m) => m[3] === 'broadcast' && (m[4] as { event?: string }).event === 'control');
    await expectOnlyControl(seen);
  });

  /** South sends a control on its live topic; it must be the only thing South's socket ever saw. */
  async function expectOnlyControl(seen: Inbox<Seen>): Promise<void> {
    expect(
      (
        await call('/realtime/v1/api/broadcast', {
          token: south,
          body: {
            messages: [{ topic: `depot:${S}:live`, event: 'control', payload: { from: 'south' }, private: true }],
          },
        })
      ).status,
    ).toBe(202);
    await seen.next((m) => m.event === 'broadcast');
    expect(seen.items).toEqual([
      {
        topic: `realtime:depot:${S}:live`,
        event: 'broadcast',
        payload: { type: 'broadcast', event: 'control', payload: { from: 'south' } },
      },
    ]);
  }
});

describe('provider auth routes for South', () => {
  it('Pusher: every spelling of a South channel is refused, North is signed', async () => {
    const session = await signIn(EMAIL.dispatcherNorth);
    const refused = [
      `private-shipments-${S}`,
      `presence-depot-${S}-live`,
      `private-shipments-${S}-live`,
      `presence-depot-${S}`,
      `private-shipments-${S.toUpperCase()}`,
      `private-encrypted-depot-${S}`,
      `private-shipments-${S} `,
      `private-shipments-${DEPOT.north},private-shipments-${S}`,
      `private-shipments-@${USER.driverSouth1}`,
    ];
    for (const channel of refused) {
      const res = await pusherAuth(session, channel);
      expect([channel, res.status]).toEqual([channel, 403]);
    }
    // A socket id with a channel smuggled in is not a socket id.
    expect((await pusherAuth(session, `private-shipments-${DEPOT.north}`, `1.2:private-shipments-${S}`)).status).toBe(
      400,
    );
    expect((await pusherAuth(session, `private-shipments-${DEPOT.north}`)).status).toBe(200);
  });

  it("Ably: the North dispatcher's capability names no South channel", async () => {
    const outcome = await ablyToken(await signIn(EMAIL.dispatcherNorth));
    if (!outcome.ok) throw new Error(outcome.reason);
    const capability = JSON.parse(outcome.tokenRequest.capability) as Record<string, string[]>;
    expect(Object.keys(capability)).toContain(`shipments:${DEPOT.north}`);
    expect(Object.keys(capability).filter((c) => c.includes(S) || c.includes('*'))).toEqual([]);
    expect(outcome.tokenRequest.clientId).toBe(USER.dispatcherNorth);
  });
});
