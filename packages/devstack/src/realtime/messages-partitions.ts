import type { Sql } from 'postgres';
import { REALTIME_DDL_LOCK } from './constants';
import { defaultLogger, type Logger } from '../log-json';

// The daily partitions of realtime.messages, kept the way Supabase's Realtime
// server keeps them (Realtime.Tenants.create_messages_partitions when it
// connects to a project, and its janitor every few hours): one partition per
// UTC day from yesterday to three days ahead, named messages_YYYY_MM_DD, owned
// by supabase_realtime_admin; partitions of days older than 72 h are dropped
// (Realtime.Messages.delete_old_messages). Without a partition for the day,
// realtime.send stores nothing (it raises a WARNING and the transaction
// commits), exactly as on a Supabase project whose Realtime never ran.

/** How often the dev stack's realtime service runs the maintenance. */
export const PARTITION_MAINTENANCE_MS = 60 * 60 * 1000;
const DAYS_BEHIND = 1;
const DAYS_AHEAD = 3;
const RETENTION_MS = 72 * 60 * 60 * 1000;

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (d: Date, days: number) => new Date(d.getTime() + days * 86_400_000);

export interface PartitionReport {
  created: string[];
  dropped: string[];
}

/**
 * Creates the partitions from yesterday to three days ahead (UTC) and drops
 * those of days before now − 72 h. Does nothing when realtime.messages is not
 * partitioned. Errors of one partition are logged, not thrown (the others go on).
 */
export async function maintainMessagePartitions(
  sql: Sql,
  now = new Date(),
  log: Logger = defaultLogger().child({ service: 'realtime' }),
): Promise<PartitionReport> {
  const report: PartitionReport = { created: [], dropped: [] };
  const [parent] = await sql<{ partitioned: boolean | null }[]>`
    select (select relkind = 'p' from pg_class where oid = to_regclass('realtime.messages')) as partitioned`;
  if (!parent?.partitioned) return report;

  const existing = new Set(
    (
      await sql<{ name: string }[]>`
        select child.relname as name from pg_inherits
        join pg_class child on child.oid = pg_inherits.inhrelid
        where pg_inherits.inhparent = 'realtime.messages'::regclass`
    ).map((r) => r.name),
  );
  const today = new Date(`${isoDate(now)}T00:00:00Z`);
  for (let offset = -DAYS_BEHIND; offset <= DAYS_AHEAD; offset++) {
    const day = addDays(today, offset);
    const name = `messages_${isoDate(day).replaceAll('-', '_')}`;
    if (existing.has(name)) continue;
    try {
      await sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${REALTIME_DDL_LOCK})`;
        await tx.unsafe(
          `create table if not exists realtime.${name} partition of realtime.messages ` +
            `for values from ('${isoDate(day)}') to ('${isoDate(addDays(day, 1))}')`,
        );
        await tx.unsafe(`alter table realtime.${name} owner to supabase_realtime_admin`);
      });
      report.created.push(name);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P07')
        log.warn('PartitionCreationFailed', { partition: name, reason: (err as Error).message });
    }
  }
  const oldest = isoDate(new Date(now.getTime() - RETENTION_MS));
  for (const name of existing) {
    const match = /^messages_(\d{4})_(\d\d)_(\d\d)$/.exec(name);
    if (!match || `${match[1]}-${match[2]}-${match[3]}` >= oldest) continue;
    try {
      await sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${REALTIME_DDL_LOCK})`;
        await tx.unsafe(`drop table if exists realtime.${name}`);
      });
      report.dropped.push(name);
    } catch (err) {
      log.warn('could not drop an old partition', { partition: name, reason: (err as Error).message });
    }
  }
  return report;
}
