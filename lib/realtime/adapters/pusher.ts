import Pusher from 'pusher-js';
import type { Channel, ChannelAuthorizationHandler, PresenceChannel } from 'pusher-js';
import { z } from 'zod';
import { reconnectDelay } from '../backoff';
import { providerChannelName } from '../channel-names';
import { connectionStatus as defaultStatus, type ConnectionStatusStore, type StatusLink } from '../connection-status';
import type { ChannelOptions, ChannelSubscription, RealtimeProvider } from '../types';
import { authorizeOverHttp, ChannelRefusedError, type PusherAuthorization } from './pusher-authorization';
import { reportConnectionStatus } from './pusher-connection-status';
import { assertWithinMessageLimit, ClientEventLimiter, PUSHER_LIMITS } from './pusher-limits';
import {
  memberSchema,
  PRESENCE_META_EVENT,
  presenceMetaMessageSchema,
  PresenceRoster,
  type PresenceMeta,
  type PresenceMetaMessage,
} from './pusher-presence';

// The Pusher Channels transport (pusher-js): one socket per tab, one Pusher
// channel per logical channel shared by every subscriber in the tab.
//   shipments:<id>   → private-shipments-<id>    server events (relay)
//   depot:<id>:live  → presence-depot-<id>-live  presence + client events
//   shipments:@<id>  → private-shipments-@<id>   server events
// Channels are authorized by /api/realtime/pusher-auth against the database.
// Client events (publish, presence meta) are only used and only accepted on
// presence (":live") channels, the only ones the grants let users write to:
// Pusher cannot restrict client events per channel, so receivers ignore
// client-* events everywhere else.

export { ChannelRefusedError, type PusherAuthorization } from './pusher-authorization';

export interface PusherProviderOptions {
  key: string;
  cluster: string;
  /** A self-hosted or test server; unset for Pusher's own. */
  host?: string;
  port?: number;
  /** TLS to `host` (default: true for Pusher's own, false for a custom host). */
  forceTLS?: boolean;
  /** The app's authorization endpoint (same origin, so the session cookies go along). */
  authEndpoint?: string;
  /** Replaces the HTTP call to authEndpoint (tests call the route's logic directly). */
  authorize?: (request: { socketId: string; channelName: string }) => Promise<PusherAuthorization>;
  status?: ConnectionStatusStore;
  warn?: (message: string) => void;
}

export interface PusherProvider extends RealtimeProvider {
  /** Closes the socket (tests, sign-out). */
  disconnect(): void;
  /** Pusher channels this tab is subscribed to (diagnostics, tests). */
  channelNames(): string[];
}

const subscriptionErrorSchema = z.object({
  error: z.string().optional(),
  status: z.number().optional(),
  type: z.string().optional(),
});

interface SharedChannel {
  logical: string;
  name: string;
  /** This channel's own line in the tab's status. */
  link: StatusLink;
  live: boolean;
  channel: Channel;
  subscribers: Set<ChannelOptions>;
  subscribed: boolean;
  boundEvents: Set<string>;
  roster: PresenceRoster | null;
  meta: PresenceMeta | null;
  /** Why the last authorization failed, when it is worth retrying. */
  transientAuthError: string | null;
  authAttempts: number;
  retryTimer: ReturnType<typeof setTimeout> | null;
  releaseTimer: ReturnType<typeof setTimeout> | null;
}

/** Slots of the 10/s client event budget kept for presence, so positions cannot starve it. */
const PRESENCE_RESERVE = 2;

export function createPusherProvider(options: PusherProviderOptions): PusherProvider {
  const status = options.status ?? defaultStatus;
  const warn = options.warn ?? ((message: string) => console.warn(`[realtime:pusher] ${message}`));
  const authorize =
    options.authorize ?? ((request) => authorizeOverHttp(options.authEndpoint ?? '/api/realtime/pusher-auth', request));
  const shared = new Map<string, SharedChannel>();
  const limiter = new ClientEventLimiter();
  const ownTab =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : Math.random().toString(36).slice(2);

  const channelAuthorization: ChannelAuthorizationHandler = ({ socketId, channelName }, callback) => {
    // Looked up when the answer comes: pusher-js may ask before open() has registered the entry.
    const entryOf = () => [...shared.values()].find((s) => s.name === channelName);
    authorize({ socketId, channelName }).then(
      (authorization) => {
        const entry = entryOf();
        if (entry) entry.transientAuthError = null;
        callback(null, authorization);
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const entry = entryOf();
        if (entry) entry.transientAuthError = error instanceof ChannelRefusedError ? null : message;
        callback(error instanceof Error ? error : new Error(message), null);
      },
    );
  };

  const custom = options.host !== undefined;
  const pusher = new Pusher(options.key, {
    cluster: options.cluster,
    ...(custom
      ? {
          wsHost: options.host,
          wsPort: options.port ?? 80,
          wssPort: options.port ?? 443,
          forceTLS: options.forceTLS ?? false,
          enabledTransports: ['ws', 'wss'],
        }
      : { forceTLS: options.forceTLS ?? true }),
    disableStats: true,
    channelAuthorization: { customHandler: channelAuthorization },
  });

  const connectionLink = status.connection('pusher');
  // pusher-js starts connecting in its constructor, before these listeners exist.
  connectionLink.connecting('connecting to Pusher');
  // While the connection is down no channel is live; pusher-js resubscribes each one when it is back.
  reportConnectionStatus(pusher.connection, connectionLink, warn, () => {
    for (const entry of shared.values()) if (entry.subscribed) entry.link.connecting('waiting for the connection');
  });

  const sendPresence = (entry: SharedChannel, message: PresenceMetaMessage): void => {
    if (!entry.subscribed) return;
    if (limiter.tryTake()) {
      entry.channel.trigger(PRESENCE_META_EVENT, message);
      return;
    }
    // Over the client event budget: send the latest state once a slot frees.
    setTimeout(
      () => sendPresence(entry, { tab: ownTab, meta: entry.meta, hello: message.hello }),
      limiter.msUntilFree(),
    );
  };

  const notifyPresence = (entry: SharedChannel): void => {
    if (!entry.roster) return;
    const state = entry.roster.state();
    for (const subscriber of entry.subscribers) subscriber.presence?.onSync(state);
  };

  const dispatch = (entry: SharedChannel, event: string, payload: unknown): void => {
    status.messageReceived();
    for (const subscriber of entry.subscribers) subscriber.events[event]?.(payload);
  };

  const bindEvents = (entry: SharedChannel, events: Record<string, unknown>): void => {
    for (const event of Object.keys(events)) {
      if (entry.boundEvents.has(event)) continue;
      entry.boundEvents.add(event);
      entry.channel.bind(event, (payload: unknown) => dispatch(entry, event, payload));
      if (entry.live) entry.channel.bind(`client-${event}`, (payload: unknown) => dispatch(entry, event, payload));
    }
  };

  const ownUserId = (entry: SharedChannel): string | null => {
    const myId: unknown = (entry.channel as PresenceChannel).members?.myID;
    return myId === null || myId === undefined ? null : String(myId);
  };

  const open = (logical: string, presenceKey: string | null): SharedChannel => {
    const name = providerChannelName('pusher', logical);
    const live = name.startsWith('presence-');
    if (presenceKey && !live) throw new Error(`${logical} has no presence on Pusher: use the depot's ":live" channel.`);
    const channel = pusher.subscribe(name);
    const entry: SharedChannel = {
      logical,
      name,
      link: status.channel(`pusher ${name}`),
      live,
      channel,
      subscribers: new Set(),
      subscribed: false,
      boundEvents: new Set(),
      roster: live ? new PresenceRoster() : null,
      meta: null,
      transientAuthError: null,
      authAttempts: 0,
      retryTimer: null,
      releaseTimer: null,
    };
    entry.link.connecting(`subscribing to ${name}`);
    channel.bind('pusher:subscription_succeeded', () => {
      entry.subscribed = true;
      entry.authAttempts = 0;
      // A success replaces whatever error this channel had (issue 17: it used to stick).
      entry.link.connected();
      if (entry.roster) {
        const members: { id: string; info: unknown }[] = [];
        (channel as PresenceChannel).members.each((member: unknown) => {
          const parsed = memberSchema.safeParse(member);
          if (parsed.success) members.push(parsed.data);
        });
        entry.roster.resetMembers(members);
        const me = ownUserId(entry);
        if (me !== null && entry.meta) entry.roster.setTab(me, ownTab, entry.meta);
        sendPresence(entry, { tab: ownTab, meta: entry.meta, hello: true });
        notifyPresence(entry);
      }
      for (const subscriber of entry.subscribers) subscriber.onSubscribed?.();
    });
    channel.bind('pusher:subscription_error', (raw: unknown) => {
      entry.subscribed = false;
      const parsed = subscriptionErrorSchema.safeParse(raw);
      const reason = (parsed.success ? parsed.data.error : undefined) ?? 'Pusher refused the subscription';
      if (entry.transientAuthError) {
        // The auth route could not be reached or failed: not a refusal, retry with backoff.
        entry.authAttempts += 1;
        const delay = reconnectDelay(entry.authAttempts);
        entry.link.retrying(
          entry.authAttempts,
          delay,
          `${name}: channel authorization failed: ${entry.transientAuthError}`,
        );
        entry.retryTimer = setTimeout(() => {
          entry.retryTimer = null;
          if (shared.get(logical) !== entry) return;
          entry.link.connecting(`subscribing to ${name} again`);
          pusher.subscribe(name);
        }, delay);
        return;
      }
      entry.link.refused(reason);
      for (const subscriber of entry.subscribers) subscriber.onRefused?.(reason);
    });
    if (live) {
      channel.bind('pusher:member_added', (member: unknown) => {
        const parsed = memberSchema.safeParse(member);
        if (!parsed.success || !entry.roster) return;
        entry.roster.addMember(parsed.data.id, parsed.data.info);
        notifyPresence(entry);
      });
      channel.bind('pusher:member_removed', (member: unknown) => {
        const parsed = memberSchema.safeParse(member);
        if (!parsed.success || !entry.roster) return;
        entry.roster.removeMember(parsed.data.id);
        notifyPresence(entry);
      });
      channel.bind(PRESENCE_META_EVENT, (payload: unknown, metadata?: { user_id?: string }) => {
        const message = presenceMetaMessageSchema.safeParse(payload);
        // user_id is added by Pusher from the signed channel_data: the sender cannot forge it.
        if (!message.success || !metadata?.user_id || !entry.roster) return;
        status.messageReceived();
        entry.roster.setTab(metadata.user_id, message.data.tab, message.data.meta);
        notifyPresence(entry);
        if (message.data.hello && entry.meta) sendPresence(entry, { tab: ownTab, meta: entry.meta });
      });
    }
    shared.set(logical, entry);
    return entry;
  };

  const release = (entry: SharedChannel): void => {
    shared.delete(entry.logical);
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    entry.link.dispose();
    // Best effort: tell the others this tab left (another tab of the user may stay subscribed).
    if (entry.live && entry.meta && entry.subscribed && limiter.tryTake())
      entry.channel.trigger(PRESENCE_META_EVENT, { tab: ownTab, meta: null });
    entry.channel.unbind_all();
    pusher.unsubscribe(entry.name);
  };

  return {
    name: 'pusher',

    subscribe(logical: string, channelOptions: ChannelOptions): ChannelSubscription {
      const presenceKey = channelOptions.presence?.key ?? null;
      const entry = shared.get(logical) ?? open(logical, presenceKey);
      if (entry.releaseTimer) {
        clearTimeout(entry.releaseTimer);
        entry.releaseTimer = null;
      }
      entry.subscribers.add(channelOptions);
      bindEvents(entry, channelOptions.events);
      if (entry.subscribed) {
        channelOptions.onSubscribed?.();
        if (channelOptions.presence && entry.roster) channelOptions.presence.onSync(entry.roster.state());
      }

      let active = true;
      return {
        publish(event, payload) {
          if (!active) return;
          if (!entry.live)
            throw new Error(
              `Cannot publish "${event}" on ${logical}: on Pusher, tabs may only publish on a depot's ":live" channel.`,
            );
          assertWithinMessageLimit(logical, event, payload);
          if (!entry.subscribed) return warn(`"${event}" on ${logical} dropped: not subscribed yet.`);
          if (!limiter.tryTake(PRESENCE_RESERVE))
            return warn(
              `"${event}" on ${logical} dropped: over Pusher's ${PUSHER_LIMITS.clientEventsPerSecond} client events per second (positions are best effort).`,
            );
          entry.channel.trigger(`client-${event}`, payload);
        },
        track(meta) {
          if (!active) return;
          if (!entry.roster) throw new Error(`${logical} has no presence on Pusher: use the depot's ":live" channel.`);
          assertWithinMessageLimit(logical, PRESENCE_META_EVENT, { tab: ownTab, meta });
          entry.meta = meta;
          const me = ownUserId(entry);
          if (entry.subscribed && me !== null) {
            entry.roster.setTab(me, ownTab, meta);
            notifyPresence(entry);
            sendPresence(entry, { tab: ownTab, meta });
          }
        },
        untrack() {
          if (!active || !entry.roster || entry.meta === null) return;
          entry.meta = null;
          const me = ownUserId(entry);
          if (me !== null) entry.roster.setTab(me, ownTab, null);
          notifyPresence(entry);
          sendPresence(entry, { tab: ownTab, meta: null });
        },
        unsubscribe() {
          if (!active) return;
          active = false;
          entry.subscribers.delete(channelOptions);
          // One tick later, so a StrictMode unmount/remount reuses the channel.
          if (entry.subscribers.size === 0 && !entry.releaseTimer) {
            entry.releaseTimer = setTimeout(() => {
              entry.releaseTimer = null;
              if (entry.subscribers.size === 0 && shared.get(logical) === entry) release(entry);
            }, 0);
          }
        },
      };
    },

    disconnect() {
      for (const entry of [...shared.values()]) {
        if (entry.releaseTimer) clearTimeout(entry.releaseTimer);
        release(entry);
      }
      pusher.disconnect();
      connectionLink.dispose();
    },

    channelNames() {
      return pusher.allChannels().map((c) => c.name);
    },
  };
}
