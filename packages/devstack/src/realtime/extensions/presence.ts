import { randomBytes } from 'node:crypto';

// Presence as Phoenix.Presence shapes it: per topic, each key holds a list of
// metas (one per tracking channel, e.g. two tabs of one user), each with a
// unique phx_ref. Changes go out as presence_diff {joins, leaves}.

export type PresenceMeta = Record<string, unknown> & { phx_ref: string; phx_ref_prev?: string };
export type PresenceMap = Record<string, { metas: PresenceMeta[] }>;
export interface PresenceDiff {
  joins: PresenceMap;
  leaves: PresenceMap;
}

/** A channel that can hold one presence entry. */
export interface PresenceMember {
  readonly key: string;
  readonly presenceKey: string;
}

interface Entry {
  member: PresenceMember;
  meta: PresenceMeta;
  /** The tracked payload, to tell an unchanged re-track from an update. */
  source: string;
}

export function presenceRef(): string {
  return randomBytes(9).toString('base64url');
}

export class PresenceRegistry {
  /** topic key → presence key → entries */
  private readonly topics = new Map<string, Map<string, Entry[]>>();

  /** The whole state of a topic, as sent in presence_state. */
  state(topicKey: string): PresenceMap {
    const out: PresenceMap = {};
    for (const [key, entries] of this.topics.get(topicKey) ?? []) out[key] = { metas: entries.map((e) => e.meta) };
    return out;
  }

  /** Tracks or updates the member's meta; null when nothing changed. */
  track(member: PresenceMember, payload: Record<string, unknown>): PresenceDiff | null {
    const source = JSON.stringify(payload);
    const entries = this.entries(member);
    const index = entries.findIndex((e) => e.member === member);
    const previous = index >= 0 ? entries[index] : undefined;
    if (previous && previous.source === source) return null;
    const meta: PresenceMeta = { ...payload, phx_ref: presenceRef() };
    if (previous) meta.phx_ref_prev = previous.meta.phx_ref;
    const entry: Entry = { member, meta, source };
    if (previous) entries[index] = entry;
    else entries.push(entry);
    return {
      joins: { [member.presenceKey]: { metas: [meta] } },
      leaves: previous ? { [member.presenceKey]: { metas: [previous.meta] } } : {},
    };
  }

  /** Removes the member's meta; null when it tracked nothing. */
  untrack(member: PresenceMember): PresenceDiff | null {
    const topic = this.topics.get(member.key);
    const entries = topic?.get(member.presenceKey);
    if (!topic || !entries) return null;
    const index = entries.findIndex((e) => e.member === member);
    if (index < 0) return null;
    const [removed] = entries.splice(index, 1);
    if (entries.length === 0) topic.delete(member.presenceKey);
    if (topic.size === 0) this.topics.delete(member.key);
    return { joins: {}, leaves: { [member.presenceKey]: { metas: [removed.meta] } } };
  }

  private entries(member: PresenceMember): Entry[] {
    let topic = this.topics.get(member.key);
    if (!topic) this.topics.set(member.key, (topic = new Map()));
    let entries = topic.get(member.presenceKey);
    if (!entries) topic.set(member.presenceKey, (entries = []));
    return entries;
  }
}
