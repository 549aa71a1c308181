import type { Sql } from 'postgres';
import type { RealtimeProvider } from '../../lib/realtime/types';
import type { ContractPerson } from './fixtures';

/** A signed-in app tab: its provider plus what the contract needs to look at. */
export interface ContractClient {
  provider: RealtimeProvider;
  /** Committed changes of a live table's scope after a seq, read as this person (public.live_changes_after, the app's backfill). */
  changesAfter(table: string, scope: string, afterSeq: number): Promise<{ seq: number; id: string; version: number }[]>;
  /** Provider channels this tab holds open (to prove one per logical channel). */
  openChannels(): number;
  close(): Promise<void>;
}

/** One provider under test, with whatever servers it needs. */
export interface ProviderHarness {
  name: 'supabase' | 'ably' | 'pusher';
  /** Starts the provider's servers on a private database; returns a superuser connection to it. */
  start(): Promise<Sql>;
  stop(): Promise<void>;
  client(person: ContractPerson): Promise<ContractClient>;
  /**
   * What the provider's authorization says about a channel for this person:
   * the HTTP status of the app's auth route for Ably/Pusher, or of the join
   * for Supabase (403 when refused).
   */
  authorize(person: ContractPerson, channel: string): Promise<number>;
  /** Waits until every committed change has been handed to the provider (relay drained). */
  flush(): Promise<void>;
  /** Cuts every client socket on the server side, like an outage. */
  dropConnections(): void;
  /**
   * While true, new client sockets are refused at the handshake (a proxy or
   * firewall that blocks WebSockets, or the service being down); turning it on
   * also cuts the open ones. REST and the database stay reachable.
   */
  blockConnections(blocked: boolean): void;
}
