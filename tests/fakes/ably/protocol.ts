import { z } from 'zod';

// The Ably realtime protocol (JSON format, protocol version 2+) as far as the
// fake server speaks it: action numbers, flags, error codes, limits, and zod
// schemas for every frame a client may send.

export const ACTION = {
  HEARTBEAT: 0,
  ACK: 1,
  NACK: 2,
  CONNECT: 3,
  CONNECTED: 4,
  DISCONNECT: 5,
  DISCONNECTED: 6,
  CLOSE: 7,
  CLOSED: 8,
  ERROR: 9,
  ATTACH: 10,
  ATTACHED: 11,
  DETACH: 12,
  DETACHED: 13,
  PRESENCE: 14,
  MESSAGE: 15,
  SYNC: 16,
  AUTH: 17,
} as const;

export const FLAG = {
  HAS_PRESENCE: 1 << 0,
  HAS_BACKLOG: 1 << 1,
  RESUMED: 1 << 2,
  PRESENCE: 1 << 16,
  PUBLISH: 1 << 17,
  SUBSCRIBE: 1 << 18,
  PRESENCE_SUBSCRIBE: 1 << 19,
} as const;

export const PRESENCE_ACTION = { ABSENT: 0, PRESENT: 1, ENTER: 2, LEAVE: 3, UPDATE: 4 } as const;

/** Ably error codes the fake uses (https://github.com/ably/ably-common/blob/main/protocol/errors.json). */
export const ERROR = {
  badRequest: { code: 40000, statusCode: 400 },
  messageTooLarge: { code: 40009, statusCode: 400 },
  invalidClientId: { code: 40012, statusCode: 400 },
  unauthorized: { code: 40100, statusCode: 401 },
  invalidCredentials: { code: 40101, statusCode: 401 },
  incompatibleClientId: { code: 40102, statusCode: 401 },
  invalidToken: { code: 40140, statusCode: 401 },
  tokenExpired: { code: 40142, statusCode: 401 },
  operationNotPermitted: { code: 40160, statusCode: 401 },
  forbidden: { code: 40300, statusCode: 403 },
  notFound: { code: 40400, statusCode: 404 },
  rateLimited: { code: 42911, statusCode: 429 },
  resumeFailed: { code: 80008, statusCode: 400 },
  channelDetached: { code: 90001, statusCode: 404 },
} as const;

export type ErrorKind = keyof typeof ERROR;

export interface WireError {
  code: number;
  statusCode: number;
  message: string;
}

export function wireError(kind: ErrorKind, message: string): WireError {
  return { ...ERROR[kind], message };
}

/** Limits of Ably's Free/Standard packages, which the fake enforces. */
export const LIMITS = {
  maxMessageSize: 65_536,
  inboundMessagesPerSecond: 50,
  maxIdleIntervalMs: 15_000,
  connectionStateTtlMs: 120_000,
  defaultTokenTtlMs: 60 * 60 * 1000,
  tokenRequestMaxAgeMs: 5 * 60 * 1000,
} as const;

// ── inbound frames ────────────────────────────────────────────────────────

const data = z.unknown().optional();

export const wireMessageSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  clientId: z.string().optional(),
  data,
  encoding: z.string().nullish(),
  extras: z.record(z.string(), z.unknown()).optional(),
});
export type WireMessage = z.infer<typeof wireMessageSchema>;

export const wirePresenceSchema = z.object({
  action: z.number().int().min(0).max(4),
  id: z.string().optional(),
  clientId: z.string().optional(),
  data,
  encoding: z.string().nullish(),
});
export type WirePresence = z.infer<typeof wirePresenceSchema>;

const channelName = z.string().min(1);
const msgSerial = z.number().int().min(0);

export const clientFrameSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal(ACTION.HEARTBEAT), id: z.string().optional() }),
  z.object({ action: z.literal(ACTION.DISCONNECT) }),
  z.object({ action: z.literal(ACTION.CLOSE) }),
  z.object({
    action: z.literal(ACTION.ATTACH),
    channel: channelName,
    flags: z.number().optional(),
    channelSerial: z.string().nullish(),
    params: z.record(z.string(), z.string()).optional(),
  }),
  z.object({ action: z.literal(ACTION.DETACH), channel: channelName }),
  z.object({
    action: z.literal(ACTION.MESSAGE),
    channel: channelName,
    msgSerial,
    messages: z.array(wireMessageSchema).min(1),
  }),
  z.object({
    action: z.literal(ACTION.PRESENCE),
    channel: channelName,
    msgSerial,
    presence: z.array(wirePresenceSchema).min(1),
  }),
  z.object({ action: z.literal(ACTION.AUTH), auth: z.object({ accessToken: z.string().min(1) }) }),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

/** Bytes Ably counts towards the message size limit: name, data, clientId and extras. */
export function messageSize(message: { name?: string; data?: unknown; clientId?: string; extras?: unknown }): number {
  const bytes = (value: unknown) => {
    if (value === undefined || value === null) return 0;
    return Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
  };
  return bytes(message.name) + bytes(message.data) + bytes(message.clientId) + bytes(message.extras);
}
