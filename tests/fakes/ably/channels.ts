import { ACTION, PRESENCE_ACTION, type WireMessage } from './protocol';

// Channel state shared by all connections: who is attached, the presence set,
// and the channel serial that orders what the channel delivers.

/** What the hub needs to know about an attached connection. */
export interface Subscriber {
  readonly connectionId: string;
  /** Delivers messages and presence events (the token grants `subscribe`). */
  canSubscribe(channel: string): boolean;
  /** false when the client connected with echo=false. */
  readonly echo: boolean;
  send(frame: Record<string, unknown>): void;
}

export interface PresenceMember {
  clientId: string;
  connectionId: string;
  id: string;
  timestamp: number;
  data?: unknown;
  encoding?: string | null;
}

interface ChannelState {
  subscribers: Set<Subscriber>;
  /** By `connectionId:clientId`, as Ably keys its presence set. */
  members: Map<string, PresenceMember>;
  serial: number;
}

export class ChannelHub {
  private readonly channels = new Map<string, ChannelState>();

  private state(name: string): ChannelState {
    let state = this.channels.get(name);
    if (!state) {
      state = { subscribers: new Set(), members: new Map(), serial: 0 };
      this.channels.set(name, state);
    }
    return state;
  }

  private nextSerial(state: ChannelState): string {
    state.serial += 1;
    return `fake:${state.serial}`;
  }

  /** Attaches and returns the presence set to SYNC (empty: no HAS_PRESENCE). */
  attach(name: string, subscriber: Subscriber): { members: PresenceMember[]; channelSerial: string } {
    const state = this.state(name);
    state.subscribers.add(subscriber);
    return { members: [...state.members.values()], channelSerial: `fake:${state.serial}` };
  }

  detach(name: string, subscriber: Subscriber): void {
    const state = this.channels.get(name);
    if (!state) return;
    state.subscribers.delete(subscriber);
    this.leaveAll(name, subscriber.connectionId);
  }

  isAttached(name: string, subscriber: Subscriber): boolean {
    return this.channels.get(name)?.subscribers.has(subscriber) ?? false;
  }

  /** Fans messages out in one MESSAGE frame (the sender gets it only with echo). */
  publish(
    name: string,
    from: { connectionId: string; id: string } | null,
    messages: WireMessage[],
    timestamp = Date.now(),
  ): void {
    const state = this.state(name);
    const frame = {
      action: ACTION.MESSAGE,
      channel: name,
      channelSerial: this.nextSerial(state),
      id: from?.id,
      connectionId: from?.connectionId,
      timestamp,
      messages: messages.map((m, i) => ({
        ...m,
        id: m.id ?? `${from?.id ?? `rest-${state.serial}`}:${i}`,
        connectionId: from?.connectionId,
        timestamp,
      })),
    };
    for (const subscriber of state.subscribers) {
      if (!subscriber.canSubscribe(name)) continue;
      if (from && subscriber.connectionId === from.connectionId && !subscriber.echo) continue;
      subscriber.send(frame);
    }
  }

  /** Applies presence actions of one connection and broadcasts them. */
  presence(name: string, members: PresenceMember[], actions: number[]): void {
    const state = this.state(name);
    const events: Array<PresenceMember & { action: number }> = [];
    members.forEach((member, i) => {
      const key = `${member.connectionId}:${member.clientId}`;
      let action = actions[i];
      if (action === PRESENCE_ACTION.LEAVE) {
        if (!state.members.delete(key)) return;
      } else {
        // An update from someone not present is an enter, and vice versa (as Ably does).
        const present = state.members.has(key);
        if (action === PRESENCE_ACTION.UPDATE && !present) action = PRESENCE_ACTION.ENTER;
        else if (action === PRESENCE_ACTION.ENTER && present) action = PRESENCE_ACTION.UPDATE;
        state.members.set(key, member);
      }
      events.push({ ...member, action });
    });
    if (events.length === 0) return;
    const frame = { action: ACTION.PRESENCE, channel: name, channelSerial: this.nextSerial(state), presence: events };
    for (const subscriber of state.subscribers) if (subscriber.canSubscribe(name)) subscriber.send(frame);
  }

  private leaveAll(name: string, connectionId: string): void {
    const state = this.channels.get(name);
    if (!state) return;
    const leaving = [...state.members.values()].filter((m) => m.connectionId === connectionId);
    const now = Date.now();
    // Synthesized by the server: ids that do not start with the connection id.
    this.presence(
      name,
      leaving.map((m) => ({ ...m, id: `leave-${now}-${m.id}`, timestamp: now })),
      leaving.map(() => PRESENCE_ACTION.LEAVE),
    );
  }

  /** The connection is gone: detach it everywhere (its presence members leave). */
  connectionClosed(subscriber: Subscriber): void {
    for (const [name, state] of this.channels) {
      if (
        state.subscribers.delete(subscriber) ||
        [...state.members.values()].some((m) => m.connectionId === subscriber.connectionId)
      ) {
        this.leaveAll(name, subscriber.connectionId);
      }
    }
  }

  attachedCount(name: string): number {
    return this.channels.get(name)?.subscribers.size ?? 0;
  }

  members(name: string): PresenceMember[] {
    return [...(this.channels.get(name)?.members.values() ?? [])];
  }
}
