import type { RealtimeMessageType } from '../metrics';
import type { Vsn } from './constants';
import type { ChangesSubscriber, RealtimeContext } from './context';
import type { ChannelPolicies } from './extensions/authorization';
import type { PresenceMember } from './extensions/presence';
import type { HubMember } from './hub';
import type { JoinSettings } from './join';
import type { Frame } from './serializer';
import type { Claims } from './tokens';

// The shapes a socket, its channels and the channel extensions (broadcast,
// presence) see of each other. Each side depends on this module, never on the
// other's, so connection → channel → extensions stays a one-way street.

/** What a channel needs from the socket it lives on. */
export interface ChannelConnection {
  readonly ctx: RealtimeContext;
  readonly vsn: Vsn;
  /** The connect-time apikey: the token of joins that carry none. */
  readonly apiKey: string;
  /** Joined channels by topic (read-only for channels: the connection owns the map). */
  readonly channels: ReadonlyMap<string, JoinedChannel>;
  sendRaw(data: string | Buffer, type: RealtimeMessageType): void;
  sendFrame(frame: Frame): void;
  reply(
    frame: Pick<Frame, 'joinRef' | 'ref' | 'topic'>,
    status: 'ok' | 'error',
    response: Record<string, unknown>,
  ): void;
  /** Called by a channel that closed itself. */
  forget(channel: JoinedChannel): void;
}

/** A joined topic as the broadcast and presence extensions see it. */
export interface JoinedChannel extends HubMember, PresenceMember, ChangesSubscriber {
  readonly connection: ChannelConnection;
  readonly subTopic: string;
  readonly settings: JoinSettings;
  claims: Claims;
  /** null on public channels; read checked at join, write checked lazily. */
  policies: ChannelPolicies | null;
  presenceEnabled: boolean;
  /** Times (ms) of this client's recent presence calls, for the per-client limit. */
  presenceCalls: number[];
  push(event: string, payload: unknown, ref?: string | null): void;
  reply(ref: string | null, status: 'ok' | 'error', response: Record<string, unknown>): void;
  /** System error message, then phx_close: the client reports CLOSED and does not rejoin. */
  shutdown(message: string): void;
  canReadPresence(): boolean;
}
