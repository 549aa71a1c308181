import * as Ably from 'ably';
import { providerChannelName } from '../../lib/realtime/channel-names';
import type { AblyConfig } from '../config';
import type { Publisher } from './publisher';

/** Where verify() publishes: a channel no client subscribes to. */
export const ABLY_CHECK_CHANNEL = 'switchboard:relay-check';

/** Publishes with Ably's REST API (one HTTP request per message; Ably orders a channel's messages as it accepts them). */
export function ablyPublisher(config: AblyConfig): Publisher {
  const rest = new Ably.Rest({
    key: config.apiKey,
    // JSON rather than MessagePack: readable on the wire, and what tests/fakes speaks.
    useBinaryProtocol: false,
    // An FQDN, IP or localhost endpoint means that host and no fallback hosts.
    ...(config.restHost ? { endpoint: config.restHost } : {}),
    ...(config.port !== undefined ? (config.tls === false ? { port: config.port } : { tlsPort: config.port }) : {}),
    ...(config.tls !== undefined ? { tls: config.tls } : {}),
    logLevel: 0,
  });
  return {
    name: 'ably',
    async publish(channel, event, payload) {
      await rest.channels.get(providerChannelName('ably', channel)).publish(event, payload);
    },
    async verify() {
      // rest.time() is unauthenticated; a publish proves the key and its publish capability.
      await rest.channels.get(ABLY_CHECK_CHANNEL).publish('relay_started', { at: new Date().toISOString() });
    },
  };
}
