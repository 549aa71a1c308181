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
  };
}
