import { broadcastPushSchema } from '../messages';
import { broadcastSize, type BroadcastMessage, type BroadcastPush, type Frame } from '../serializer';
import type { JoinedChannel } from '../types';
import { canWrite } from './authorization';

/**
 * A broadcast pushed by a client (text or binary frame): write-checked on
 * private channels (once, on the first send), size-checked, fanned out to the
 * topic (without the sender unless `self`), acknowledged when `ack`.
 */
export async function handleBroadcastPush(channel: JoinedChannel, frame: Frame | BroadcastPush): Promise<void> {
  let message: BroadcastMessage;
  if ('broadcast' in frame) {
    message = frame.broadcast;
  } else {
    const parsed = broadcastPushSchema.safeParse(frame.payload);
    if (!parsed.success) return;
    message = {
      event: parsed.data.event,
      body: { kind: 'json', value: parsed.data.payload ?? {} },
      binaryFrame: false,
    };
  }
  const { ctx } = channel.connection;
  const policies = channel.policies;
  if (policies) {
    if (policies.broadcastWrite === null) {
      policies.broadcastWrite = await canWrite(ctx.sql, channel.subTopic, channel.claims, 'broadcast');
    }
    // Unauthorized private sends are dropped silently, as Supabase does.
    if (!policies.broadcastWrite) return;
  }
  if (broadcastSize(message) > ctx.limits.maxPayloadBytes) {
    if (channel.settings.ackBroadcast) channel.reply(frame.ref, 'error', { reason: 'Payload size exceeded' });
    return;
  }
  ctx.hub.broadcast(channel.key, message, channel.settings.selfBroadcast ? undefined : channel);
  if (channel.settings.ackBroadcast) channel.reply(frame.ref, 'ok', {});
}
