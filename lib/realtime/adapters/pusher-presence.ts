import { z } from 'zod';
import type { PresenceState } from '../types';

// Presence on Pusher, folded into the shape every adapter reports
// (user id → one meta per tab).
//
// Pusher presence knows members (a user id and the user_info our auth route
// signed) but not per-tab data, and member info cannot change after
// subscribing. So each tab announces its meta with a client event,
// PRESENCE_META_EVENT {tab, meta | null, hello?}, which Pusher attributes to
// the sender's signed user_id; receivers fold it into the roster. A tab that
// (re)subscribes says hello, and every tab that tracks answers with its meta,
// so newcomers learn the current state. A user appears once they track, and
// disappears when they untrack or when Pusher says their last socket left.
// The signed user_info (name, role) wins over anything a tab claims.

export const PRESENCE_META_EVENT = 'client-presence-meta';

export type PresenceMeta = Record<string, unknown>;

export const userInfoSchema = z.object({ name: z.string().max(200), role: z.enum(['dispatcher', 'driver']) });
export type UserInfo = z.infer<typeof userInfoSchema>;

export const presenceMetaMessageSchema = z.object({
  tab: z.string().min(1).max(64),
  meta: z.record(z.string(), z.unknown()).nullable(),
  hello: z.boolean().optional(),
});
export type PresenceMetaMessage = z.infer<typeof presenceMetaMessageSchema>;

export const memberSchema = z.object({ id: z.union([z.string(), z.number()]).transform(String), info: z.unknown() });

export class PresenceRoster {
  /** Members as Pusher reports them, with validated user_info (null if invalid). */
  private readonly members = new Map<string, UserInfo | null>();
  /** user id → tab id → meta. */
  private readonly tabs = new Map<string, Map<string, PresenceMeta>>();

  private static info(raw: unknown): UserInfo | null {
    const parsed = userInfoSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  /** A fresh member list (after every (re)subscribe). Tab metas are dropped: the others answer the hello again. */
  resetMembers(members: { id: string; info: unknown }[]): void {
    this.members.clear();
    this.tabs.clear();
    for (const member of members) this.members.set(member.id, PresenceRoster.info(member.info));
  }

  addMember(id: string, info: unknown): void {
    this.members.set(id, PresenceRoster.info(info));
  }

  removeMember(id: string): void {
    this.members.delete(id);
    this.tabs.delete(id);
  }

  setTab(userId: string, tab: string, meta: PresenceMeta | null): void {
    let tabs = this.tabs.get(userId);
    if (meta === null) {
      tabs?.delete(tab);
      if (tabs?.size === 0) this.tabs.delete(userId);
      return;
    }
    if (!tabs) {
      tabs = new Map();
      this.tabs.set(userId, tabs);
    }
    tabs.set(tab, meta);
  }

  state(): PresenceState {
    const state: PresenceState = {};
    for (const [userId, tabs] of this.tabs) {
      if (!this.members.has(userId)) continue;
      const info = this.members.get(userId);
      state[userId] = [...tabs.values()].map((meta) => ({ ...meta, ...(info ?? {}) }));
    }
    return state;
  }
}
