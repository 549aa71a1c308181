// What the relay needs from a provider: publish one message to one logical
// channel, and prove at startup that the credentials work. The relay never
// touches a provider SDK directly, so tests can hand it a recording or failing
// publisher, and the SDKs stay in relay/publishers.

export interface Publisher {
  /** "ably" | "pusher", or a test double's name; for logs. */
  readonly name: string;
  /**
   * Publishes `event` with `payload` on a LOGICAL channel (`shipments:<depot id>`,
   * `shipments:@<user id>`); the publisher maps it to the provider's channel name.
   * Resolves once the provider has accepted the message; rejects otherwise.
   */
  publish(channel: string, event: string, payload: unknown): Promise<void>;
  /** An authenticated call: rejects with the provider's error when the key is wrong. */
  verify(): Promise<void>;
  /**
   * Why the provider refused this message for good ("too large", "forbidden",
   * …), so the relay moves it to the dead letters at once instead of retrying;
   * null when a retry may succeed (network, 5xx, rate limits, credentials).
   */
  refusal?(err: unknown): string | null;
  close?(): Promise<void> | void;
}

/** The provider's error as one readable line (status code, provider code, message). */
export function describeError(err: unknown): string {
  if (err instanceof Error || (typeof err === 'object' && err !== null)) {
    const e = err as {
      message?: string;
      statusCode?: number;
      status?: number;
      code?: number | string;
      body?: string;
      error?: unknown;
      cause?: unknown;
    };
    // The pusher SDK wraps network failures ("Request failed with an error") around the real cause.
    const inner = e.error ?? e.cause;
    const innerText = inner instanceof Error ? ` (${inner.message})` : '';
    const status = e.statusCode ?? e.status;
    const parts = [
      status ? `HTTP ${status}` : undefined,
      e.code !== undefined && e.code !== status ? `code ${e.code}` : undefined,
      e.message ? e.message + innerText : undefined,
      e.body ? `: ${e.body.trim().slice(0, 300)}` : undefined,
    ].filter(Boolean);
    return parts.join(' ').replace(' : ', ': ') || String(err);
  }
  return String(err);
}
