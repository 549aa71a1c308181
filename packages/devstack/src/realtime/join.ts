import type { Sql } from 'postgres';
import { MAX_REPLAY_LIMIT } from './constants';
import type { BindingWithId } from './context';
import { joinPayloadSchema, postgresChangeParamsSchema, replaySchema, type PostgresChangeParams } from './messages';

// Reading a phx_join payload into the channel's settings, with Supabase's
// defaults and its tolerance for strings where booleans belong.

export interface JoinSettings {
  isPrivate: boolean;
  ackBroadcast: boolean;
  selfBroadcast: boolean;
  presenceKey: string | null;
  presenceEnabled: boolean;
  token: string | null;
  bindings: BindingWithId[];
  waitForPostgres: boolean;
  /** broadcast.replication_ready: send "Replication connection established" once the stream is live. */
  replicationReady: boolean;
  replay: { since: number; limit: number } | 'invalid' | null;
}

export function readJoinPayload(payload: unknown): JoinSettings {
  const parsed = joinPayloadSchema.safeParse(payload ?? {});
  const join = parsed.success ? parsed.data : {};
  const config = join.config ?? {};
  const rawReplay = (payload as { config?: { broadcast?: { replay?: unknown } } } | null)?.config?.broadcast?.replay;
  let replay: JoinSettings['replay'] = null;
  if (rawReplay !== undefined && rawReplay !== null) {
    const r = replaySchema.safeParse(rawReplay);
    replay = r.success
      ? { since: r.data.since, limit: Math.min(r.data.limit ?? MAX_REPLAY_LIMIT, MAX_REPLAY_LIMIT) }
      : 'invalid';
  }
  const bindings: BindingWithId[] = [];
  for (const item of config.postgres_changes ?? []) {
    if (item === null || typeof item !== 'object') continue;
    const params = postgresChangeParamsSchema.safeParse(item);
    if (!params.success) continue;
    const id = bindingId(params.data);
    bindings.push({ id, echo: { ...params.data, id } });
  }
  const key = config.presence?.key;
  return {
    isPrivate: config.private ?? false,
    ackBroadcast: config.broadcast?.ack ?? false,
    selfBroadcast: config.broadcast?.self ?? false,
    presenceKey: key ? key : null,
    presenceEnabled: config.presence?.enabled ?? false,
    token: join.access_token ?? join.user_token ?? null,
    bindings,
    waitForPostgres: config.postgres_changes_options?.wait ?? false,
    replicationReady: config.broadcast?.replication_ready ?? false,
    replay,
  };
}

/**
 * The binding id the client matches events with: a stable hash of the map it
 * sent (same map → same id), like Supabase's :erlang.phash2(params).
 */
export function bindingId(params: Record<string, unknown>): number {
  const canonical = JSON.stringify(params, Object.keys(params).sort());
  let hash = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) {
    hash ^= canonical.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 0x7ffffff;
}

export type { PostgresChangeParams };

export interface StoredMessage {
  id: string;
  event: string | null;
  payload: unknown;
  /** Set for realtime.send_binary messages (payload is then null). */
  binary_payload: Buffer | null;
}

/**
 * Stored broadcasts of a private topic since `since` (unix ms): the latest
 * `limit`, oldest first; like Realtime.Messages.replay, it does not look more
 * than a minute into the future.
 */
export async function replayMessages(sql: Sql, topic: string, since: number, limit: number): Promise<StoredMessage[]> {
  const rows = await sql<StoredMessage[]>`
    select id, event, payload, binary_payload from (
      select id, event, payload, binary_payload, inserted_at from realtime.messages
      where topic = ${topic} and private is true and extension = 'broadcast'
        and inserted_at >= (to_timestamp(${since}::float8 / 1000) at time zone current_setting('TimeZone'))
        and inserted_at < localtimestamp + interval '1 minute'
      order by inserted_at desc
      limit ${limit}
    ) recent order by inserted_at asc`;
  return rows;
}
