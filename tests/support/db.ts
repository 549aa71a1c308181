import postgres, { type Sql, type TransactionSql } from 'postgres';
import { inject } from 'vitest';
import { USER } from './seed-ids';
import '@switchboard/devstack/testing';

export { DEPOT, USER } from './seed-ids';

/** A superuser connection pool to the test database. */
export function connect(max = 4): Sql {
  return postgres(inject('stack').dbUrl, { max, onnotice: () => {} });
}

export type Actor = { kind: 'anon' } | { kind: 'service_role' } | { kind: 'user'; id: string; email?: string };

export function actorLabel(actor: Actor): string {
  if (actor.kind !== 'user') return actor.kind;
  const name = Object.entries(USER).find(([, id]) => id === actor.id)?.[0];
  return name ?? actor.id;
}

/** The claims PostgREST would put in request.jwt.claims for this actor. */
export function claimsOf(actor: Actor): Record<string, unknown> {
  if (actor.kind === 'anon') return { role: 'anon', iss: 'supabase-demo' };
  if (actor.kind === 'service_role') return { role: 'service_role', iss: 'supabase-demo' };
  return { role: 'authenticated', sub: actor.id, aud: 'authenticated', email: actor.email ?? '' };
}

/** Applies PostgREST's per-request settings inside a transaction. */
export async function impersonate(tx: TransactionSql, actor: Actor, extra: Record<string, string> = {}): Promise<void> {
  const claims = claimsOf(actor);
  await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
  for (const [key, value] of Object.entries(extra)) await tx`select set_config(${key}, ${value}, true)`;
  await tx.unsafe(`set local role ${claims.role as string}`);
}

class Rollback extends Error {}

/**
 * Runs `work` as `actor` the way PostgREST runs a request (set local role +
 * request.jwt.claims in one transaction) and rolls everything back afterwards.
 */
export async function asActor<T>(
  sql: Sql,
  actor: Actor,
  work: (tx: TransactionSql) => PromiseLike<T>,
  extra: Record<string, string> = {},
): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      await impersonate(tx, actor, extra);
      result = await work(tx);
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  return result as T;
}

/** Like asActor, but reports a Postgres error instead of throwing: { ok } or { code, message }. */
export async function attempt(
  sql: Sql,
  actor: Actor,
  work: (tx: TransactionSql) => PromiseLike<unknown>,
  extra: Record<string, string> = {},
): Promise<{ ok: true; value: unknown } | { ok: false; code: string; message: string }> {
  try {
    const value = await asActor(sql, actor, work, extra);
    return { ok: true, value };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (!e.code) throw err;
    return { ok: false, code: e.code, message: e.message ?? '' };
  }
}
