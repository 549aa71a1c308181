// The provider-swap surface: what the app needs from a realtime transport.
// Adapters (supabase, ably, pusher) implement it; the app only sees this.

export type ProviderName = 'supabase' | 'ably' | 'pusher';

/** Presence as every adapter reports it: one entry per key (user), one meta per tab. */
export type PresenceState = Record<string, Record<string, unknown>[]>;

export interface ChannelOptions {
  /** Handlers by event name. Payloads are untrusted: validate them (zod). */
  events: Record<string, (payload: unknown) => void>;
  /** Called after every successful (re)subscribe: the moment to catch up from the database. */
  onSubscribed?: () => void;
  /** The provider refused the channel (authorization) or failed it for good; the reason is for people. */
  onRefused?: (reason: string) => void;
  /** Presence on this channel, identified by `key` (the user id). */
  presence?: { key: string; onSync: (state: PresenceState) => void };
}

export interface ChannelSubscription {
  /** An ephemeral message to the other subscribers (positions, markers). Best effort. */
  publish(event: string, payload: Record<string, unknown>): void;
  /** Enters presence, or updates this tab's presence data. */
  track(meta: Record<string, unknown>): void;
  /** Leaves presence (the subscription stays). */
  untrack(): void;
  unsubscribe(): void;
}

export interface RealtimeProvider {
  readonly name: ProviderName;
  /**
   * Subscribes to a logical channel: `<table>:<scope>` (a live table's committed changes),
   * `<table>:@<user id>` (rows addressed to one person), `depot:<id>:live` (presence and ephemeral events).
   * Subscribers of one channel in one tab share one provider channel.
   */
  subscribe(channel: string, options: ChannelOptions): ChannelSubscription;
}
