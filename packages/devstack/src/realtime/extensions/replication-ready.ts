import { EVENTS, REPLICATION_READY_TIMEOUT_MS } from '../constants';
import type { JoinedChannel } from '../types';

const CHECK_INTERVAL_MS = 500;

/**
 * broadcast.replication_ready (Supabase's RealtimeChannel :notify_replication_ready):
 * a system message "Replication connection established" once the change
 * stream is live, checked every 500 ms; the channel is shut down if it is not
 * live within a minute. Returns a function that stops waiting.
 */
export function notifyReplicationReady(channel: JoinedChannel, streaming: () => boolean): () => void {
  const deadline = Date.now() + REPLICATION_READY_TIMEOUT_MS;
  let timer: NodeJS.Timeout | null = null;
  const check = () => {
    if (streaming()) {
      channel.push(EVENTS.system, {
        extension: 'system',
        status: 'ok',
        message: 'Replication connection established',
        channel: channel.subTopic,
      });
    } else if (Date.now() >= deadline) {
      channel.shutdown('Replication connection was not established in time');
    } else {
      timer = setTimeout(check, CHECK_INTERVAL_MS);
      timer.unref();
    }
  };
  check();
  return () => {
    if (timer) clearTimeout(timer);
  };
}
