import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { reconnectDelay } from '../backoff';
import { connectionStatus } from '../connection-status';
import type { ChannelOptions, ChannelSubscription, PresenceState, RealtimeProvider } from '../types';

// The Supabase Realtime transport: private channels on one socket per tab.
// supabase-js forwards every refreshed access token to the socket by itself
// (auth state change → realtime.setAuth), so channels keep their permissions.

/** Socket options for createBrowserClient: our backoff, reported to the status store. */
export function realtimeSocketOptions() {
  return {
    reconnectAfterMs: (tries: number) => {
      const delay = reconnectDelay(tries);
      connectionStatus.reconnecting(tries, delay, 'connection lost');
      return delay;
    },
    heartbeatCallback: (status: string) => {
      if (status === 'timeout' || status === 'error')
        connectionStatus.reconnecting(1, reconnectDelay(1), `heartbeat ${status}`);
    },
  };
}

type TopicOptions = ChannelOptions;

/** One joined channel per topic per tab, shared by every subscriber of that topic. */
interface SharedTopic {
  supabase: SupabaseClient;
  topic: string;
  presenceKey: string | null;
  subscribers: Set<TopicOptions>;
  channel: RealtimeChannel | null;
  joined: boolean;
  meta: Record<string, unknown> | null;
  closedAttempts: number;
  retryTimer: ReturnType<typeof setTimeout> | null;
  releaseTimer: ReturnType<typeof setTimeout> | null;
}

// Per client (one per tab in the browser), then per topic.
const registries = new WeakMap<SupabaseClient, Map<string, SharedTopic>>();

function registryOf(supabase: SupabaseClient): Map<string, SharedTopic> {
  let registry = registries.get(supabase);
  if (!registry) {
    registry = new Map();
    registries.set(supabase, registry);
  }
  return registry;
}

function join(shared: SharedTopic): void {
  const ch = shared.supabase.channel(shared.topic, {
    config: { private: true, presence: shared.presenceKey ? { key: shared.presenceKey, enabled: true } : undefined },
  });
  shared.channel = ch;
  shared.joined = false;
  ch.on('broadcast', { event: '*' }, (message: { event?: string; payload?: unknown }) => {
    connectionStatus.messageReceived();
    for (const subscriber of shared.subscribers) subscriber.events[message.event ?? '']?.(message.payload);
  });
  if (shared.presenceKey) {
    ch.on('presence', { event: 'sync' }, () => {
      const state = ch.presenceState() as PresenceState;
      for (const subscriber of shared.subscribers) subscriber.presence?.onSync(state);
    });
  }
  ch.subscribe((status, error) => {
    if (shared.channel !== ch) return;
    switch (status) {
      case 'SUBSCRIBED':
        shared.joined = true;
        shared.closedAttempts = 0;
        connectionStatus.connected();
        if (shared.meta) void ch.track(shared.meta);
        for (const subscriber of shared.subscribers) subscriber.onSubscribed?.();
        break;
      case 'CHANNEL_ERROR':
      case 'TIMED_OUT': {
        // supabase-js retries the join on its own backoff; an authorization
        // refusal is reported to the subscribers as well.
        shared.joined = false;
        const reason = error?.message ?? status.toLowerCase();
        connectionStatus.reconnecting(1, reconnectDelay(1), reason);
        if (/unauthorized/i.test(reason)) for (const subscriber of shared.subscribers) subscriber.onRefused?.(reason);
        break;
      }
      case 'CLOSED': {
        // Closed by the server (token expired, permission re-checked): join
        // again with backoff, so the authorization runs again.
        shared.joined = false;
        shared.channel = null;
        shared.closedAttempts += 1;
        const delay = reconnectDelay(shared.closedAttempts);
        connectionStatus.reconnecting(shared.closedAttempts, delay, 'channel closed by the server');
        void shared.supabase.removeChannel(ch);
        shared.retryTimer = setTimeout(() => {
          shared.retryTimer = null;
          if (registryOf(shared.supabase).get(shared.topic) === shared) join(shared);
        }, delay);
        break;
      }
    }
  });
}

function release(shared: SharedTopic): void {
  registryOf(shared.supabase).delete(shared.topic);
  if (shared.retryTimer) clearTimeout(shared.retryTimer);
  const ch = shared.channel;
  shared.channel = null;
  if (ch) void shared.supabase.removeChannel(ch);
}

/**
 * Subscribes to a private topic. Subscribers of one topic share one channel;
 * the channel is left only when the last one unsubscribes, one tick later, so
 * a React StrictMode unmount/remount reuses it instead of leaving and joining
 * again (and never ends up with two channels for one topic).
 */
export function subscribeToTopic(supabase: SupabaseClient, topic: string, options: TopicOptions): ChannelSubscription {
  const registry = registryOf(supabase);
  let shared = registry.get(topic);
  if (!shared) {
    shared = {
      supabase,
      topic,
      presenceKey: options.presence?.key ?? null,
      subscribers: new Set(),
      channel: null,
      joined: false,
      meta: null,
      closedAttempts: 0,
      retryTimer: null,
      releaseTimer: null,
    };
    registry.set(topic, shared);
    join(shared);
  } else if (options.presence && shared.presenceKey !== options.presence.key) {
    throw new Error(
      `Topic ${topic} is already joined with presence key ${shared.presenceKey ?? '(none)'}; one presence identity per topic per tab.`,
    );
  }
  const entry = shared;
  if (entry.releaseTimer) {
    clearTimeout(entry.releaseTimer);
    entry.releaseTimer = null;
  }
  entry.subscribers.add(options);
  if (entry.joined) {
    options.onSubscribed?.();
    if (options.presence && entry.channel) options.presence.onSync(entry.channel.presenceState() as PresenceState);
  }

  let active = true;
  return {
    publish(event, payload) {
      if (active) void entry.channel?.send({ type: 'broadcast', event, payload });
    },
    track(meta) {
      if (!active) return;
      entry.meta = meta;
      if (entry.joined) void entry.channel?.track(meta);
    },
    untrack() {
      if (!active) return;
      entry.meta = null;
      if (entry.joined) void entry.channel?.untrack();
    },
    unsubscribe() {
      if (!active) return;
      active = false;
      entry.subscribers.delete(options);
      if (entry.subscribers.size === 0 && !entry.releaseTimer) {
        entry.releaseTimer = setTimeout(() => {
          entry.releaseTimer = null;
          if (entry.subscribers.size === 0) release(entry);
        }, 0);
      }
    },
  };
}

/** Topics a client has joined (for tests and diagnostics). */
export function joinedTopics(supabase: SupabaseClient): string[] {
  return [...registryOf(supabase).keys()];
}

/** The Supabase Realtime provider over a supabase-js client (one per tab in the browser). */
export function createSupabaseProvider(supabase: SupabaseClient): RealtimeProvider {
  return {
    name: 'supabase',
    subscribe: (channel, options) => subscribeToTopic(supabase, channel, options),
  };
}
