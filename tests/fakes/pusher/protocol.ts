import { z } from 'zod';

// Pusher Channels protocol 7: wire format, limits and error codes, in one
// place. Every frame is JSON {event, channel?, data}; for pusher:* and
// pusher_internal:* events `data` is itself a JSON-encoded string.

export const PROTOCOL_VERSION = 7;

export const LIMITS = {
  /** Event data size, for REST triggers and client events (bytes). */
  messageBytes: 10 * 1024,
  /** Unique users on one presence channel. */
  presenceMembers: 100,
  /** Client events per socket per second. */
  clientEventsPerSecond: 10,
  /** Channels in one REST trigger. */
  channelsPerTrigger: 100,
  /** Events in one REST batch. */
  eventsPerBatch: 10,
  /** Accepted clock skew of a signed REST request (seconds). */
  timestampSkewSeconds: 600,
} as const;

/** Close codes (and pusher:error codes) from the protocol spec. */
export const CLOSE = {
  appNotFound: 4001,
  pathNotFound: 4005,
  unsupportedProtocol: 4007,
  noProtocol: 4008,
  clientEventRateLimited: 4301,
} as const;

export const clientFrameSchema = z.object({
  event: z.string().min(1),
  channel: z.string().optional(),
  data: z.unknown().optional(),
});
export type ClientFrame = z.infer<typeof clientFrameSchema>;

export const subscribeDataSchema = z.object({
  channel: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_\-=@,.;]+$/, 'invalid channel name'),
  auth: z.string().optional(),
  channel_data: z.string().optional(),
});

export const unsubscribeDataSchema = z.object({ channel: z.string().min(1) });

export const presenceChannelDataSchema = z.object({
  user_id: z.union([z.string().min(1), z.number()]).transform(String),
  user_info: z.unknown().optional(),
});

/** `pusher:*` data may arrive as an object or (older clients) a JSON string. */
export function decodeData(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

export interface ServerFrame {
  event: string;
  channel?: string;
  data: string;
  user_id?: string;
}

/** A protocol event whose data is JSON-encoded as a string, as Pusher sends it. */
export function protocolFrame(event: string, data: unknown, channel?: string): ServerFrame {
  return { event, ...(channel ? { channel } : {}), data: JSON.stringify(data) };
}

export function errorFrame(message: string, code: number | null = null): ServerFrame {
  return protocolFrame('pusher:error', { message, code });
}

/** What a channel name asks for. */
export function channelKind(name: string): 'public' | 'private' | 'presence' {
  if (name.startsWith('presence-')) return 'presence';
  if (name.startsWith('private-')) return 'private';
  return 'public';
}

export function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}
