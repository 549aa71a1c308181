import { LIMITS } from './protocol';

// Channel state of the fake: who is subscribed, and presence members counted
// per user (a user with several sockets is one member until the last leaves).

export interface Subscriber {
  socketId: string;
  send(frame: object): void;
}

interface PresenceMember {
  userInfo: unknown;
  sockets: Set<string>;
}

export class ChannelState {
  readonly subscribers = new Map<string, Subscriber>();
  /** user_id → member (presence channels only). */
  readonly members = new Map<string, PresenceMember>();
  /** socket_id → user_id on this presence channel. */
  readonly userOfSocket = new Map<string, string>();

  constructor(readonly name: string) {}

  get isEmpty(): boolean {
    return this.subscribers.size === 0;
  }

  /** Would adding this user exceed the presence member limit? */
  presenceFull(userId: string): boolean {
    return !this.members.has(userId) && this.members.size >= LIMITS.presenceMembers;
  }

  /** Adds a presence socket; true when the user is new on the channel (member_added). */
  addMember(socketId: string, userId: string, userInfo: unknown): boolean {
    const previous = this.userOfSocket.get(socketId);
    if (previous === userId) return false;
    if (previous !== undefined) this.removeMember(socketId);
    this.userOfSocket.set(socketId, userId);
    const member = this.members.get(userId);
    if (member) {
      member.sockets.add(socketId);
      return false;
    }
    this.members.set(userId, { userInfo, sockets: new Set([socketId]) });
    return true;
  }

  /** Removes a presence socket; returns the user id when their last socket left (member_removed). */
  removeMember(socketId: string): string | null {
    const userId = this.userOfSocket.get(socketId);
    if (userId === undefined) return null;
    this.userOfSocket.delete(socketId);
    const member = this.members.get(userId);
    if (!member) return null;
    member.sockets.delete(socketId);
    if (member.sockets.size > 0) return null;
    this.members.delete(userId);
    return userId;
  }

  presencePayload(): { presence: { ids: string[]; hash: Record<string, unknown>; count: number } } {
    const ids = [...this.members.keys()];
    const hash: Record<string, unknown> = {};
    for (const [id, member] of this.members) hash[id] = member.userInfo ?? null;
    return { presence: { ids, hash, count: ids.length } };
  }

  /** Sends to every subscriber except `exceptSocketId`. */
  broadcast(frame: object, exceptSocketId?: string): void {
    for (const subscriber of this.subscribers.values()) {
      if (subscriber.socketId !== exceptSocketId) subscriber.send(frame);
    }
  }
}
