import { publicRealtimeConfig, type PublicRealtimeConfig } from '@/lib/realtime/config';
import { publicEnv } from '@/lib/supabase/env';

/** http(s)://host:port → the origin plus its WebSocket twin. */
function withSocket(url: string): string[] {
  const { origin, protocol, host } = new URL(url);
  return [origin, `${protocol === 'https:' ? 'wss' : 'ws'}://${host}`];
}

/** The network endpoints the browser may reach: Supabase, plus the realtime provider in use. */
export function connectSources(supabaseUrl: string, realtime: PublicRealtimeConfig): string[] {
  const sources = ["'self'", ...withSocket(supabaseUrl)];
  if (realtime.provider === 'pusher') {
    if (realtime.pusherHost) sources.push(...withSocket(`http://${realtime.pusherHost}:${realtime.pusherPort ?? 80}`));
    else
      sources.push(
        `wss://ws-${realtime.pusherCluster}.pusher.com`,
        `https://sockjs-${realtime.pusherCluster}.pusher.com`,
      );
  }
  if (realtime.provider === 'ably') {
    if (realtime.ablyHost) sources.push(...withSocket(`http://${realtime.ablyHost}:${realtime.ablyPort ?? 80}`));
    else
      sources.push(
        'https://*.ably.io',
        'wss://*.ably.io',
        'https://*.ably-realtime.com',
        'wss://*.ably-realtime.com',
        'https://*.ably.net',
        'wss://*.ably.net',
      );
  }
  return sources;
}

/**
 * A nonce-based Content-Security-Policy: scripts only from this origin with the
 * request's nonce, network access only to the endpoints in use, no framing.
 *
 * In development (`next dev`) two relaxations let Next's dev tools work: eval
 * for its fast refresh, and inline styles without a nonce for the dev
 * indicator and error overlay, which inject <style> elements that carry none.
 * The style nonce is left out there on purpose: browsers ignore
 * 'unsafe-inline' in a list that also holds a nonce. Production is unchanged.
 */
export function contentSecurityPolicy(nonce: string, isDev = process.env.NODE_ENV === 'development'): string {
  const connect = connectSources(publicEnv().supabaseUrl, publicRealtimeConfig());
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${isDev ? " 'unsafe-eval'" : ''}`,
    `style-src 'self' ${isDev ? "'unsafe-inline'" : `'nonce-${nonce}'`}`,
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
