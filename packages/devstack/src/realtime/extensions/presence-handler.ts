import { EVENTS } from '../constants';
import type { RealtimeContext } from '../context';
import { presencePushSchema } from '../messages';
import type { Frame } from '../serializer';
import type { JoinedChannel } from '../types';
import { canWrite } from './authorization';
import type { PresenceDiff } from './presence';

/** Sends a presence_diff to every channel of the topic that receives presence. */
export function sendPresenceDiff(ctx: RealtimeContext, key: string, diff: PresenceDiff): void {
  for (const member of ctx.hub.members(key)) member.receivePresenceDiff(diff);
}

/** track / untrack from a client, with Supabase's per-client rate limit and size limit. */
export async function handlePresencePush(channel: JoinedChannel, frame: Frame): Promise<void> {
  const { ctx } = channel.connection;
  const parsed = presencePushSchema.safeParse(frame.payload);
  if (!parsed.success) {
    channel.reply(frame.ref, 'error', { reason: 'Presence track payload must be a map' });
    return;
  }
  const now = Date.now();
  channel.presenceCalls = channel.presenceCalls.filter((t) => now - t < ctx.limits.presenceWindowMs);
  if (channel.presenceCalls.length >= ctx.limits.maxPresenceCalls) {
    channel.shutdown('Client presence rate limit exceeded');
    return;
  }
  channel.presenceCalls.push(now);

  const push = parsed.data;
  if (push.event === 'track') {
    const payload = push.payload ?? {};
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      channel.reply(frame.ref, 'error', { reason: 'Presence track payload must be a map' });
      return;
    }
    if (Buffer.byteLength(JSON.stringify(payload)) > ctx.limits.maxPayloadBytes) {
      channel.shutdown('Track message size exceeded');
      return;
    }
    const policies = channel.policies;
    if (policies) {
      if (policies.presenceWrite === null) {
        policies.presenceWrite = await canWrite(ctx.sql, channel.subTopic, channel.claims, 'presence');
      }
      if (!policies.presenceWrite) {
        channel.reply(frame.ref, 'error', {
          reason: `Unauthorized: You do not have permissions to write to this Channel topic: ${channel.subTopic}`,
        });
        return;
      }
    }
    // A track enables presence for a channel that joined without it (Supabase does the same).
    if (!channel.presenceEnabled) {
      channel.presenceEnabled = true;
      if (channel.canReadPresence()) channel.push(EVENTS.presenceState, ctx.presence.state(channel.key));
    }
    const diff = ctx.presence.track(channel, payload as Record<string, unknown>);
    channel.reply(frame.ref, 'ok', {});
    if (diff) sendPresenceDiff(ctx, channel.key, diff);
    return;
  }
  const diff = ctx.presence.untrack(channel);
  channel.reply(frame.ref, 'ok', {});
  if (diff) sendPresenceDiff(ctx, channel.key, diff);
}
