import { z } from 'zod';
import type { Env, SupabaseConfig } from '../supabase-config';

// Protocol names, timers and limits of the Realtime server, in one place (the
// way realtime-js keeps its constants.ts). Limits default to Supabase's Free
// plan values, or to config.toml's [realtime] where the CLI has the setting,
// and can be changed through DEVSTACK_REALTIME_* env vars.

export const PHOENIX_TOPIC = 'phoenix';
export const TOPIC_PREFIX = 'realtime:';

export const EVENTS = {
  join: 'phx_join',
  leave: 'phx_leave',
  reply: 'phx_reply',
  close: 'phx_close',
  error: 'phx_error',
  heartbeat: 'heartbeat',
  accessToken: 'access_token',
  broadcast: 'broadcast',
  presence: 'presence',
  presenceState: 'presence_state',
  presenceDiff: 'presence_diff',
  postgresChanges: 'postgres_changes',
  system: 'system',
} as const;

export const VSN = { v1: '1.0.0', v2: '2.0.0' } as const;
export type Vsn = (typeof VSN)[keyof typeof VSN];

/** vsn 2.0.0 binary frame kinds (realtime-js lib/serializer.ts). */
export const BINARY_KIND = { userBroadcastPush: 3, userBroadcast: 4 } as const;
export const PAYLOAD_ENCODING = { binary: 0, json: 1 } as const;

/** Publications streamed by the dev stack's replication connection. */
export const CHANGES_PUBLICATION = 'supabase_realtime';
export const MESSAGES_PUBLICATION = 'devstack_realtime_messages';
/** Schema holding the generated visibility functions (owned by the dev stack). */
export const INTERNAL_SCHEMA = 'devstack_realtime';
/**
 * Advisory lock held while a realtime service changes the database's realtime
 * objects (functions, publication, partitions): stacks sharing one database
 * (tests) would otherwise collide ("tuple concurrently updated").
 */
export const REALTIME_DDL_LOCK = 7_316_842_002;

export const MAX_REPLAY_LIMIT = 25;
/** How long a channel joined with broadcast.replication_ready waits for the stream (Supabase: 1 min). */
export const REPLICATION_READY_TIMEOUT_MS = 60_000;
export const MAX_IN_FILTER_VALUES = 100;
/** WALRUS keeps only values up to this size when a record is over max_record_bytes. */
export const TRUNCATED_VALUE_BYTES = 64;

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const limitsSchema = (project: SupabaseConfig['realtime']) =>
  z.object({
    DEVSTACK_REALTIME_MAX_CONCURRENT_USERS: int(200),
    DEVSTACK_REALTIME_MAX_CHANNELS_PER_CLIENT: int(100),
    DEVSTACK_REALTIME_MAX_JOINS_PER_SECOND: int(100),
    DEVSTACK_REALTIME_MAX_EVENTS_PER_SECOND: int(100),
    DEVSTACK_REALTIME_MAX_PRESENCE_CALLS: int(5),
    DEVSTACK_REALTIME_PRESENCE_WINDOW_MS: int(30_000),
    DEVSTACK_REALTIME_MAX_PAYLOAD_BYTES: int(256 * 1024),
    DEVSTACK_REALTIME_MAX_FRAME_BYTES: int(1024 * 1024),
    DEVSTACK_REALTIME_MAX_RECORD_BYTES: int(1024 * 1024),
    DEVSTACK_REALTIME_SEND_BUFFER_BYTES: int(8 * 1024 * 1024),
    DEVSTACK_REALTIME_HEARTBEAT_TIMEOUT_MS: int(60_000),
    DEVSTACK_REALTIME_CHANNEL_ERROR_BACKOFF_MS: z.coerce.number().int().min(0).default(0),
    DEVSTACK_REALTIME_MAX_TOKEN_CHECK_MS: int(60 * 60 * 1000),
    // [realtime] max_header_length: Realtime's MAX_HEADER_LENGTH (Cowboy's max_header_value_length).
    DEVSTACK_REALTIME_MAX_HEADER_LENGTH: int(project.maxHeaderLength),
  });

export interface RealtimeLimits {
  maxConcurrentUsers: number;
  maxChannelsPerClient: number;
  maxJoinsPerSecond: number;
  /** Per tenant (the whole dev stack), like Supabase's events-per-second counter. */
  maxEventsPerSecond: number;
  maxPresenceCalls: number;
  presenceWindowMs: number;
  maxPayloadBytes: number;
  /** Largest WebSocket frame accepted; bigger frames close the socket (1009). */
  maxFrameBytes: number;
  maxRecordBytes: number;
  /** Bytes queued for a socket before it counts as a slow consumer and is dropped. */
  sendBufferBytes: number;
  /** A socket that sends nothing (not even a heartbeat) for this long is dropped. */
  heartbeatTimeoutMs: number;
  /** Supabase sleeps before answering a failed join (5 s); the dev stack defaults to 0. */
  channelErrorBackoffMs: number;
  maxTokenCheckMs: number;
  /** Longest value of one request header on the WebSocket upgrade; longer ones get 431. */
  maxHeaderLength: number;
}

/** The realtime limits: config.toml's [realtime] values (`project`), the rest Supabase's; DEVSTACK_REALTIME_* override. */
export function readLimits(env: Env, project: SupabaseConfig['realtime']): RealtimeLimits {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = limitsSchema(project).safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Invalid realtime setting ${String(issue?.path[0])}: ${issue?.message}. Use a positive integer or unset it.`,
    );
  }
  const e = parsed.data;
  return {
    maxConcurrentUsers: e.DEVSTACK_REALTIME_MAX_CONCURRENT_USERS,
    maxChannelsPerClient: e.DEVSTACK_REALTIME_MAX_CHANNELS_PER_CLIENT,
    maxJoinsPerSecond: e.DEVSTACK_REALTIME_MAX_JOINS_PER_SECOND,
    maxEventsPerSecond: e.DEVSTACK_REALTIME_MAX_EVENTS_PER_SECOND,
    maxPresenceCalls: e.DEVSTACK_REALTIME_MAX_PRESENCE_CALLS,
    presenceWindowMs: e.DEVSTACK_REALTIME_PRESENCE_WINDOW_MS,
    maxPayloadBytes: e.DEVSTACK_REALTIME_MAX_PAYLOAD_BYTES,
    maxFrameBytes: e.DEVSTACK_REALTIME_MAX_FRAME_BYTES,
    maxRecordBytes: e.DEVSTACK_REALTIME_MAX_RECORD_BYTES,
    sendBufferBytes: e.DEVSTACK_REALTIME_SEND_BUFFER_BYTES,
    heartbeatTimeoutMs: e.DEVSTACK_REALTIME_HEARTBEAT_TIMEOUT_MS,
    channelErrorBackoffMs: e.DEVSTACK_REALTIME_CHANNEL_ERROR_BACKOFF_MS,
    maxTokenCheckMs: e.DEVSTACK_REALTIME_MAX_TOKEN_CHECK_MS,
    maxHeaderLength: e.DEVSTACK_REALTIME_MAX_HEADER_LENGTH,
  };
}

/**
 * Pause between attempts to reconnect the replication stream (e.g. while
 * Postgres restarts): DEVSTACK_REALTIME_REPLICATION_RETRY_MS, default 1000.
 */
export function readReplicationRetryMs(env: NodeJS.ProcessEnv): number {
  const parsed = int(1000).safeParse(env.DEVSTACK_REALTIME_REPLICATION_RETRY_MS);
  if (!parsed.success)
    throw new Error(
      `Invalid realtime setting DEVSTACK_REALTIME_REPLICATION_RETRY_MS: ${parsed.error.issues[0]?.message}. Use a positive integer or unset it.`,
    );
  return parsed.data;
}
