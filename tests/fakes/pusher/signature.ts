import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// The two HMAC-SHA256 signatures of Pusher Channels: channel authorization
// (client → WebSocket) and signed REST requests (server SDK → HTTP API).

export function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

export function md5Hex(body: string | Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Verifies `auth` = "<key>:<hex hmac>" over `socket_id:channel` (private) or
 * `socket_id:channel:channel_data` (presence, the exact string the client sent).
 * Returns null when valid, else why not.
 */
export function verifyChannelAuth(
  app: { key: string; secret: string },
  params: { socketId: string; channel: string; auth: string | undefined; channelData?: string },
): string | null {
  if (!params.auth) return `Auth value for subscription to ${params.channel} is missing`;
  const separator = params.auth.indexOf(':');
  if (separator < 0)
    return `Auth value for subscription to ${params.channel} is invalid: should be of format 'key:signature'`;
  const key = params.auth.slice(0, separator);
  if (key !== app.key) return `Invalid key '${key}' in auth value for ${params.channel}`;
  const signed =
    params.channelData === undefined
      ? `${params.socketId}:${params.channel}`
      : `${params.socketId}:${params.channel}:${params.channelData}`;
  return safeEqual(params.auth.slice(separator + 1), hmacHex(app.secret, signed))
    ? null
    : `Invalid signature: expected HMAC SHA256 hex digest of ${signed}`;
}

/** The string a REST request signs: method, path and the sorted query without auth_signature. */
export function restSigningString(method: string, path: string, query: URLSearchParams): string {
  const pairs = [...query.entries()]
    .filter(([k]) => k !== 'auth_signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method}\n${path}\n${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
}
