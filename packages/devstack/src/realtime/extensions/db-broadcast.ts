import type { RealtimeContext } from '../context';
import { TopicHub } from '../hub';
import type { StoredBroadcast } from './postgres-changes';

/**
 * Broadcast from Database: a committed realtime.messages row (realtime.send,
 * realtime.broadcast_changes) goes to its topic with meta.id. Channels that
 * already got the row by replay skip it (acceptsBroadcast).
 */
export function deliverStoredBroadcast(ctx: RealtimeContext, message: StoredBroadcast): void {
  ctx.hub.broadcast(TopicHub.key(message.topic, message.isPrivate), {
    event: message.event,
    body: { kind: 'json', value: message.payload },
    meta: { id: message.id },
    binaryFrame: false,
  });
}
