import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { operationsOn, isWireError, type Authority, type Grant, type Operation } from './auth';
import type { ChannelHub, PresenceMember, Subscriber } from './channels';
import {
  ACTION,
  FLAG,
  LIMITS,
  PRESENCE_ACTION,
  clientFrameSchema,
  messageSize,
  wireError,
  type ClientFrame,
  type WireError,
} from './protocol';

// One client connection: authenticated at upgrade time, then speaking the
// protocol frame by frame. Everything a client sends is validated; anything
// malformed is a protocol ERROR, never a crash.

export interface ConnectionParams {
  grant: Grant;
  echo: boolean;
  heartbeats: boolean;
  resumeKey: string | null;
  /** Advertised to the client: how long it may stay disconnected before `suspended`. */
  connectionStateTtlMs: number;
}

export class Connection implements Subscriber {
  readonly connectionId = randomBytes(6).toString('base64url');
  readonly connectionKey = `${randomBytes(4).toString('hex')}!${this.connectionId}`;
  readonly echo: boolean;
  private grant: Grant;
  private readonly connectionStateTtlMs: number;
  private readonly attached = new Set<string>();
  private readonly recentInbound: number[] = [];
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private expiryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Frames are handled one at a time, in order (AUTH awaits a JWT check). */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly hub: ChannelHub,
    private readonly authority: Authority,
    params: ConnectionParams,
    private readonly onGone: (connection: Connection) => void,
  ) {
    this.grant = params.grant;
    this.echo = params.echo;
    this.connectionStateTtlMs = params.connectionStateTtlMs;
    socket.on('message', (raw, isBinary) => {
      const text = isBinary ? null : raw.toString();
      this.queue = this.queue.then(() => this.receive(text));
    });
    socket.on('close', () => this.gone());
    socket.on('error', () => this.gone());
    // A resume is never possible here (no connection state survives a drop):
    // like Ably after the state TTL, answer with a new connection and 80008.
    const error = params.resumeKey
      ? wireError('resumeFailed', 'Unable to resume connection: connection state not found')
      : undefined;
    this.send({
      action: ACTION.CONNECTED,
      connectionId: this.connectionId,
      connectionDetails: this.connectionDetails(),
      ...(error ? { error } : {}),
    });
    this.watchExpiry();
    // With heartbeats=true the client wants HEARTBEAT frames; otherwise ws pings.
    this.heartbeatTimer = setInterval(() => {
      if (params.heartbeats) this.send({ action: ACTION.HEARTBEAT });
      else socket.ping();
    }, LIMITS.maxIdleIntervalMs / 2);
  }

  /** Like Ably, a connection whose token expires is DISCONNECTED with 40142; the SDK renews and reconnects. */
  private watchExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const expires = this.grant.expires;
    if (expires === null) return;
    this.expiryTimer = setTimeout(
      () => {
        this.send({ action: ACTION.DISCONNECTED, error: wireError('tokenExpired', 'Token expired') });
        this.socket.close();
        this.gone();
      },
      Math.max(0, expires - Date.now()),
    );
  }

  private connectionDetails() {
    return {
      connectionKey: this.connectionKey,
      clientId: this.grant.clientId && this.grant.clientId !== '*' ? this.grant.clientId : undefined,
      connectionStateTtl: this.connectionStateTtlMs,
      maxIdleInterval: LIMITS.maxIdleIntervalMs,
      maxMessageSize: LIMITS.maxMessageSize,
      maxInboundRate: LIMITS.inboundMessagesPerSecond,
      maxFrameSize: 524_288,
      serverId: 'fake-ably',
    };
  }

  send(frame: Record<string, unknown>): void {
    if (!this.closed && this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  canSubscribe(channel: string): boolean {
    return this.allowed(channel, 'subscribe');
  }

  private allowed(channel: string, op: Operation): boolean {
    return operationsOn(this.grant.capability, channel).has(op);
  }

  /** Abrupt drop, as a network failure looks to the client. */
  terminate(): void {
    this.socket.terminate();
    this.gone();
  }

  /** A fatal connection error: ERROR without a channel, then close. */
  private fail(error: WireError): void {
    this.send({ action: ACTION.ERROR, error });
    this.socket.close();
    this.gone();
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.hub.connectionClosed(this);
    this.attached.clear();
    this.onGone(this);
  }

  private async receive(text: string | null): Promise<void> {
    if (this.closed) return;
    let frame: ClientFrame;
    try {
      if (text === null) throw new Error('binary frames need format=msgpack, which this server does not speak');
      const parsed = clientFrameSchema.safeParse(JSON.parse(text));
      if (!parsed.success)
        throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      frame = parsed.data;
    } catch (err) {
      this.fail(wireError('badRequest', `Malformed protocol message: ${(err as Error).message}`));
      return;
    }
    switch (frame.action) {
      case ACTION.HEARTBEAT:
        this.send({ action: ACTION.HEARTBEAT, ...(frame.id ? { id: frame.id } : {}) });
        break;
      case ACTION.DISCONNECT:
        this.send({ action: ACTION.DISCONNECTED });
        this.socket.close();
        this.gone();
        break;
      case ACTION.CLOSE:
        this.send({ action: ACTION.CLOSED });
        this.socket.close();
        this.gone();
        break;
      case ACTION.ATTACH:
        this.attach(frame.channel);
        break;
      case ACTION.DETACH:
        this.attached.delete(frame.channel);
        this.hub.detach(frame.channel, this);
        this.send({ action: ACTION.DETACHED, channel: frame.channel });
        break;
      case ACTION.MESSAGE:
        this.publish(frame);
        break;
      case ACTION.PRESENCE:
        this.presence(frame);
        break;
      case ACTION.AUTH:
        await this.reauthorize(frame.auth.accessToken);
        break;
    }
  }

  private attach(channel: string): void {
    const ops = operationsOn(this.grant.capability, channel);
    if (ops.size === 0) {
      this.send({
        action: ACTION.ERROR,
        channel,
        error: wireError(
          'operationNotPermitted',
          `Channel denied access based on given capability; channelId = ${channel}`,
        ),
      });
      return;
    }
    this.attached.add(channel);
    const { members, channelSerial } = this.hub.attach(channel, this);
    const modes =
      (ops.has('subscribe') ? FLAG.SUBSCRIBE | FLAG.PRESENCE_SUBSCRIBE : 0) |
      (ops.has('publish') ? FLAG.PUBLISH : 0) |
      (ops.has('presence') ? FLAG.PRESENCE : 0);
    const sync = members.length > 0 && ops.has('subscribe');
    this.send({ action: ACTION.ATTACHED, channel, channelSerial, flags: modes | (sync ? FLAG.HAS_PRESENCE : 0) });
    if (sync) {
      this.send({
        action: ACTION.SYNC,
        channel,
        channelSerial: `sync-${this.connectionId}:`,
        presence: members.map((m) => ({ ...m, action: PRESENCE_ACTION.PRESENT })),
      });
    }
  }

  /** 50 messages per second per connection, counted per message. */
  private withinRate(count: number, now = Date.now()): boolean {
    while (this.recentInbound.length && this.recentInbound[0] <= now - 1000) this.recentInbound.shift();
    if (this.recentInbound.length + count > LIMITS.inboundMessagesPerSecond) return false;
    for (let i = 0; i < count; i++) this.recentInbound.push(now);
    return true;
  }

  private refuse(frame: { channel: string; msgSerial: number }, op: Operation, count: number): WireError | null {
    if (!this.attached.has(frame.channel) && !operationsOn(this.grant.capability, frame.channel).size) {
      return wireError(
        'operationNotPermitted',
        `Channel denied access based on given capability; channelId = ${frame.channel}`,
      );
    }
    if (!this.allowed(frame.channel, op))
      return wireError(
        'operationNotPermitted',
        `Unable to perform channel operation (operation = ${op}) on ${frame.channel}: not permitted by the token capability`,
      );
    if (!this.withinRate(count))
      return wireError(
        'rateLimited',
        `Rate limit exceeded; request rejected (nonfatal); metric = connection.inboundRate; permitted rate = ${LIMITS.inboundMessagesPerSecond}`,
      );
    return null;
  }

  private nack(msgSerial: number, error: WireError): void {
    this.send({ action: ACTION.NACK, msgSerial, count: 1, error });
  }

  private publish(frame: Extract<ClientFrame, { action: 15 }>): void {
    const refused = this.refuse(frame, 'publish', frame.messages.length);
    if (refused) return this.nack(frame.msgSerial, refused);
    const total = frame.messages.reduce((sum, m) => sum + messageSize(m), 0);
    if (total > LIMITS.maxMessageSize) {
      return this.nack(
        frame.msgSerial,
        wireError('messageTooLarge', `Maximum message length exceeded: ${total} bytes > ${LIMITS.maxMessageSize}`),
      );
    }
    const clientId = this.identify(frame.messages.map((m) => m.clientId));
    if (isWireError(clientId)) return this.nack(frame.msgSerial, clientId);
    const id = `${this.connectionId}:${frame.msgSerial}`;
    const messages = frame.messages.map((m, i) => ({
      ...m,
      clientId: clientId[i] ?? undefined,
      id: m.id ?? `${id}:${i}`,
    }));
    this.hub.publish(frame.channel, { connectionId: this.connectionId, id }, messages);
    this.send({ action: ACTION.ACK, msgSerial: frame.msgSerial, count: 1 });
  }

  private presence(frame: Extract<ClientFrame, { action: 14 }>): void {
    const refused = this.refuse(frame, 'presence', frame.presence.length);
    if (refused) return this.nack(frame.msgSerial, refused);
    if (!this.attached.has(frame.channel))
      return this.nack(
        frame.msgSerial,
        wireError('badRequest', `Presence on ${frame.channel} requires an attached channel`),
      );
    const clientIds = this.identify(frame.presence.map((p) => p.clientId));
    if (isWireError(clientIds)) return this.nack(frame.msgSerial, clientIds);
    const now = Date.now();
    const members: PresenceMember[] = [];
    for (const [i, p] of frame.presence.entries()) {
      const clientId = clientIds[i];
      if (!clientId)
        return this.nack(
          frame.msgSerial,
          wireError('invalidClientId', 'Presence needs a clientId: connect with an identified token'),
        );
      if (messageSize({ clientId, data: p.data }) > LIMITS.maxMessageSize)
        return this.nack(frame.msgSerial, wireError('messageTooLarge', 'Maximum presence data length exceeded'));
      members.push({
        clientId,
        connectionId: this.connectionId,
        id: `${this.connectionId}:${frame.msgSerial}:${i}`,
        timestamp: now,
        data: p.data,
        encoding: p.encoding,
      });
    }
    this.hub.presence(
      frame.channel,
      members,
      frame.presence.map((p) => p.action),
    );
    this.send({ action: ACTION.ACK, msgSerial: frame.msgSerial, count: 1 });
  }

  /** The clientId each message is published as: the connection's own, or (wildcard/key) the one given. */
  private identify(given: Array<string | undefined>): Array<string | null> | WireError {
    const own = this.grant.clientId;
    const result: Array<string | null> = [];
    for (const clientId of given) {
      if (own && own !== '*') {
        if (clientId !== undefined && clientId !== own)
          return wireError('invalidClientId', `Mismatched clientId ${clientId} for a connection identified as ${own}`);
        result.push(own);
      } else {
        if (clientId !== undefined && own !== '*')
          return wireError('invalidClientId', 'An anonymous connection cannot publish with a clientId');
        result.push(clientId ?? null);
      }
    }
    return result;
  }

  /** AUTH with a renewed token: same connection, new capability; the clientId may not change. */
  private async reauthorize(token: string): Promise<void> {
    const grant = await this.authority.grantForToken(token);
    if (isWireError(grant)) return this.fail(grant);
    if ((grant.clientId ?? null) !== (this.grant.clientId ?? null)) {
      return this.fail(
        wireError(
          'incompatibleClientId',
          `Token clientId ${grant.clientId} does not match the connection's ${this.grant.clientId}`,
        ),
      );
    }
    this.grant = grant;
    this.watchExpiry();
    for (const channel of [...this.attached]) {
      if (operationsOn(grant.capability, channel).size === 0) {
        this.attached.delete(channel);
        this.hub.detach(channel, this);
        this.send({
          action: ACTION.DETACHED,
          channel,
          error: wireError(
            'operationNotPermitted',
            `Channel denied access based on given capability; channelId = ${channel}`,
          ),
        });
      }
    }
    this.send({
      action: ACTION.CONNECTED,
      connectionId: this.connectionId,
      connectionDetails: this.connectionDetails(),
    });
  }
}
