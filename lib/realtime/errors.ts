/** What a provider refuses to send, so the app can tell people instead of failing silently. */
export type RealtimeLimitCode = 'message_too_large';

/** Thrown by an adapter when a message would break its provider's limits. */
export class RealtimeLimitError extends Error {
  constructor(
    readonly code: RealtimeLimitCode,
    message: string,
  ) {
    super(message);
    this.name = 'RealtimeLimitError';
  }
}
