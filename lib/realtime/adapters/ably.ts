import * as Ably from 'ably';
import { z } from 'zod';
import { isLogicalChannel } from '../channel-names';
import { connectionStatus as defaultStatus, type ConnectionStatusStore, type StatusLink } from '../connection-status';
import type { ChannelOptions, ChannelSubscription, PresenceState, RealtimeProvider } from '../types';
import { RealtimeLimitError } from '../errors';

// The Ably transport: one Realtime connection per tab, channels by their
// logical names, tokens from our own route (clientId and capabilities decided
// by the server from the session and the database). The only client-side
// module that imports `ably`.

/**
 * Ably's limits per connection (Free/Standard packages). The adapter sends at
 * most `outboundBudget` messages a second: below 50, so network jitter cannot
 * push a burst over the limit as Ably counts it.
 */
export const ABLY_LIMITS = { maxMessageBytes: 65_536, messagesPerSecond: 50, outboundBudget: 40 } as const;

/** The app tried to send something Ably would refuse (same shape as the Pusher adapter's). */
export { RealtimeLimitError };

function assertWithinMessageLimit(channel: string, event: string, payload: unknown): void {
  const bytes = byteLength(event) + byteLength(JSON.stringify(payload));
  if (bytes > ABLY_LIMITS.maxMessageBytes) {
    throw new RealtimeLimitError(
      'message_too_large',
      `"${event}" on ${channel} is ${bytes} bytes; Ably accepts at most ${ABLY_LIMITS.maxMessageBytes}. Send an id and let receivers fetch the rest from the database.`,
    );
  }
}

export interface AblyProviderOptions {
  /** The token route (same origin: the browser sends the session cookies). */
  tokenUrl?: string;
  /** Fetches a TokenRequest some other way (tests call the server helper directly). */
  fetchTokenRequest?: () => Promise<unknown>;
  /** A self-hosted or test endpoint (NEXT_PUBLIC_ABLY_HOST/PORT); unset for Ably's own. */
  host?: string;
  port?: number;
  status?: ConnectionStatusStore;
  log?: Pick<Console, 'warn'>;
  /** Outbound messages per second this connection allows itself (default 40; Ably's limit is 50). */
  messagesPerSecond?: number;
  /** The SDK's retry delays while disconnected (15 s) and suspended (30 s); tests shorten them. */
  retryDelays?: { disconnectedMs?: number; suspendedMs?: number };
}

export interface AblyProvider extends RealtimeProvider {
  /** Pushes a fresh token to the connection (call when the Supabase session changes). */
  refreshAuth(): Promise<void>;
  /** Channels this tab holds (diagnostics and tests). */
  activeChannels(): string[];
  close(): void;
}

const tokenRequestSchema = z.object({
  keyName: z.string().min(1),
  clientId: z.string().min(1).optional(),
  capability: z.string(),
  timestamp: z.number(),
  nonce: z.string().min(1),
  mac: z.string().min(1),
  ttl: z.number().optional(),
});

const presenceDataSchema = z.record(z.string(), z.unknown());

class TokenRouteError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

async function fetchFromTokenRoute(url: string): Promise<unknown> {
  const response = await fetch(url, {
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { accept: 'application/json' },
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = z.object({ error: z.string() }).safeParse(body);
    throw new TokenRouteError(
      `Realtime token refused (${response.status}): ${reason.success ? reason.data.error : response.statusText}`,
      response.status,
    );
  }
  return body;
}

/**
 * Keeps a connection under Ably's inbound rate. Over the budget, messages wait
 * and coalesce by key (channel + event, or channel + presence): only the latest
 * of each is sent, which is right for positions, markers and presence data.
 */
class OutboundThrottle {
  private readonly sentAt: number[] = [];
  private readonly pending = new Map<string, () => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dropped = 0;

  constructor(
    private readonly perSecond: number,
    private readonly log: Pick<Console, 'warn'>,
  ) {}

  submit(key: string, send: () => void): void {
    if (this.pending.size === 0 && this.take()) return send();
    if (this.pending.delete(key)) this.dropped += 1;
    this.pending.set(key, send);
    this.schedule();
  }

  private take(now = Date.now()): boolean {
    while (this.sentAt.length && this.sentAt[0] <= now - 1000) this.sentAt.shift();
    if (this.sentAt.length >= this.perSecond) return false;
    this.sentAt.push(now);
    return true;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, (this.sentAt[0] ?? Date.now()) + 1000 - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = null;
    if (this.dropped) {
      this.log.warn(
        `[realtime:ably] over ${this.perSecond} messages/s: dropped ${this.dropped} superseded message(s), sent the latest of each`,
      );
      this.dropped = 0;
    }
    for (const [key, send] of this.pending) {
      if (!this.take()) break;
      this.pending.delete(key);
      send();
    }
    if (this.pending.size) this.schedule();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.pending.clear();
  }
}

/** One attached Ably channel per logical channel per tab, shared by its subscribers. */
interface SharedChannel {
  name: string;
  channel: Ably.RealtimeChannel;
  /** This channel's own line in the tab's status. */
  link: StatusLink;
  subscribers: Set<ChannelOptions>;
  attached: boolean;
  refusal: string | null;
  presence: PresenceState | null;
  presenceRequest: number;
  releaseTimer: ReturnType<typeof setTimeout> | null;
  /** Starts listening to presence events (once, when a subscriber wants presence). */
  listenPresence: () => void;
  dispose: () => void;
}

/** An Ably error as people read it: its message, then the underlying cause (e.g. the token route's answer). */
function describeReason(reason: Ably.ErrorInfo | undefined): string | null {
  if (!reason) return null;
  const cause = reason.cause?.message;
  return cause && !reason.message.includes(cause) ? `${reason.message}: ${cause}` : reason.message;
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

export function createAblyProvider(options: AblyProviderOptions = {}): AblyProvider {
  const status = options.status ?? defaultStatus;
  const log = options.log ?? console;
  const throttle = new OutboundThrottle(options.messagesPerSecond ?? ABLY_LIMITS.outboundBudget, log);
  const channels = new Map<string, SharedChannel>();
  const fetchTokenRequest =
    options.fetchTokenRequest ?? (() => fetchFromTokenRoute(options.tokenUrl ?? '/api/realtime/ably-token'));
  let client: Ably.Realtime | null = null;
  let connectionLink: StatusLink | null = null;

  function connect(): Ably.Realtime {
    if (client) return client;
    const realtime = new Ably.Realtime({
      ...(options.host
        ? { endpoint: options.host, tls: false, fallbackHosts: [], disableConnectivityCheck: true }
        : {}),
      ...(options.port ? { port: options.port } : {}),
      useBinaryProtocol: false,
      ...(options.retryDelays?.disconnectedMs ? { disconnectedRetryTimeout: options.retryDelays.disconnectedMs } : {}),
      ...(options.retryDelays?.suspendedMs ? { suspendedRetryTimeout: options.retryDelays.suspendedMs } : {}),
      // Token auth only; the token route ignores whatever tokenParams the SDK passes.
      authCallback: (_params, callback) => {
        fetchTokenRequest().then(
          (body) => {
            const parsed = tokenRequestSchema.safeParse(body);
            if (parsed.success) callback(null, parsed.data);
            else
              callback(
                new Ably.ErrorInfo(
                  `The token route returned no TokenRequest: ${parsed.error.issues[0]?.message}`,
                  40170,
                  401,
                ),
                null,
              );
          },
          (err: unknown) => {
            const statusCode = err instanceof TokenRouteError ? err.statusCode : 401;
            callback(
              new Ably.ErrorInfo(
                err instanceof Error ? err.message : String(err),
                statusCode === 403 ? 40300 : 40170,
                statusCode,
              ),
              null,
            );
          },
        );
      },
    });
    const link = status.connection('ably');
    connectionLink = link;
    link.connecting('connecting to Ably');
    let attempt = 0;
    realtime.connection.on((change) => {
      const reason = describeReason(change.reason);
      switch (change.current) {
        case 'connecting':
          // The retry announced by 'disconnected'/'suspended' is under way: trying now.
          if (attempt > 0) link.retrying(attempt, null, reason);
          else link.connecting(reason);
          break;
        case 'connected':
          attempt = 0;
          link.connected();
          break;
        case 'disconnected':
        case 'suspended':
          attempt += 1;
          link.retrying(
            attempt,
            change.retryIn ?? null,
            change.current === 'suspended'
              ? `connection suspended${reason ? `: ${reason}` : ''}`
              : (reason ?? 'connection lost'),
          );
          break;
        case 'failed':
          link.failed(`Realtime connection failed: ${reason ?? 'unknown reason'}`);
          break;
        case 'closed':
          link.dispose();
          break;
      }
    });
    client = realtime;
    return realtime;
  }

  function refreshPresence(shared: SharedChannel): void {
    const request = (shared.presenceRequest += 1);
    shared.channel.presence.get().then(
      (members) => {
        if (request !== shared.presenceRequest || channels.get(shared.name) !== shared) return;
        const state: PresenceState = {};
        for (const member of members) {
          if (!member.clientId) continue;
          const meta = presenceDataSchema.safeParse(member.data ?? {});
          if (!meta.success) {
            log.warn(`[realtime:ably] ignoring presence data of ${member.clientId} on ${shared.name}: not an object`);
            continue;
          }
          (state[member.clientId] ??= []).push(meta.data);
        }
        shared.presence = state;
        for (const subscriber of shared.subscribers) subscriber.presence?.onSync(state);
      },
      (err: unknown) =>
        log.warn(
          `[realtime:ably] presence of ${shared.name} unavailable: ${err instanceof Error ? err.message : String(err)}`,
        ),
    );
  }

  function open(name: string): SharedChannel {
    const realtime = connect();
    const channel = realtime.channels.get(name);
    const shared: SharedChannel = {
      name,
      channel,
      link: status.channel(`ably ${name}`),
      subscribers: new Set(),
      attached: false,
      refusal: null,
      presence: null,
      presenceRequest: 0,
      releaseTimer: null,
      listenPresence: () => {},
      dispose: () => {},
    };
    const onMessage = (message: Ably.InboundMessage) => {
      status.messageReceived();
      for (const subscriber of shared.subscribers) subscriber.events[message.name ?? '']?.(message.data);
    };
    const onPresence = () => {
      status.messageReceived();
      refreshPresence(shared);
    };
    const subscribed = () => {
      shared.attached = true;
      shared.refusal = null;
      // A (re)attachment replaces whatever error this channel had.
      shared.link.connected();
      for (const subscriber of shared.subscribers) subscriber.onSubscribed?.();
      if (shared.presence !== null || [...shared.subscribers].some((s) => s.presence)) refreshPresence(shared);
    };
    const onState = (change: Ably.ChannelStateChange) => {
      if (channels.get(name) !== shared) return;
      const reason = describeReason(change.reason);
      switch (change.current) {
        case 'attached':
          // A new attachment, or (update) a re-attach without continuity, e.g.
          // after a reconnect on a new connection: either way, catch up.
          if (change.previous !== 'attached' || !change.resumed) subscribed();
          break;
        case 'failed':
          shared.attached = false;
          if (change.reason?.code === 40160) {
            shared.refusal = `Not allowed to join ${name}: ${change.reason.message}`;
            shared.link.refused(shared.refusal);
          } else {
            shared.refusal = `Channel ${name} failed: ${reason ?? 'unknown reason'}`;
            shared.link.failed(shared.refusal);
          }
          for (const subscriber of shared.subscribers) subscriber.onRefused?.(shared.refusal);
          break;
        case 'suspended':
          // Ably re-attaches by itself (channelRetryTimeout) or when the connection is back.
          shared.attached = false;
          shared.link.retrying(1, null, `${name}: ${reason ?? 'attachment suspended'}`);
          break;
        default:
          // attaching, detaching, detached, initialized: not live until attached again.
          shared.attached = false;
          shared.link.connecting(`${name}: ${change.current}`);
      }
    };
    shared.link.connecting(`attaching ${name}`);
    // Without an event name the listener gets every state change and 'update'.
    channel.on(onState);
    // subscribe() attaches; a refusal arrives through onState as 'failed'.
    channel.subscribe(onMessage).catch((err: unknown) => {
      if (shared.refusal === null)
        log.warn(`[realtime:ably] attaching ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    let presenceListening = false;
    shared.dispose = () => {
      channel.off(onState);
      channel.unsubscribe(onMessage);
      if (presenceListening) channel.presence.unsubscribe(onPresence);
    };
    shared.listenPresence = () => {
      if (presenceListening) return;
      presenceListening = true;
      // Attaching is already under way; its failure is reported through onState.
      channel.presence.subscribe(onPresence).catch((err: unknown) => {
        if (shared.refusal === null)
          log.warn(`[realtime:ably] presence on ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    };
    return shared;
  }

  function release(shared: SharedChannel): void {
    channels.delete(shared.name);
    shared.dispose();
    shared.link.dispose();
    const { channel, name } = shared;
    const releaseIfUnused = () => {
      if (!channels.has(name)) client?.channels.release(name);
    };
    if (channel.state === 'failed' || channel.state === 'initialized' || channel.state === 'detached')
      return releaseIfUnused();
    // Detach first and release after: releasing an attached channel could let
    // its DETACHED reach a new channel object of the same name.
    channel
      .detach()
      .then(releaseIfUnused, (err: unknown) =>
        log.warn(`[realtime:ably] detaching ${name} failed: ${err instanceof Error ? err.message : String(err)}`),
      );
  }

  return {
    name: 'ably',

    subscribe(name: string, subscriber: ChannelOptions): ChannelSubscription {
      if (!isLogicalChannel(name)) throw new Error(`Not a Switchboard channel: ${name}`);
      let shared = channels.get(name);
      if (!shared) {
        shared = open(name);
        channels.set(name, shared);
      }
      const entry = shared;
      if (entry.releaseTimer) {
        clearTimeout(entry.releaseTimer);
        entry.releaseTimer = null;
      }
      entry.subscribers.add(subscriber);
      if (subscriber.presence) entry.listenPresence();
      if (entry.refusal !== null) subscriber.onRefused?.(entry.refusal);
      else if (entry.attached) {
        subscriber.onSubscribed?.();
        if (subscriber.presence) {
          if (entry.presence) subscriber.presence.onSync(entry.presence);
          else refreshPresence(entry);
        }
      }

      let active = true;
      const presenceKey = `${name}\u0000presence`;
      const warnOnFailure = (what: string) => (err: unknown) =>
        log.warn(`[realtime:ably] ${what} on ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
      return {
        publish(event, payload) {
          if (!active) return;
          assertWithinMessageLimit(name, event, payload);
          throttle.submit(
            `${name}\u0000${event}`,
            () => void entry.channel.publish(event, payload).catch(warnOnFailure(`publishing "${event}"`)),
          );
        },
        track(meta) {
          if (!active) return;
          assertWithinMessageLimit(name, 'presence', meta);
          throttle.submit(
            presenceKey,
            () => void entry.channel.presence.update(meta).catch(warnOnFailure('entering presence')),
          );
        },
        untrack() {
          if (!active) return;
          throttle.submit(
            presenceKey,
            () => void entry.channel.presence.leave().catch(warnOnFailure('leaving presence')),
          );
        },
        unsubscribe() {
          if (!active) return;
          active = false;
          entry.subscribers.delete(subscriber);
          // One tick later, so a StrictMode unmount/remount keeps the attachment.
          if (entry.subscribers.size === 0 && !entry.releaseTimer) {
            entry.releaseTimer = setTimeout(() => {
              entry.releaseTimer = null;
              if (entry.subscribers.size === 0 && channels.get(name) === entry) release(entry);
            }, 0);
          }
        },
      };
    },

    async refreshAuth() {
      if (client) await client.auth.authorize();
    },

    activeChannels: () => [...channels.keys()],

    close() {
      throttle.dispose();
      for (const shared of channels.values()) {
        if (shared.releaseTimer) clearTimeout(shared.releaseTimer);
        shared.dispose();
        shared.link.dispose();
      }
      channels.clear();
      client?.close();
      client = null;
      connectionLink?.dispose();
      connectionLink = null;
    },
  };
}
