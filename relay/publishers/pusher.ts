import Pusher from 'pusher';
import { providerChannelName } from '../../lib/realtime/channel-names';
import type { PusherConfig } from '../config';
import type { Publisher } from './publisher';

/** Where verify() triggers: a public channel no client subscribes to (Pusher allows no ':'). */
export const PUSHER_CHECK_CHANNEL = 'switchboard-relay-check';

/** Publishes with Pusher's HTTP API (POST /apps/:id/events, signed with the app secret). */
export function pusherPublisher(config: PusherConfig): Publisher {
  const base = {
    appId: config.appId,
    key: config.key,
    secret: config.secret,
    useTLS: config.useTLS ?? true,
    timeout: 10_000,
  };
  const pusher = config.host
    ? new Pusher({ ...base, host: config.host, ...(config.port !== undefined ? { port: String(config.port) } : {}) })
    : new Pusher({ ...base, cluster: config.cluster ?? 'mt1' });
  return {
    name: 'pusher',
    async publish(channel, event, payload) {
      await pusher.trigger(providerChannelName('pusher', channel), event, payload);
    },
    async verify() {
      // Signed with the secret: a wrong app id, key or secret is refused (401/403/404).
      await pusher.trigger(PUSHER_CHECK_CHANNEL, 'relay_started', { at: new Date().toISOString() });
    },
    refusal: pusherRefusal,
  };
}

/**
 * Pusher's HTTP API refuses a message for good with 413 (data over 10 KB), 403
 * (forbidden: app disabled or over quota) and 400 (malformed event). 401 (the
 * signature: credentials, clock) and 5xx/network failures are worth retrying.
 * An error thrown before any request (the SDK's or the channel mapping's
 * checks) fails the same way every time.
 */
export function pusherRefusal(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  if (err.name !== 'PusherRequestError') return `rejected before sending: ${err.message}`;
  const status = (err as { status?: number }).status;
  if (status === 413) return 'too large (HTTP 413)';
  if (status === 403) return 'forbidden (HTTP 403)';
  if (status === 400) return 'malformed (HTTP 400)';
  return null;
}
