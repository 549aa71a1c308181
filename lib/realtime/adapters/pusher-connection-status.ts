import { z } from 'zod';
import type { ConnectionStatusStore } from '../connection-status';

/** The part of pusher-js' connection manager this module listens to. */
interface PusherConnectionEvents {
  bind(event: string, callback: (data: never) => void): unknown;
}

/** Reports a pusher-js connection's states to the tab's status store. */
export function reportConnectionStatus(
  connection: PusherConnectionEvents,
  status: ConnectionStatusStore,
  warn: (message: string) => void,
): void {
  // Connection state → the tab's status store. pusher-js reconnects on its own
  // schedule (retry after ~1 s, then its transport timeouts; "unavailable"
  // after 10 s without a connection) and resubscribes every channel.
  let attempt = 0;
  let retryAnnounced = false;
  connection.bind('connecting_in', (seconds: number) => {
    attempt += 1;
    retryAnnounced = true;
    status.reconnecting(attempt, seconds * 1000, 'connection lost');
  });
  connection.bind('state_change', ({ previous, current }: { previous: string; current: string }) => {
    switch (current) {
      case 'connected':
        attempt = 0;
        status.connected();
        break;
      case 'connecting':
        if (previous === 'initialized') break;
        if (!retryAnnounced) attempt += 1;
        retryAnnounced = false;
        status.reconnecting(attempt, 0, 'reconnecting to Pusher');
        break;
      case 'unavailable':
        status.reconnecting(
          Math.max(attempt, 1),
          0,
          'Pusher is unreachable (network down or service unavailable); still retrying',
        );
        break;
      case 'failed':
        status.update({
          state: 'offline',
          nextRetryAt: null,
          reason: 'This browser cannot connect to Pusher (no WebSocket support).',
        });
        break;
      case 'disconnected':
        status.update({ state: 'offline', nextRetryAt: null, reason: 'Disconnected from Pusher.' });
        break;
    }
  });
  connection.bind('error', (error: unknown) => {
    const detail = z.object({ code: z.number().nullable().optional(), message: z.string().optional() });
    const parsed = z
      .union([z.object({ data: detail }), z.object({ error: z.object({ data: detail }) })])
      .safeParse(error);
    const data = parsed.success ? ('data' in parsed.data ? parsed.data.data : parsed.data.error.data) : null;
    warn(data ? `Pusher error ${data.code ?? ''}: ${data.message ?? 'no message'}` : 'Pusher connection error');
  });
}
