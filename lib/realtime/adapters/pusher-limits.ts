import { RealtimeLimitError } from '../errors';

// Pusher Channels limits the adapter respects before the server has to refuse:
// 10 KB per message, 10 client events per second per socket, 100 presence
// members per channel (enforced by Pusher; the refusal reaches onRefused).

export const PUSHER_LIMITS = {
  messageBytes: 10 * 1024,
  clientEventsPerSecond: 10,
  presenceMembers: 100,
} as const;

export { RealtimeLimitError };

/** Throws a RealtimeLimitError when `payload` is over Pusher's 10 KB message limit. */
export function assertWithinMessageLimit(channel: string, event: string, payload: unknown): void {
  const bytes = new TextEncoder().encode(JSON.stringify(payload)).length;
  if (bytes > PUSHER_LIMITS.messageBytes) {
    throw new RealtimeLimitError(
      'message_too_large',
      `"${event}" on ${channel} is ${bytes} bytes; Pusher accepts at most ${PUSHER_LIMITS.messageBytes}. Send an id and let receivers fetch the rest.`,
    );
  }
}

/**
 * A sliding one-second window of client events for one socket. `reserve`
 * keeps slots free for more important messages (presence over positions).
 */
export class ClientEventLimiter {
  private sent: number[] = [];

  constructor(
    private readonly perSecond: number = PUSHER_LIMITS.clientEventsPerSecond,
    private readonly now: () => number = Date.now,
  ) {}

  private prune(): void {
    const cutoff = this.now() - 1000;
    while (this.sent.length > 0 && this.sent[0] <= cutoff) this.sent.shift();
  }

  tryTake(reserve = 0): boolean {
    this.prune();
    if (this.sent.length >= this.perSecond - reserve) return false;
    this.sent.push(this.now());
    return true;
  }

  /** Milliseconds until a slot frees up (0 if one is free). */
  msUntilFree(): number {
    this.prune();
    if (this.sent.length < this.perSecond) return 0;
    return Math.max(1, this.sent[0] + 1000 - this.now() + 1);
  }
}
