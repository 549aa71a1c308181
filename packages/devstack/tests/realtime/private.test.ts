import { afterAll, expect, test } from 'vitest';
import { connect, DEPOT, USER } from '../support/fixture';
import {
  closeClients,
  Inbox,
  mintToken,
  realtimeClient,
  setToken,
  subscribeFailure,
  subscribed,
} from '../../src/testing/realtime';

// Reads the seed's depots and people; writes only ephemeral broadcasts and
// realtime.messages rows under an event name no app code listens to.
const sql = connect(2);

afterAll(async () => {
  await closeClients();
  await sql.end();
});

type Broadcast = { event: string; payload: Record<string, unknown>; meta?: { id?: string; replayed?: boolean } };

async function userClient(id: string) {
  return realtimeClient({ token: await mintToken({ sub: id }) });
}

test("North's dispatcher cannot join South's private depot channel; HQ joins both", async () => {
  const north = await userClient(USER.dispatcherNorth);
  const failure = await subscribeFailure(north.channel(`shipments:${DEPOT.south}`, { config: { private: true } }));
  expect(failure.status).toBe('CHANNEL_ERROR');
  expect(failure.error?.message).toBe(
    `Unauthorized: You do not have permissions to read from this Channel topic: shipments:${DEPOT.south}`,
  );
  await subscribed(north.channel(`shipments:${DEPOT.north}`, { config: { private: true } }));

  const hq = await userClient(USER.dispatcherHq);
  await subscribed(hq.channel(`shipments:${DEPOT.north}`, { config: { private: true } }));
  await subscribed(hq.channel(`shipments:${DEPOT.south}`, { config: { private: true } }));
});

test('Broadcast from Database reaches the private channel after commit, with meta.id, and replays', async () => {
  const since = Date.now() - 1000;
  const topic = `shipments:${DEPOT.north}`;
  const dispatcher = await userClient(USER.dispatcherNorth);
  const inbox = new Inbox<Broadcast>();
  await subscribed(
    dispatcher
      .channel(topic, { config: { private: true } })
      .on('broadcast', { event: 'rt_test_probe' }, (m) => inbox.push(m as unknown as Broadcast)),
  );
  // The same name as a public channel is another namespace: it must not get the private message.
  const publicInbox = new Inbox<Broadcast>();
  await subscribed(
    (await realtimeClient())
      .channel(topic)
      .on('broadcast', { event: '*' }, (m) => publicInbox.push(m as unknown as Broadcast)),
  );

  const probe = `probe-${Date.now()}`;
  // Sent inside a transaction: nothing may arrive before it commits.
  await sql.begin(async (tx) => {
    await tx`select realtime.send(${sql.json({ id: probe })}, 'rt_test_probe', ${topic}, true)`;
    await tx`select pg_sleep(0.2)`;
    expect(inbox.items).toEqual([]);
  });
  const live = await inbox.next((m) => m.payload.id === probe);
  expect(live.meta?.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(publicInbox.items).toEqual([]);

  const later = await userClient(USER.dispatcherNorth);
  const replayed = new Inbox<Broadcast>();
  await subscribed(
    later
      .channel(topic, { config: { private: true, broadcast: { replay: { since, limit: 25 } } } })
      .on('broadcast', { event: 'rt_test_probe' }, (m) => replayed.push(m as unknown as Broadcast)),
  );
  const again = await replayed.next((m) => m.payload.id === probe);
  expect(again.meta).toEqual({ id: live.meta?.id, replayed: true });
});

test('replay is refused on public channels', async () => {
  const client = await realtimeClient();
  expect(() => client.channel('public-replay', { config: { broadcast: { replay: { since: 0 } } } })).toThrow(/private/);
});

test('write is checked on first send: members may broadcast on :live, nobody on the changes topic', async () => {
  const driver = await userClient(USER.driverNorth1);
  const dispatcher = await userClient(USER.dispatcherNorth);
  const inbox = new Inbox<Broadcast>();
  const live = `depot:${DEPOT.north}:live`;
  await subscribed(
    dispatcher
      .channel(live, { config: { private: true } })
      .on('broadcast', { event: 'rt_test_pos' }, (m) => inbox.push(m as unknown as Broadcast)),
  );
  const tx = await subscribed(driver.channel(live, { config: { private: true, broadcast: { ack: true } } }));
  expect(await tx.send({ type: 'broadcast', event: 'rt_test_pos', payload: { lat: 1 } })).toBe('ok');
  expect(await inbox.next()).toMatchObject({ payload: { lat: 1 } });

  const forger = await subscribed(
    dispatcher.channel(`shipments:${DEPOT.north}`, { config: { private: true, broadcast: { ack: true } } }),
  );
  expect(
    await forger.send({ type: 'broadcast', event: 'rt_test_forged', payload: { forged: true } }, { timeout: 1500 }),
  ).toBe('timed out');
});

test('a refreshed token that loses read permission closes the channel with the reason', async () => {
  const client = await userClient(USER.dispatcherHq);
  const system = new Inbox<{ status: string; message: string; extension: string }>();
  const closed = new Inbox<string>();
  const channel = client
    .channel(`shipments:${DEPOT.north}`, { config: { private: true } })
    .on('system', {}, (m) => system.push(m));
  channel.subscribe((status) => closed.push(status));
  await closed.next((s) => s === 'SUBSCRIBED');
  await setToken(client, await mintToken({ sub: USER.dispatcherSouth }));
  expect(await system.next((m) => m.status === 'error')).toMatchObject({
    extension: 'system',
    message: `You no longer have permission to read from this Channel topic: shipments:${DEPOT.north}`,
  });
  await closed.next((s) => s === 'CLOSED');
});
