import type { RealtimeContext } from '../context';
import { TopicHub } from '../hub';
import type { StoredBroadcast } from './postgres-changes';

/**
 * Broadcast from Database: a committed realtime.messages row (realtime.send,
 * realtime.send_binary, realtime.broadcast_changes) goes to its topic with
 * meta.id. A binary_payload goes out as a serializer-2.0.0 binary frame (raw
 * bytes) and is skipped for 1.0.0 clients, which cannot represent it, as
 * Supabase does. Channels that already got the row by replay skip it
 * (acceptsBroadcast).
 */
export function deliverStoredBroadcast(ctx: RealtimeContext, message: StoredBroadcast): void {
  ctx.hub.broadcast(TopicHub.key(message.topic, message.isPrivate), {
    event: message.event,
    body: message.body,
    meta: { id: message.id },
    binaryFrame: message.body.kind === 'binary',
  });
}
