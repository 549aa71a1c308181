import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { reconnectDelay } from '../backoff';
import { connectionStatus, type ConnectionStatusStore, type StatusLink } from '../connection-status';
import type { ChannelOptions, ChannelSubscription, PresenceState, RealtimeProvider } from '../types';

// The Supabase Realtime transport: private channels on one socket per tab.
// supabase-js forwards every refreshed access token to the socket by itself
// (auth state change → realtime.setAuth), so channels keep their permissions.
//
// Status: every channel reports its own state (joining, subscribed, failed and
// when supabase-js retries it); the socket reports only while it waits to
// reconnect. When the socket drops, phoenix errors every channel, so the
// channels alone say when the tab is live again.

/**
 * Socket options for createBrowserClient: our backoff, reported to the status
 * store while the socket waits to reconnect (the wait's end hands the verdict
 * back to the channels, which rejoin once the socket is open).
 */
export function realtimeSocketOptions(status: ConnectionStatusStore = connectionStatus) {
  let link: StatusLink | null = null;
  let wait: ReturnType<typeof setTimeout> | null = null;
  return {
    reconnectAfterMs: (tries: number) => {
      const delay = reconnectDelay(tries);
      link ??= status.connection('supabase socket');
      link.retrying(tries, delay, 'connection lost');
      if (wait) clearTimeout(wait);
      wait = setTimeout(() => {
        wait = null;
        link?.clear();
      }, delay);
      return delay;
    },
  };
}

type TopicOptions = ChannelOptions;

/** One joined channel per topic per tab, shared by every subscriber of that topic. */
interface SharedTopic {
  supabase: SupabaseClient;
  status: ConnectionStatusStore;
  link: StatusLink;
  topic: string;
  presenceKey: string | null;
  subscribers: Set<TopicOptions>;
  channel: RealtimeChannel | null;
  joined: boolean;
  meta: Record<string, unknown> | null;
  closedAttempts: number;
  /** Join failures since the last successful join (CHANNEL_ERROR, TIMED_OUT). */
  failedJoins: number;
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
  shared.link.connecting(`joining ${shared.topic}`);
  ch.on('broadcast', { event: '*' }, (message: { event?: string; payload?: unknown }) => {
    shared.status.messageReceived();
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
        shared.failedJoins = 0;
        shared.link.connected();
        if (shared.meta) void ch.track(shared.meta);
        for (const subscriber of shared.subscribers) subscriber.onSubscribed?.();
        break;
      case 'CHANNEL_ERROR':
      case 'TIMED_OUT': {
        // supabase-js retries the join on its own backoff (phoenix's rejoin
        // timer, scheduled before this callback runs; while the socket is down
        // the channel rejoins when it reopens), refusals included: a channel
        // refused now may be allowed later (a membership added).
        shared.joined = false;
        shared.failedJoins += 1;
        const reason = error?.message ?? status.toLowerCase();
        if (/unauthorized/i.test(reason)) {
          // A refusal, not an outage: it does not hold the tab off "live" (as on Ably and Pusher).
          shared.link.refused(`${shared.topic}: ${reason}`);
          for (const subscriber of shared.subscribers) subscriber.onRefused?.(reason);
          break;
        }
        const rejoin = ch.rejoinTimer;
        const retryIn = shared.supabase.realtime.isConnected() ? rejoin.timerCalc(rejoin.tries + 1) : null;
        shared.link.retrying(shared.failedJoins, retryIn, `${shared.topic}: ${reason}`);
        break;
      }
      case 'CLOSED': {
        // Closed by the server (token expired, permission re-checked): join
        // again with backoff, so the authorization runs again.
        shared.joined = false;
        shared.channel = null;
        shared.closedAttempts += 1;
        const delay = reconnectDelay(shared.closedAttempts);
        shared.link.retrying(shared.closedAttempts, delay, `${shared.topic}: channel closed by the server`);
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
  shared.link.dispose();
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
export function subscribeToTopic(
  supabase: SupabaseClient,
  topic: string,
  options: TopicOptions,
  status: ConnectionStatusStore = connectionStatus,
): ChannelSubscription {
  const registry = registryOf(supabase);
  let shared = registry.get(topic);
  if (!shared) {
    shared = {
      supabase,
      status,
      link: status.channel(`supabase ${topic}`),
      topic,
      presenceKey: options.presence?.key ?? null,
      subscribers: new Set(),
      channel: null,
      joined: false,
      meta: null,
      closedAttempts: 0,
      failedJoins: 0,
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

export interface SupabaseProvider extends RealtimeProvider {
  /** Leaves every channel this provider joined and closes the socket (tests, sign-out). */
  close(): Promise<void>;
}

/** The Supabase Realtime provider over a supabase-js client (one per tab in the browser). */
export function createSupabaseProvider(
  supabase: SupabaseClient,
  options: { status?: ConnectionStatusStore } = {},
): SupabaseProvider {
  const status = options.status ?? connectionStatus;
  return {
    name: 'supabase',
    subscribe: (channel, channelOptions) => subscribeToTopic(supabase, channel, channelOptions, status),
    async close() {
      for (const shared of [...registryOf(supabase).values()]) {
        if (shared.releaseTimer) clearTimeout(shared.releaseTimer);
        release(shared);
      }
      await supabase.removeAllChannels();
    },
  };
}
