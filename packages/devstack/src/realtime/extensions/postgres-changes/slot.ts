import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';

// The dev stack's logical replication slot. It is persistent (not TEMPORARY),
// so it survives a Postgres restart and the stream resumes from the last
// position the stack confirmed: a change committed while the stream was away
// is still streamed, and delivered live. A developer's stack (`devstack start`,
// startApi's `persistentSlot`) keeps one slot per database,
// `devstack_realtime_<db>`, removed by `npm run stack:reset`; any other gateway
// (tests, benchmarks) gets a slot of its own and drops it when it closes.

const SLOT_PREFIX = 'devstack_realtime_';

/** Slot names allow [a-z0-9_], at most 63 characters. */
function slotSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** The persistent slot of a developer's stack on database `database`. */
export function persistentSlotName(database: string): string {
  const name = SLOT_PREFIX + slotSafe(database);
  if (name.length <= 63) return name;
  // Long names: keep them apart with a hash of the whole database name.
  return `${name.slice(0, 54)}_${createHash('sha1').update(database).digest('hex').slice(0, 8)}`;
}

/** A slot of its own for a throw-away stack (dropped on close). */
export function ephemeralSlotName(): string {
  return `${SLOT_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** The database a connection string names (Postgres' default: the user name). */
export function databaseOf(dbUrl: string): string {
  const url = new URL(dbUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return name || decodeURIComponent(url.username) || 'postgres';
}

export interface SlotState {
  activePid: number | null;
  /** 'lost' when Postgres invalidated the slot (max_slot_wal_keep_size): it can no longer stream. */
  walStatus: string | null;
  confirmedFlushLsn: string | null;
}

export async function readSlot(sql: Sql, slot: string): Promise<SlotState | null> {
  const [row] = await sql<
    { active_pid: number | null; wal_status: string | null; confirmed_flush_lsn: string | null }[]
  >`select active_pid, wal_status, confirmed_flush_lsn::text
    from pg_catalog.pg_replication_slots where slot_name = ${slot}`;
  return row
    ? { activePid: row.active_pid, walStatus: row.wal_status, confirmedFlushLsn: row.confirmed_flush_lsn }
    : null;
}

/** Creates the slot (pgoutput) in the pool's database. */
export async function createSlot(sql: Sql, slot: string): Promise<void> {
  await sql`select pg_catalog.pg_create_logical_replication_slot(${slot}, 'pgoutput')`;
}

/**
 * Drops a slot once no stream holds it (waiting up to `waitMs` for a closing
 * stream's server process to let go, then ending that process). False when
 * there was no such slot.
 */
export async function dropSlot(sql: Sql, slot: string, waitMs = 2000): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const state = await readSlot(sql, slot);
    if (!state) return false;
    if (state.activePid === null) {
      try {
        await sql`select pg_catalog.pg_drop_replication_slot(${slot})`;
        return true;
      } catch (err) {
        // Taken again in between (55006: object in use): look once more.
        if ((err as { code?: string }).code !== '55006') throw err;
      }
    } else if (Date.now() > deadline) {
      await sql`select pg_catalog.pg_terminate_backend(${state.activePid})`;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** LSN text (`16/B374D848`) → number; null for null. */
export function parseLsn(text: string | null): bigint | null {
  if (!text) return null;
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
