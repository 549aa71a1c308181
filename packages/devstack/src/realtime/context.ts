import type { Sql } from 'postgres';
import type { TokenVerifier } from '../jwt';
import type { Logger } from '../log-json';
import type { DevstackMetrics, RealtimeMessageType } from '../metrics';
import type { RealtimeLimits } from './constants';
import type { PresenceRegistry } from './extensions/presence';
import type { TopicHub } from './hub';
import type { Claims } from './tokens';

/** A channel as the Postgres Changes extension sees it. */
export interface ChangesSubscriber {
  readonly subTopic: string;
  claims: Claims;
  /** Sends one postgres_changes event (already encoded for this socket). */
  sendRaw(data: string | Buffer, type: RealtimeMessageType): void;
  readonly vsn: '1.0.0' | '2.0.0';
  readonly topic: string;
}

export interface BindingWithId {
  id: number;
  /** The client's map plus id, exactly as the join reply must echo it. */
  echo: Record<string, unknown>;
}

export type SubscribeResult = { ok: true } | { ok: false; message: string };

export interface PostgresChangesApi {
  /** Resolves once the replication stream is live (changes committed after this are delivered). */
  ready(): Promise<void>;
  /** True while the replication stream is connected (false while Postgres restarts). */
  streaming(): boolean;
  subscribe(subscriber: ChangesSubscriber, bindings: BindingWithId[]): Promise<SubscribeResult>;
  unsubscribe(subscriber: ChangesSubscriber): void;
}

/** Tenant-wide counters (the dev stack is one tenant). */
export class RateWindow {
  private windowStart = 0;
  private count = 0;
  constructor(
    private readonly limit: number,
    private readonly windowMs = 1000,
  ) {}

  /** Counts one event; false when the limit of the current window is exceeded. */
  hit(now = Date.now()): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    return this.count <= this.limit;
  }
}

export interface RealtimeContext {
  /** Superuser pool for authorization probes, replay and RLS batches. */
  sql: Sql;
  /** Verifies every token the socket, its channels and the broadcast API receive. */
  verifier: TokenVerifier;
  limits: RealtimeLimits;
  hub: TopicHub;
  presence: PresenceRegistry;
  changes: PostgresChangesApi;
  joinRate: RateWindow;
  eventRate: RateWindow;
  /** Sockets with at least one joined channel (Supabase's "concurrent users"). */
  activeSockets: Set<object>;
  metrics: DevstackMetrics;
  /** The realtime service's logger (service "realtime"). */
  log: Logger;
}
