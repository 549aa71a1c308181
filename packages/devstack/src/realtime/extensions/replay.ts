import { EVENTS } from '../constants';
import type { StoredMessage } from '../join';
import { encodeBroadcast } from '../serializer';
import type { JoinedChannel } from '../types';

/**
 * Sends a private channel's replayed messages (broadcast.replay), oldest
 * first, with meta {replayed: true, id}. A binary_payload goes out as a
 * serializer-2.0.0 binary frame; 1.0.0 clients cannot represent it and get
 * nothing, as in Supabase's RealtimeChannel.replay.
 */
export function sendReplay(channel: JoinedChannel, messages: StoredMessage[]): void {
  for (const message of messages) {
    const meta = { replayed: true, id: message.id };
    if (message.binary_payload) {
      const frame = encodeBroadcast(channel.vsn, channel.topic, {
        event: message.event ?? '',
        body: { kind: 'binary', bytes: message.binary_payload },
        meta,
        binaryFrame: true,
      });
      if (frame) channel.sendRaw(frame, 'broadcast');
      continue;
    }
    channel.push(EVENTS.broadcast, { type: 'broadcast', event: message.event, payload: message.payload, meta });
  }
}
