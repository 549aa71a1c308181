import { z } from 'zod';
import type { StatusLink } from '../connection-status';

/** The part of pusher-js' connection manager this module listens to. */
interface PusherConnectionEvents {
  bind(event: string, callback: (data: never) => void): unknown;
}

/**
 * Reports a pusher-js connection's states through its status link. pusher-js
 * reconnects on its own schedule (retry after ~1 s, then its transport
 * timeouts; "unavailable" after 10 s without a connection) and resubscribes
 * every channel; `onLeftConnected` runs whenever the connection stops being
 * open, so the adapter can mark its channels as waiting for resubscription.
 */
export function reportConnectionStatus(
  connection: PusherConnectionEvents,
  link: StatusLink,
  warn: (message: string) => void,
  onLeftConnected: () => void = () => {},
): void {
  let attempt = 0;
  let retryAnnounced = false;
  connection.bind('connecting_in', (seconds: number) => {
    attempt += 1;
    retryAnnounced = true;
    link.retrying(attempt, seconds * 1000, 'connection lost');
  });
  connection.bind('state_change', ({ previous, current }: { previous: string; current: string }) => {
    if (previous === 'connected' && current !== 'connected') onLeftConnected();
    switch (current) {
      case 'connected':
        attempt = 0;
        link.connected();
        break;
      case 'connecting':
        if (previous === 'initialized') {
          link.connecting('connecting to Pusher');
          break;
        }
        if (!retryAnnounced) attempt += 1;
        retryAnnounced = false;
        // The wait announced by connecting_in is over: trying now.
        link.retrying(attempt, null, 'reconnecting to Pusher');
        break;
      case 'unavailable':
        link.retrying(
          Math.max(attempt, 1),
          null,
          'Pusher is unreachable (network down or service unavailable); still retrying',
        );
        break;
      case 'failed':
        link.failed('This browser cannot connect to Pusher (no WebSocket support).');
        break;
      case 'disconnected':
        link.failed('Disconnected from Pusher.');
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
