import { z } from 'zod';

// How the Pusher adapter asks the app for a channel signature: a form POST of
// socket_id and channel_name to /api/realtime/pusher-auth, same origin, so the
// Supabase session cookies go along. 4xx is a refusal (reason shown to
// people); anything else is transient and retried by the adapter.

export interface PusherAuthorization {
  auth: string;
  channel_data?: string;
}

/** The app refused the channel (4xx from the auth route); anything else thrown is retried. */
export class ChannelRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ChannelRefusedError';
  }
}

const authorizationSchema = z.object({ auth: z.string().min(1), channel_data: z.string().optional() });
const refusalSchema = z.object({ error: z.string() });

/** POSTs socket_id and channel_name as a form, the contract pusher-js' own endpoint auth uses. */
export async function authorizeOverHttp(
  endpoint: string,
  request: { socketId: string; channelName: string },
): Promise<PusherAuthorization> {
  const response = await fetch(endpoint, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ socket_id: request.socketId, channel_name: request.channelName }),
  });
  const body: unknown = await response.json().catch(() => null);
  if (response.ok) {
    const parsed = authorizationSchema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new Error(`${endpoint} answered 200 without a valid authorization`);
  }
  const reason = refusalSchema.safeParse(body);
  if (response.status >= 400 && response.status < 500)
    throw new ChannelRefusedError(reason.success ? reason.data.error : `Refused (${response.status})`);
  throw new Error(`${endpoint} answered ${response.status}${reason.success ? `: ${reason.data.error}` : ''}`);
}
