import { ChannelState } from './channels';
import type { ServerFrame } from './protocol';

export interface AppCredentials {
  appId: string;
  key: string;
  secret: string;
}

/** The shared state of one fake app: its channels, created on first subscribe, dropped when empty. */
export class Hub {
  private readonly channels = new Map<string, ChannelState>();

  constructor(readonly app: AppCredentials) {}

  channel(name: string): ChannelState {
    let state = this.channels.get(name);
    if (!state) {
      state = new ChannelState(name);
      this.channels.set(name, state);
    }
    return state;
  }

  existing(name: string): ChannelState | undefined {
    return this.channels.get(name);
  }

  forgetIfEmpty(state: ChannelState): void {
    if (state.isEmpty && this.channels.get(state.name) === state) this.channels.delete(state.name);
  }

  /** Delivers a server event (REST trigger) to a channel's subscribers, except `exceptSocketId`. */
  publish(channel: string, event: string, data: string, exceptSocketId?: string): void {
    const frame: ServerFrame = { event, channel, data };
    this.channels.get(channel)?.broadcast(frame, exceptSocketId);
  }

  /** Channel names with their subscriber counts (for tests). */
  occupancy(): Record<string, number> {
    return Object.fromEntries([...this.channels].map(([name, state]) => [name, state.subscribers.size]));
  }
}
