import { WebSocket, type RawData } from 'ws';
import { realtimeMessageType, type RealtimeMessageType } from '../metrics';
import { Channel } from './channel';
import { EVENTS, PHOENIX_TOPIC, TOPIC_PREFIX, type Vsn } from './constants';
import type { RealtimeContext } from './context';
import { decodeBinary, decodeText, encodeFrame, type BroadcastPush, type Frame } from './serializer';
import type { ChannelConnection, JoinedChannel } from './types';

/**
 * One WebSocket: decodes frames, answers heartbeats, routes pushes to its
 * channels (by topic) and guards its send buffer.
 */
export class Connection implements ChannelConnection {
  readonly channels = new Map<string, Channel>();
  lastSeen = Date.now();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private corked = false;

  constructor(
    readonly ctx: RealtimeContext,
    readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The connect-time apikey: the token of joins that carry none. */
    readonly apiKey: string,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => this.teardown());
    ws.on('error', () => this.teardown());
  }

  /** Sends a frame, dropping the socket when the client does not keep up. */
  sendRaw(data: string | Buffer, type: RealtimeMessageType): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.ctx.limits.sendBufferBytes) {
      // A slow consumer: never let its queue grow without bound.
      this.terminate();
      return;
    }
    // Frames sent in the same tick (a batch of changes) leave in one write.
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (socket && !this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    this.ws.send(data);
    this.ctx.metrics.realtimeMessages.inc({ direction: 'out', type });
  }

  sendFrame(frame: Frame): void {
    this.sendRaw(encodeFrame(this.vsn, frame), realtimeMessageType(frame.topic, frame.event));
  }

  reply(
    frame: Pick<Frame, 'joinRef' | 'ref' | 'topic'>,
    status: 'ok' | 'error',
    response: Record<string, unknown>,
  ): void {
    this.sendFrame({ ...frame, event: EVENTS.reply, payload: { status, response } });
  }

  terminate(): void {
    this.ws.terminate();
    this.teardown();
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.lastSeen = Date.now();
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const frame: Frame | BroadcastPush | null = isBinary
      ? decodeBinary(buffer)
      : decodeText(buffer.toString('utf8'), this.vsn);
    // Malformed frames are ignored and the socket stays open, as Phoenix does.
    this.ctx.metrics.realtimeMessages.inc({
      direction: 'in',
      type: frame ? realtimeMessageType(frame.topic, frame.event) : 'invalid',
    });
    if (!frame) return;
    if (frame.topic === PHOENIX_TOPIC && frame.event === EVENTS.heartbeat) {
      this.reply(frame, 'ok', {});
      return;
    }
    // One message at a time per socket, so a join finishes before later pushes to its topic.
    this.queue = this.queue.then(
      () => this.route(frame),
      () => this.route(frame),
    );
    this.queue.catch((err: unknown) => this.ctx.log.error('message handling failed', { err }));
  }

  private async route(frame: Frame | BroadcastPush): Promise<void> {
    if (this.closed) return;
    const existing = this.channels.get(frame.topic);
    if (frame.event === EVENTS.join) {
      if (!frame.topic.startsWith(TOPIC_PREFIX)) {
        this.ctx.metrics.realtimeJoins.inc({ result: 'error' });
        this.reply(frame, 'error', { reason: 'unmatched topic' });
        return;
      }
      // A second join on a topic closes the old channel first.
      if (existing) existing.close();
      const channel = new Channel(this, frame.topic, frame.joinRef);
      this.channels.set(frame.topic, channel);
      const joined = await channel.join(frame);
      this.ctx.metrics.realtimeJoins.inc({ result: joined ? 'ok' : 'error' });
      if (!joined && this.channels.get(frame.topic) === channel) this.channels.delete(frame.topic);
      this.updateActive();
      return;
    }
    if (!existing) {
      this.reply(frame, 'error', { reason: 'unmatched topic' });
      return;
    }
    await existing.handle(frame);
  }

  /** Called by a channel that closed itself. */
  forget(channel: JoinedChannel): void {
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
    this.updateActive();
  }

  private updateActive(): void {
    if (this.channels.size > 0 && !this.closed) this.ctx.activeSockets.add(this);
    else this.ctx.activeSockets.delete(this);
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const channel of [...this.channels.values()]) channel.dispose();
    this.channels.clear();
    this.ctx.activeSockets.delete(this);
  }
}
