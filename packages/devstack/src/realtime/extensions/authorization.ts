import type { Sql, TransactionSql } from 'postgres';
import type { Claims } from '../tokens';

// Private-channel authorization, as Supabase Realtime does it: RLS policies on
// realtime.messages decide, evaluated as the subscriber (role + JWT claims)
// with realtime.topic() set to the channel's topic. Nothing is ever committed.

export interface ChannelPolicies {
  broadcastRead: boolean;
  presenceRead: boolean;
  /** null until the first send (Supabase checks write lazily). */
  broadcastWrite: boolean | null;
  presenceWrite: boolean | null;
}

export type Extension = 'broadcast' | 'presence';

class Rollback extends Error {}

/**
 * realtime.messages has no partition for now: the read probe cannot be
 * inserted (Supabase: check_violation on "messages" → MissingPartition).
 */
export class MissingPartitionError extends Error {
  constructor() {
    super('MissingPartition: Realtime was unable to find the expected messages partition');
  }
}

const isMissingPartition = (err: unknown) => (err as { code?: string }).code === '23514';

async function asSubscriber(tx: TransactionSql, topic: string, claims: Claims): Promise<void> {
  await tx`
    select set_config('role', ${claims.role}, true),
           set_config('realtime.topic', ${topic}, true),
           set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
           set_config('request.jwt.claim.sub', ${typeof claims.sub === 'string' ? claims.sub : ''}, true),
           set_config('request.jwt.claim.role', ${claims.role}, true)`;
}

/** Runs work in a transaction that is always rolled back; returns its result. */
async function rolledBack<T>(sql: Sql, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      result = await work(tx);
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  return result as T;
}

/** Postgres errors that mean "this role may not", not "the server is broken". */
function isPolicyError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return (
    typeof code === 'string' && (code === '42501' || code === '22023' || code === '42704' || code.startsWith('P0'))
  );
}

/**
 * Read probe: insert one row per extension as the server, switch to the
 * subscriber, and see which of them RLS lets it select back.
 */
export async function readPolicies(
  sql: Sql,
  topic: string,
  claims: Claims,
  presenceEnabled: boolean,
): Promise<Pick<ChannelPolicies, 'broadcastRead' | 'presenceRead'>> {
  const extensions: Extension[] = presenceEnabled ? ['broadcast', 'presence'] : ['broadcast'];
  try {
    const visible = await rolledBack(sql, async (tx) => {
      const probes = await tx<{ id: string }[]>`
        insert into realtime.messages (topic, extension, private, event, payload)
        select ${topic}, e, true, 'authorization_probe', '{}'::jsonb from unnest(${extensions}::text[]) as e
        returning id`;
      await asSubscriber(tx, topic, claims);
      const rows = await tx<{ extension: string }[]>`
        select extension from realtime.messages where id = any(${probes.map((p) => p.id)}::uuid[])`;
      return new Set(rows.map((r) => r.extension));
    });
    return { broadcastRead: visible.has('broadcast'), presenceRead: visible.has('presence') };
  } catch (err) {
    if (isMissingPartition(err)) throw new MissingPartitionError();
    if (isPolicyError(err)) return { broadcastRead: false, presenceRead: false };
    throw err;
  }
}

/** Write check: may the subscriber insert a message of this extension on the topic? */
export async function canWrite(sql: Sql, topic: string, claims: Claims, extension: Extension): Promise<boolean> {
  try {
    return await rolledBack(sql, async (tx) => {
      await asSubscriber(tx, topic, claims);
      await tx`
        insert into realtime.messages (topic, extension, private, event, payload)
        values (${topic}, ${extension}, true, 'authorization_probe', '{}'::jsonb)`;
      return true;
    });
  } catch (err) {
    if (isPolicyError(err) || isMissingPartition(err)) return false;
    throw err;
  }
}
