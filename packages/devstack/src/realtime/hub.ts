import type { RealtimeMessageType } from '../metrics';
import type { Vsn } from './constants';
import type { PresenceDiff } from './extensions/presence';
import { encodeBroadcast, type BroadcastMessage } from './serializer';

/** What the hub needs from a joined channel to deliver to it. */
export interface HubMember {
  readonly key: string;
  readonly topic: string;
  readonly vsn: Vsn;
  /** False on private channels whose subscriber may not read broadcasts, and for replayed ids. */
  acceptsBroadcast(message: BroadcastMessage): boolean;
  sendRaw(data: string | Buffer, type: RealtimeMessageType): void;
  /** Delivers a presence_diff of the topic (if this member receives presence). */
  receivePresenceDiff(diff: PresenceDiff): void;
}

/**
 * Joined channels by namespace and topic. Public and private channels of the
 * same name are different keys, so they never see each other's messages.
 */
export class TopicHub {
  private readonly topics = new Map<string, Set<HubMember>>();

  static key(subTopic: string, isPrivate: boolean): string {
    return `${isPrivate ? 'private' : 'public'}:${subTopic}`;
  }

  add(member: HubMember): void {
    let members = this.topics.get(member.key);
    if (!members) this.topics.set(member.key, (members = new Set()));
    members.add(member);
  }

  remove(member: HubMember): void {
    const members = this.topics.get(member.key);
    if (!members) return;
    members.delete(member);
    if (members.size === 0) this.topics.delete(member.key);
  }

  members(key: string): ReadonlySet<HubMember> {
    return this.topics.get(key) ?? new Set();
  }

  /**
   * Fans a broadcast out to every member of a topic (but `except`), encoding it
   * once per serializer version rather than once per socket.
   */
  broadcast(key: string, message: BroadcastMessage, except?: HubMember): number {
    const members = this.topics.get(key);
    if (!members) return 0;
    const encoded = new Map<Vsn, string | Buffer | null>();
    let delivered = 0;
    for (const member of members) {
      if (member === except || !member.acceptsBroadcast(message)) continue;
      let frame = encoded.get(member.vsn);
      if (frame === undefined) {
        frame = encodeBroadcast(member.vsn, member.topic, message);
        encoded.set(member.vsn, frame);
      }
      if (frame === null) continue;
      member.sendRaw(frame, 'broadcast');
      delivered++;
    }
    return delivered;
  }
}
