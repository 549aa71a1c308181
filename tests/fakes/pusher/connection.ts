import { randomInt } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Hub } from './hub';
import {
  byteLength,
  CLOSE,
  channelKind,
  clientFrameSchema,
  decodeData,
  errorFrame,
  LIMITS,
  presenceChannelDataSchema,
  protocolFrame,
  subscribeDataSchema,
  unsubscribeDataSchema,
} from './protocol';
import { verifyChannelAuth } from './signature';

// One WebSocket client of the fake: handshake, subscriptions, presence,
// client events and ping, following the protocol 7 spec.

export function newSocketId(): string {
  return `${randomInt(1, 2 ** 31)}.${randomInt(1, 2 ** 31)}`;
}

export class PusherConnection {
  readonly socketId = newSocketId();
  private readonly subscribed = new Set<string>();
  private clientEventTimes: number[] = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly hub: Hub,
    activityTimeoutSeconds: number,
  ) {
    this.send(
      protocolFrame('pusher:connection_established', {
        socket_id: this.socketId,
        activity_timeout: activityTimeoutSeconds,
      }),
    );
    ws.on('message', (raw, isBinary) => this.receive(isBinary ? null : raw.toString()));
    ws.on('close', () => this.leaveAll());
  }

  send = (frame: object): void => {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(frame));
  };

  /** Drops the socket without a closing handshake, like a network failure. */
  terminate(): void {
    this.ws.terminate();
  }

  private receive(text: string | null): void {
    if (text === null) return this.send(errorFrame('Binary frames are not supported'));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.send(errorFrame('Invalid JSON: the frame could not be parsed'));
    }
    const frame = clientFrameSchema.safeParse(json);
    if (!frame.success) return this.send(errorFrame('Invalid message: expected {"event": string, "data": ...}'));
    const { event, channel, data } = frame.data;
    switch (event) {
      case 'pusher:ping':
        return this.send(protocolFrame('pusher:pong', {}));
      case 'pusher:pong':
        return;
      case 'pusher:subscribe':
        return this.subscribe(decodeData(data));
      case 'pusher:unsubscribe':
        return this.unsubscribe(decodeData(data));
      default:
        if (event.startsWith('client-')) return this.clientEvent(event, channel, data);
        return this.send(errorFrame(`Unsupported event: ${event}`));
    }
  }

  private subscribe(data: unknown): void {
    const parsed = subscribeDataSchema.safeParse(data);
    if (!parsed.success)
      return this.send(errorFrame(`Invalid subscribe: ${parsed.error.issues[0]?.message ?? 'bad data'}`));
    const { channel, auth, channel_data: channelData } = parsed.data;
    const kind = channelKind(channel);
    const refuse = (error: string, status: number) =>
      this.send(protocolFrame('pusher:subscription_error', { type: 'AuthError', error, status }, channel));

    if (kind !== 'public') {
      if (kind === 'presence' && channelData === undefined)
        return refuse(`channel_data is required for ${channel}`, 401);
      const problem = verifyChannelAuth(this.hub.app, {
        socketId: this.socketId,
        channel,
        auth,
        channelData: kind === 'presence' ? channelData : undefined,
      });
      if (problem) return refuse(problem, 401);
    }
    const state = this.hub.channel(channel);
    if (kind === 'presence') {
      let member;
      try {
        member = presenceChannelDataSchema.safeParse(JSON.parse(channelData ?? ''));
      } catch {
        member = null;
      }
      if (!member?.success) {
        this.hub.forgetIfEmpty(state);
        return refuse('channel_data must be JSON with a user_id', 401);
      }
      if (state.presenceFull(member.data.user_id)) {
        this.hub.forgetIfEmpty(state);
        return refuse(`Presence channel ${channel} is full (${LIMITS.presenceMembers} members)`, 403);
      }
      state.subscribers.set(this.socketId, this);
      this.subscribed.add(channel);
      const added = state.addMember(this.socketId, member.data.user_id, member.data.user_info);
      this.send(protocolFrame('pusher_internal:subscription_succeeded', state.presencePayload(), channel));
      if (added) {
        state.broadcast(
          protocolFrame(
            'pusher_internal:member_added',
            { user_id: member.data.user_id, user_info: member.data.user_info },
            channel,
          ),
          this.socketId,
        );
      }
      return;
    }
    state.subscribers.set(this.socketId, this);
    this.subscribed.add(channel);
    this.send(protocolFrame('pusher_internal:subscription_succeeded', {}, channel));
  }

  private unsubscribe(data: unknown): void {
    const parsed = unsubscribeDataSchema.safeParse(data);
    if (!parsed.success) return this.send(errorFrame('Invalid unsubscribe: channel is required'));
    this.leave(parsed.data.channel);
  }

  private leave(channel: string): void {
    if (!this.subscribed.delete(channel)) return;
    const state = this.hub.existing(channel);
    if (!state) return;
    state.subscribers.delete(this.socketId);
    const removed = state.removeMember(this.socketId);
    if (removed !== null)
      state.broadcast(protocolFrame('pusher_internal:member_removed', { user_id: removed }, channel));
    this.hub.forgetIfEmpty(state);
  }

  private leaveAll(): void {
    for (const channel of [...this.subscribed]) this.leave(channel);
  }

  private clientEvent(event: string, channel: string | undefined, data: unknown): void {
    if (!channel) return this.send(errorFrame(`Client event ${event} rejected: no channel`));
    if (channelKind(channel) === 'public')
      return this.send(errorFrame(`Client event rejected: ${channel} is not a private or presence channel`));
    if (!this.subscribed.has(channel))
      return this.send(errorFrame(`Client event rejected: not subscribed to ${channel}`));
    const now = Date.now();
    this.clientEventTimes = this.clientEventTimes.filter((t) => now - t < 1000);
    if (this.clientEventTimes.length >= LIMITS.clientEventsPerSecond) {
      return this.send(
        errorFrame(
          `Client event rejected: more than ${LIMITS.clientEventsPerSecond} client events per second`,
          CLOSE.clientEventRateLimited,
        ),
      );
    }
    this.clientEventTimes.push(now);
    const payload = typeof data === 'string' ? data : JSON.stringify(data ?? null);
    if (byteLength(payload) > LIMITS.messageBytes)
      return this.send(errorFrame(`Client event rejected: data is larger than ${LIMITS.messageBytes} bytes`));
    const state = this.hub.existing(channel);
    const userId = state?.userOfSocket.get(this.socketId);
    // Pusher forwards the data as the client sent it, adding user_id on presence channels.
    const frame: { event: string; channel: string; data: unknown; user_id?: string } = {
      event,
      channel,
      data: data ?? null,
      ...(userId !== undefined ? { user_id: userId } : {}),
    };
    state?.broadcast(frame, this.socketId);
  }
}
