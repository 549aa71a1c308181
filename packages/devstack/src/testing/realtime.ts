import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { inject } from 'vitest';
import { WebSocket } from 'ws';
import { signJwt } from '../jwt';
import './stack-info';

export const stack = () => inject('stack');

/**
 * An access token like the test stack's Auth issues (role authenticated unless
 * given): ES256 with its signing key and kid, or HS256 in legacy mode.
 */
export async function mintToken(
  claims: { sub?: string; role?: string; expiresIn?: number; [k: string]: unknown } = {},
): Promise<string> {
  const { expiresIn = 3600, role = 'authenticated', ...rest } = claims;
  const now = Math.floor(Date.now() / 1000);
  return signJwt(stack().keys, { aud: 'authenticated', role, ...rest, iat: now, exp: now + expiresIn });
}

const clients: SupabaseClient[] = [];
const tokens = new WeakMap<SupabaseClient, { token: string }>();

/**
 * Switches a client's token the way an app with its own auth does (supabase-js'
 * accessToken option): the realtime client pushes access_token to its channels.
 */
export async function setToken(client: SupabaseClient, token: string): Promise<void> {
  const holder = tokens.get(client);
  if (!holder) throw new Error('client was created without a token');
  holder.token = token;
  await client.realtime.setAuth();
}

/** A supabase-js client over a real WebSocket (ws on Node), optionally signed in with `token`. */
export async function realtimeClient(
  options: {
    token?: string;
    vsn?: '1.0.0' | '2.0.0';
    heartbeatIntervalMs?: number;
    accessToken?: () => Promise<string>;
    apiUrl?: string;
    /** The client's API key: the publishable key (what the app uses) unless given. */
    apiKey?: string;
  } = {},
): Promise<SupabaseClient> {
  // supabase-js re-reads the token from its accessToken callback on every join and
  // heartbeat, so a token set with realtime.setAuth(token) alone would be replaced.
  const holder = options.token ? { token: options.token } : null;
  const accessToken = options.accessToken ?? (holder ? async () => holder.token : undefined);
  const client = createClient(options.apiUrl ?? stack().apiUrl, options.apiKey ?? stack().publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: {
      transport: WebSocket as never,
      ...(options.vsn ? { vsn: options.vsn } : {}),
      ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
    },
    ...(accessToken ? { accessToken } : {}),
  });
  if (holder) tokens.set(client, holder);
  if (accessToken) await client.realtime.setAuth();
  clients.push(client);
  return client;
}

export async function closeClients(): Promise<void> {
  const all = clients.splice(0);
  await Promise.all(
    all.map(async (c) => {
      await c.removeAllChannels();
      c.realtime.disconnect();
    }),
  );
}

/** Subscribes and resolves on SUBSCRIBED; rejects with the error on CHANNEL_ERROR / TIMED_OUT. */
export function subscribed(channel: RealtimeChannel, timeoutMs = 10_000): Promise<RealtimeChannel> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscribe ${channel.topic} timed out`)), timeoutMs);
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') {
        clearTimeout(timer);
        resolve(channel);
      } else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') {
        clearTimeout(timer);
        reject(err ?? new Error(status));
      }
    });
  });
}

/** Resolves with the subscribe status that is not SUBSCRIBED (and its error). */
export function subscribeFailure(
  channel: RealtimeChannel,
  timeoutMs = 10_000,
): Promise<{ status: string; error?: Error }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no failure status')), timeoutMs);
    channel.subscribe((status, error) => {
      if (status !== 'SUBSCRIBED') {
        clearTimeout(timer);
        resolve({ status, error });
      }
    });
  });
}

/** Collects values and lets a test await the first that matches. */
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: Array<{ match: (t: T) => boolean; resolve: (t: T) => void }> = [];

  push = (item: T): void => {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(item)) return true;
      w.resolve(item);
      return false;
    });
  };

  next(match: (t: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    const found = this.items.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Inbox: no matching item within ${timeoutMs} ms (have ${this.items.length})`)),
        timeoutMs,
      );
      this.waiters.push({ match, resolve: (t) => (clearTimeout(timer), resolve(t)) });
    });
  }

  /** Waits until `count` items matching arrived. */
  async count(count: number, match: (t: T) => boolean = () => true, timeoutMs = 10_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.filter(match).length < count) {
      if (Date.now() > deadline)
        throw new Error(`Inbox: ${this.items.filter(match).length}/${count} items after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push({ match, resolve: () => (clearTimeout(t), resolve()) });
      });
    }
    return this.items.filter(match);
  }
}

/**
 * A second API gateway on the test database with its own realtime settings
 * (short heartbeat timeout, small limits), so one file can tune them without
 * affecting the others.
 */
export async function privateApi(env: Record<string, string>) {
  const { startApi } = await import('../api');
  const { freePort } = await import('../postgres');
  return startApi({
    dbUrl: stack().dbUrl,
    port: await freePort(),
    // The same keys as the main test stack, so tokens minted for one work on the other.
    keys: stack().keys,
    env: { ...process.env, ...env },
  });
}
