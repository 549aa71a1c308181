import { randomUUID } from 'node:crypto';
import type { RealtimeMessageType } from '../metrics';
import { EVENTS, TOPIC_PREFIX, type Vsn } from './constants';
import { MissingPartitionError, readPolicies, type ChannelPolicies } from './extensions/authorization';
import { handleBroadcastPush } from './extensions/broadcast';
import type { PresenceDiff } from './extensions/presence';
import { handlePresencePush, sendPresenceDiff } from './extensions/presence-handler';
import { sendReplay } from './extensions/replay';
import { notifyReplicationReady } from './extensions/replication-ready';
import { TopicHub } from './hub';
import { readJoinPayload, replayMessages, type JoinSettings } from './join';
import { accessTokenPushSchema } from './messages';
import type { BroadcastMessage, BroadcastPush, Frame } from './serializer';
import { expiredMessage, verifyChannelToken, type Claims } from './tokens';
import type { ChannelConnection, JoinedChannel } from './types';

type JoinError = { reason: string };

/** One joined topic of one socket: its settings, policies and timers. */
export class Channel implements JoinedChannel {
  readonly subTopic: string;
  key = '';
  settings!: JoinSettings;
  claims!: Claims;
  token = '';
  policies: ChannelPolicies | null = null;
  presenceKey = '';
  presenceEnabled = false;
  presenceCalls: number[] = [];
  replayedIds = new Set<string>();
  private tokenTimer: NodeJS.Timeout | null = null;
  private stopReplicationWait: (() => void) | null = null;
  private joined = false;
  private disposed = false;

  constructor(
    readonly connection: ChannelConnection,
    readonly topic: string,
    readonly joinRef: string | null,
  ) {
    this.subTopic = topic.slice(TOPIC_PREFIX.length);
  }

  get vsn(): Vsn {
    return this.connection.vsn;
  }
  private get ctx() {
    return this.connection.ctx;
  }

  sendRaw(data: string | Buffer, type: RealtimeMessageType): void {
    if (!this.disposed) this.connection.sendRaw(data, type);
  }

  push(event: string, payload: unknown, ref: string | null = null): void {
    if (this.disposed) return;
    this.connection.sendFrame({ joinRef: this.joinRef, ref, topic: this.topic, event, payload });
  }

  reply(ref: string | null, status: 'ok' | 'error', response: Record<string, unknown>): void {
    this.connection.reply({ joinRef: this.joinRef, ref, topic: this.topic }, status, response);
  }

  acceptsBroadcast(message: BroadcastMessage): boolean {
    if (this.policies && !this.policies.broadcastRead) return false;
    const id = message.meta?.id;
    return !(
      typeof id === 'string' &&
      this.replayedIds.size > 0 &&
      this.replayedIds.has(id) &&
      !message.meta?.replayed
    );
  }

  async join(frame: Frame): Promise<boolean> {
    const result = await this.tryJoin(frame);
    if ('reason' in result) {
      if (this.ctx.limits.channelErrorBackoffMs > 0)
        await new Promise((r) => setTimeout(r, this.ctx.limits.channelErrorBackoffMs));
      this.reply(frame.ref, 'error', result);
      this.dispose();
      return false;
    }
    this.reply(frame.ref, 'ok', { postgres_changes: this.settings.bindings.map((b) => b.echo) });
    this.afterJoin(result.replay);
    return true;
  }

  private async tryJoin(frame: Frame): Promise<JoinError | { replay: Awaited<ReturnType<typeof replayMessages>> }> {
    const { ctx } = this;
    if (this.subTopic === '') return { reason: 'TopicNameRequired: You must provide a topic name' };
    const settings = (this.settings = readJoinPayload(frame.payload));
    this.key = TopicHub.key(this.subTopic, settings.isPrivate);
    this.presenceKey = settings.presenceKey ?? randomUUID();
    this.presenceEnabled = settings.presenceEnabled;

    if (!ctx.activeSockets.has(this.connection) && ctx.activeSockets.size >= ctx.limits.maxConcurrentUsers) {
      return { reason: 'ConnectionRateLimitReached: Too many connected users' };
    }
    if (!ctx.joinRate.hit()) return { reason: 'ClientJoinRateLimitReached: Too many joins per second' };
    if (this.connection.channels.size > ctx.limits.maxChannelsPerClient) {
      return { reason: 'ChannelRateLimitReached: Too many channels' };
    }
    const tokenError = await this.acceptToken(settings.token);
    if (tokenError) return tokenError;

    if (settings.isPrivate) {
      let read: Awaited<ReturnType<typeof readPolicies>>;
      try {
        read = await readPolicies(ctx.sql, this.subTopic, this.claims, this.presenceEnabled);
      } catch (err) {
        if (err instanceof MissingPartitionError) return { reason: err.message };
        throw err;
      }
      this.policies = { ...read, broadcastWrite: null, presenceWrite: null };
      if (!read.broadcastRead && !read.presenceRead) {
        return {
          reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${this.subTopic}`,
        };
      }
    }
    let replay: Awaited<ReturnType<typeof replayMessages>> = [];
    if (settings.replay === 'invalid') return { reason: 'UnableToReplayMessages: Replay params are not valid' };
    if (settings.replay) {
      if (!settings.isPrivate) return { reason: 'UnableToReplayMessages: Replay is not allowed for public channels' };
      if (!this.policies?.broadcastRead) {
        return {
          reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${this.subTopic}`,
        };
      }
      replay = await replayMessages(ctx.sql, this.subTopic, settings.replay.since, settings.replay.limit);
      this.replayedIds = new Set(replay.map((m) => m.id));
    }
    if (settings.waitForPostgres && settings.bindings.length > 0) {
      const subscribed = await ctx.changes.subscribe(this, settings.bindings);
      if (!subscribed.ok) return { reason: `RealtimeDisabledForConfiguration: ${subscribed.message}` };
    }
    ctx.hub.add(this);
    this.joined = true;
    return { replay };
  }

  private afterJoin(replay: Awaited<ReturnType<typeof replayMessages>>): void {
    if (this.presenceEnabled && this.canReadPresence())
      this.push(EVENTS.presenceState, this.ctx.presence.state(this.key));
    sendReplay(this, replay);
    if (this.settings.bindings.length > 0) void this.subscribePostgres(this.settings.waitForPostgres);
    if (this.settings.replicationReady)
      this.stopReplicationWait = notifyReplicationReady(this, () => this.ctx.changes.streaming());
  }

  canReadPresence(): boolean {
    return !this.policies || this.policies.presenceRead;
  }

  receivePresenceDiff(diff: PresenceDiff): void {
    if (this.presenceEnabled && this.canReadPresence()) this.push(EVENTS.presenceDiff, diff);
  }

  /** (Re)creates the Postgres Changes subscription and reports it with a system message. */
  private async subscribePostgres(alreadySubscribed: boolean): Promise<void> {
    const result = alreadySubscribed
      ? { ok: true as const }
      : await this.ctx.changes.subscribe(this, this.settings.bindings);
    if (this.disposed) return;
    this.push(EVENTS.system, {
      extension: EVENTS.postgresChanges,
      status: result.ok ? 'ok' : 'error',
      message: result.ok ? 'Subscribed to PostgreSQL' : result.message,
      channel: this.subTopic,
    });
  }

  /** Verifies a token and adopts it; schedules the expiry check. */
  private async acceptToken(token: string | null): Promise<JoinError | null> {
    const chosen = !token || token.startsWith('sb_') ? this.connection.apiKey : token;
    const verified = await verifyChannelToken(chosen, this.ctx.verifier);
    if (!verified.ok) return { reason: `${verified.code}: ${verified.message}` };
    this.token = chosen;
    this.claims = verified.claims;
    this.scheduleTokenCheck();
    return null;
  }

  private scheduleTokenCheck(): void {
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    const remaining = Math.max(0, this.claims.exp * 1000 - Date.now());
    this.tokenTimer = setTimeout(
      () => {
        void verifyChannelToken(this.token, this.ctx.verifier).then((result) => {
          if (this.disposed) return;
          if (result.ok) this.scheduleTokenCheck();
          else
            this.shutdown(
              result.code === 'InvalidJWTToken' && /expired/.test(result.message)
                ? expiredMessage(this.claims.exp)
                : result.message,
            );
        });
      },
      Math.min(remaining, this.ctx.limits.maxTokenCheckMs),
    );
    this.tokenTimer.unref();
  }

  async handle(frame: Frame | BroadcastPush): Promise<void> {
    if (!this.joined || this.disposed) return;
    switch (frame.event) {
      case EVENTS.leave:
        this.reply(frame.ref, 'ok', {});
        this.push(EVENTS.close, {}, this.joinRef);
        this.dispose();
        return;
      case EVENTS.accessToken:
        await this.refreshToken(frame.payload);
        return;
      case EVENTS.broadcast:
        if (!this.countEvent()) return;
        await handleBroadcastPush(this, frame);
        return;
      case EVENTS.presence:
        if (!this.countEvent()) return;
        await handlePresencePush(this, frame);
        return;
      default:
        // Unknown events are ignored, but count toward the rate limit.
        this.countEvent();
    }
  }

  /** Counts a client event against the tenant's events/s; shuts the channel down when over. */
  private countEvent(): boolean {
    if (this.ctx.eventRate.hit()) return true;
    this.shutdown('Too many messages per second');
    return false;
  }

  private async refreshToken(payload: unknown): Promise<void> {
    const parsed = accessTokenPushSchema.safeParse(payload);
    const token = parsed.success ? parsed.data.access_token : null;
    if (!token || token.startsWith('sb_') || token === this.token) return;
    const verified = await verifyChannelToken(token, this.ctx.verifier);
    if (!verified.ok) {
      this.shutdown(verified.message);
      return;
    }
    this.token = token;
    this.claims = verified.claims;
    this.scheduleTokenCheck();
    if (this.settings.isPrivate) {
      const previous = this.policies;
      const read = await readPolicies(this.ctx.sql, this.subTopic, this.claims, this.presenceEnabled);
      if (
        (previous?.broadcastRead && !read.broadcastRead) ||
        (previous?.presenceRead && !read.presenceRead) ||
        (!read.broadcastRead && !read.presenceRead)
      ) {
        this.shutdown(`You no longer have permission to read from this Channel topic: ${this.subTopic}`);
        return;
      }
      this.policies = { ...read, broadcastWrite: null, presenceWrite: null };
    }
    if (this.settings.bindings.length > 0) void this.subscribePostgres(false);
  }

  /** System error message, then phx_close: the client reports CLOSED and does not rejoin. */
  shutdown(message: string): void {
    if (this.disposed) return;
    this.push(EVENTS.system, { extension: 'system', status: 'error', message, channel: this.subTopic });
    this.push(EVENTS.close, {}, this.joinRef);
    this.dispose();
  }

  /** Closed by the server (e.g. replaced by a second join on the topic). */
  close(): void {
    if (this.disposed) return;
    this.push(EVENTS.close, {}, this.joinRef);
    this.dispose();
  }

  /** Releases everything the channel holds; leaves presence. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    this.stopReplicationWait?.();
    if (this.joined) {
      this.ctx.hub.remove(this);
      this.ctx.changes.unsubscribe(this);
      const diff = this.ctx.presence.untrack(this);
      if (diff) sendPresenceDiff(this.ctx, this.key, diff);
    }
    this.connection.forget(this);
  }
}
