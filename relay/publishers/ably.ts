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
    refusal: ablyRefusal,
  };
}

/**
 * Ably refuses a message for good with 40009 (over the 64 KiB message size,
 * also checked by ably-js before sending), 40160/40161 (the key's capability
 * does not allow publishing there), 403 (forbidden) and other 400xx (a
 * malformed message). Token and key errors (401xx), rate limits and server or
 * network failures are worth retrying.
 */
export function ablyRefusal(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const { code, statusCode } = err as { code?: number; statusCode?: number };
  if (code === 40009 || statusCode === 413) return `too large (Ably ${code ?? statusCode})`;
  if (code === 40160 || code === 40161 || statusCode === 403) return `forbidden (Ably ${code ?? statusCode})`;
  if (statusCode === 400 && code !== undefined && code >= 40000 && code < 40100) return `malformed (Ably ${code})`;
  if (err instanceof Error && code === undefined && statusCode === undefined)
    return `rejected before sending: ${err.message}`;
  return null;
}
