// public.realtime_channel_grants (what the Ably/Pusher auth routes grant) must
// agree with the realtime.messages policies (what Supabase Realtime grants).
import { afterAll, describe, expect, it } from 'vitest';
import { type Actor, actorLabel, asActor, connect, DEPOT, impersonate, USER } from '../support/db';

const sql = connect(2);
afterAll(() => sql.end());

const users = Object.values(USER).map((id): Actor => ({ kind: 'user', id }));
// The app's live tables (other test files make throw-away tables live in the same database meanwhile).
const LIVE_TABLES = ['shipments', 'shipment_notes'];
const topics = [
  ...LIVE_TABLES.flatMap((table) => [
    `${table}:${DEPOT.north}`,
    `${table}:${DEPOT.south}`,
    ...Object.values(USER).map((id) => `${table}:@${id}`),
  ]),
  `depot:${DEPOT.north}:live`,
  `depot:${DEPOT.south}:live`,
];
const isAppChannel = (channel: string) => channel.startsWith('depot:') || LIVE_TABLES.includes(channel.split(':')[0]);

/** What the policies allow, probed the way Realtime probes (rolled back). */
async function policyAccess(actor: Actor, topic: string) {
  const probe = async (extension: 'broadcast' | 'presence') => {
    let visible = false;
    await sql
      .begin(async (tx) => {
        await tx`insert into realtime.messages (topic, extension, private) values (${topic}, ${extension}, true)`;
        await tx`select set_config('realtime.topic', ${topic}, true)`;
        await impersonate(tx, actor);
        visible =
          (await tx`select 1 from realtime.messages where topic = ${topic} and extension = ${extension}`).length > 0;
        throw new Error('rollback');
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e;
      });
    return visible;
  };
  let write = false;
  await sql
    .begin(async (tx) => {
      await tx`select set_config('realtime.topic', ${topic}, true)`;
      await impersonate(tx, actor);
      await tx`insert into realtime.messages (topic, extension, private) values (${topic}, 'broadcast', true)`;
      write = true;
      throw new Error('rollback');
    })
    .catch((e: Error & { code?: string }) => {
      if (e.message !== 'rollback' && e.code !== '42501') throw e;
    });
  return { read: await probe('broadcast'), presence: await probe('presence'), write };
}

describe('realtime_channel_grants', () => {
  for (const actor of users) {
    it(`matches the realtime.messages policies for ${actorLabel(actor)}`, async () => {
      const grants = await asActor(
        sql,
        actor,
        (tx) =>
          tx<
            { channel: string; read: boolean; presence: boolean; write: boolean }[]
          >`select * from public.realtime_channel_grants()`,
      );
      const byChannel = new Map(grants.map((g) => [g.channel, g]));
      for (const topic of topics) {
        const granted = byChannel.get(topic) ?? { read: false, presence: false, write: false };
        const policy = await policyAccess(actor, topic);
        expect({ topic, read: granted.read, presence: granted.presence, write: granted.write }).toEqual({
          topic,
          ...policy,
        });
      }
      expect(grants.filter((g) => isAppChannel(g.channel)).every((g) => topics.includes(g.channel))).toBe(true);
    });
  }

  it('is not callable by anon', async () => {
    await expect(
      asActor(sql, { kind: 'anon' }, (tx) => tx`select * from public.realtime_channel_grants()`),
    ).rejects.toMatchObject({ code: '42501' });
  });
});
