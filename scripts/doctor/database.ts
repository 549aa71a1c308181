// The doctor's database checks, each run over one connection to the target
// (hosted Supabase, `supabase start` or the dev stack) as the project's
// `postgres` role or a superuser.
import { readFile } from 'node:fs/promises';
import type { Sql } from 'postgres';
import { listMigrations } from '@switchboard/devstack';
import { RELAY_LOCK_KEY } from '../../relay/relay';
import type { CheckResult } from './report';

export type RealtimeProviderName = 'supabase' | 'ably' | 'pusher';

/** Quotes an identifier for SQL shown in a fix. */
const ident = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);
const qualified = (schema: string, table: string) => `${ident(schema)}.${ident(table)}`;

const listOf = (items: string[], max = 5) =>
  items.slice(0, max).join(', ') + (items.length > max ? `, and ${items.length - max} more` : '');

/** Every migration in supabase/migrations is recorded in supabase_migrations.schema_migrations. */
export async function checkMigrations(sql: Sql, migrationsDir: string): Promise<CheckResult> {
  const base = { id: 'migrations', title: 'Migrations applied' };
  const local = await listMigrations(migrationsDir);
  const [{ exists }] = await sql<{ exists: boolean }[]>`
    select to_regclass('supabase_migrations.schema_migrations') is not null as exists`;
  const pushFix =
    'Apply them: hosted, `npx supabase link --project-ref <ref>` then `npx supabase db push`; ' +
    '`supabase start`, `npx supabase migration up`; the dev stack applies them when it starts (`npm run stack`).';
  if (!exists)
    return {
      ...base,
      status: 'fail',
      detail: `no migration history (supabase_migrations.schema_migrations is missing); ${local.length} migration(s) to apply`,
      fix: pushFix,
    };
  const applied = new Set(
    (await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`).map((r) => r.version),
  );
  const missing = local.filter((m) => !applied.has(m.version)).map((m) => `${m.version}_${m.name}`);
  const known = new Set(local.map((m) => m.version));
  const unknown = [...applied].filter((v) => !known.has(v)).sort();
  if (missing.length > 0)
    return {
      ...base,
      status: 'fail',
      detail: `${missing.length} of ${local.length} not applied: ${listOf(missing)}`,
      fix: pushFix,
    };
  if (unknown.length > 0)
    return {
      ...base,
      status: 'warn',
      detail: `all ${local.length} applied, but the database also records ${unknown.length} this checkout does not have: ${listOf(unknown)}`,
      fix: 'Someone pushed migrations that are not in supabase/migrations: pull them (`npx supabase migration fetch`) or check out the branch that has them.',
    };
  return {
    ...base,
    status: 'pass',
    detail: `all ${local.length} applied (last ${local.length ? `${local.at(-1)!.version}_${local.at(-1)!.name}` : 'none'})`,
  };
}

/** Row level security is on for every table of the schemas the API exposes. */
export async function checkRowLevelSecurity(sql: Sql, schemas: string[]): Promise<CheckResult> {
  const base = { id: 'rls', title: `Row level security on every table of ${schemas.join(', ')}` };
  // Tables and partitioned tables, not partitions (queried through their parent)
  // and not tables an extension owns (the extension decides about those).
  const rows = await sql<{ schema: string; table: string; rls: boolean }[]>`
    select n.nspname as schema, c.relname as table, c.relrowsecurity as rls
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and not c.relispartition
       and n.nspname = any(${schemas})
       and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
     order by 1, 2`;
  const off = rows.filter((r) => !r.rls).map((r) => qualified(r.schema, r.table));
  if (off.length > 0)
    return {
      ...base,
      status: 'fail',
      detail: `${off.length} of ${rows.length} table(s) have it off, so the API serves them to anyone with the publishable key: ${listOf(off)}`,
      fix: off
        .slice(0, 10)
        .map((t) => `alter table ${t} enable row level security;`)
        .join('\n')
        .concat('\n(in a new migration, with the policies that say who may read and write each one)'),
    };
  return { ...base, status: 'pass', detail: `on for all ${rows.length} table(s)` };
}

interface PublicationExpectation {
  tables: string[];
  replicaIdentityFull: string[];
}

const normalize = (name: string) => {
  const parts = name
    .trim()
    .replace(/^only\s+/i, '')
    .split('.')
    .map((p) => p.trim().replace(/^"(.*)"$/, '$1'));
  return parts.length === 1 ? `public.${parts[0]}` : parts.join('.');
};

/**
 * What the migrations put in the supabase_realtime publication (and which
 * tables they give REPLICA IDENTITY FULL), replaying their `alter publication`
 * and `alter table … replica identity` statements in order.
 */
export async function expectedPublication(migrationsDir: string): Promise<PublicationExpectation> {
  const tables = new Set<string>();
  const full = new Set<string>();
  const statement =
    /alter\s+publication\s+supabase_realtime\s+(add|drop)\s+table\s+([^;]+);|alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?([\w."]+)\s+replica\s+identity\s+(full|default|nothing|using\s+index\s+\w+)/gi;
  for (const migration of await listMigrations(migrationsDir)) {
    const text = (await readFile(migration.file, 'utf8')).replace(/--[^\n]*/g, '');
    for (const match of text.matchAll(statement)) {
      if (match[1]) {
        for (const name of match[2].split(',').map(normalize))
          if (match[1].toLowerCase() === 'add') tables.add(name);
          else tables.delete(name);
      } else if (match[3]) {
        const name = normalize(match[3]);
        if (match[4].toLowerCase() === 'full') full.add(name);
        else full.delete(name);
      }
    }
  }
  return { tables: [...tables].sort(), replicaIdentityFull: [...full].sort() };
}

/** The supabase_realtime publication holds every table the migrations add to it, with their replica identity. */
export async function checkPublication(sql: Sql, migrationsDir: string): Promise<CheckResult> {
  const base = { id: 'publication', title: 'Realtime publication (supabase_realtime)' };
  const expected = await expectedPublication(migrationsDir);
  const [publication] = await sql<{ all_tables: boolean }[]>`
    select puballtables as all_tables from pg_publication where pubname = 'supabase_realtime'`;
  if (!publication)
    return {
      ...base,
      status: 'fail',
      detail: 'the publication does not exist, so Postgres Changes deliver nothing',
      fix: `create publication supabase_realtime;${expected.tables.length ? `\nalter publication supabase_realtime add table ${expected.tables.join(', ')};` : ''}`,
    };
  const published = new Set(
    (
      await sql<{ name: string }[]>`
        select schemaname || '.' || tablename as name from pg_publication_tables where pubname = 'supabase_realtime'`
    ).map((r) => r.name),
  );
  const missing = publication.all_tables ? [] : expected.tables.filter((t) => !published.has(t));
  const identities = await sql<{ name: string; identity: string }[]>`
    select n.nspname || '.' || c.relname as name, c.relreplident as identity
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname || '.' || c.relname = any(${expected.replicaIdentityFull})`;
  const notFull = expected.replicaIdentityFull.filter((t) => identities.find((i) => i.name === t)?.identity !== 'f');
  const problems: string[] = [];
  const fixes: string[] = [];
  if (missing.length > 0) {
    problems.push(`missing ${listOf(missing)}`);
    fixes.push(`alter publication supabase_realtime add table ${missing.join(', ')};`);
  }
  if (notFull.length > 0) {
    problems.push(`not REPLICA IDENTITY FULL (filters and old rows need it): ${listOf(notFull)}`);
    fixes.push(...notFull.map((t) => `alter table ${t} replica identity full;`));
  }
  if (problems.length > 0) return { ...base, status: 'fail', detail: problems.join('; '), fix: fixes.join('\n') };
  return {
    ...base,
    status: 'pass',
    detail: publication.all_tables
      ? 'publishes all tables'
      : `holds ${expected.tables.length ? listOf(expected.tables) : 'nothing the migrations ask for'}${published.size > expected.tables.length ? ` (and ${published.size - expected.tables.length} more)` : ''}`,
  };
}

/** A partition bound's timestamp (Postgres text, UTC when it has no offset) as epoch ms. */
function boundTime(value: string): number {
  let text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += ' 00:00:00';
  text = text.replace(' ', 'T');
  if (/[+-]\d{2}$/.test(text)) text += ':00';
  else if (!/(Z|[+-]\d{2}:\d{2})$/i.test(text)) text += 'Z';
  return Date.parse(text);
}

/**
 * Today's and tomorrow's partitions of realtime.messages (UTC days), where the
 * table is partitioned: without today's, `realtime.send` stores nothing and
 * says so only in a WARNING, and private channels refuse joins.
 */
export async function checkMessagePartitions(sql: Sql): Promise<CheckResult> {
  const base = { id: 'partitions', title: 'realtime.messages partitions for today and tomorrow (UTC)' };
  const [table] = await sql<{ kind: string | null; today: string }[]>`
    select (select relkind::text from pg_class where oid = to_regclass('realtime.messages')) as kind,
           to_char((now() at time zone 'utc')::date, 'YYYY-MM-DD') as today`;
  if (table.kind === null)
    return {
      ...base,
      status: 'fail',
      detail: 'realtime.messages does not exist: Broadcast from Database and private channels cannot work',
      fix: 'Use a Supabase project (or `supabase start`, or the dev stack): they create the realtime schema.',
    };
  if (table.kind !== 'p') return { ...base, status: 'skip', detail: 'realtime.messages is not partitioned here' };
  const bounds = await sql<{ name: string; bound: string }[]>`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'realtime.messages'::regclass`;
  const ranges = bounds.flatMap(({ bound }) => {
    if (/^DEFAULT$/i.test(bound.trim())) return [{ from: -Infinity, to: Infinity }];
    const match = /FROM \('([^']+)'\) TO \('([^']+)'\)/i.exec(bound);
    return match ? [{ from: boundTime(match[1]), to: boundTime(match[2]) }] : [];
  });
  const day = 86_400_000;
  const today = Date.parse(`${table.today}T00:00:00Z`);
  const days = [today, today + day];
  const name = (at: number) => `messages_${new Date(at).toISOString().slice(0, 10).replaceAll('-', '_')}`;
  const missing = days.filter((start) => !ranges.some((r) => r.from <= start && r.to >= start + day));
  if (missing.length > 0) {
    const iso = (at: number) => new Date(at).toISOString().slice(0, 10);
    return {
      ...base,
      status: 'fail',
      detail: `no partition for ${missing.map(iso).join(' and ')}: broadcasts of those days are dropped with only a WARNING`,
      fix:
        "Supabase's Realtime server creates them when it connects to the project: open any channel once (the app's first page does). " +
        'On a database without Realtime:\n' +
        missing
          .map(
            (at) =>
              `create table realtime.${name(at)} partition of realtime.messages for values from ('${iso(at)}') to ('${iso(at + day)}');`,
          )
          .join('\n'),
    };
  }
  return { ...base, status: 'pass', detail: `${name(today)} and ${name(today + day)} are there` };
}

/**
 * The relay's queue: how far behind the outbox is, whether a relay holds the
 * lock, and the dead letters. Only Ably and Pusher use it; with Supabase
 * Realtime nothing reads the outbox.
 */
export async function checkOutbox(
  sql: Sql,
  provider: RealtimeProviderName,
  maxBacklogAgeSeconds: number,
): Promise<CheckResult> {
  const base = { id: 'outbox', title: `Relay outbox and dead letters (provider: ${provider})` };
  const [tables] = await sql<{ outbox: boolean; dead: boolean }[]>`
    select to_regclass('public.realtime_outbox') is not null as outbox,
           to_regclass('public.realtime_outbox_dead_letters') is not null as dead`;
  if (!tables.outbox || !tables.dead)
    return {
      ...base,
      status: 'fail',
      detail: `${tables.outbox ? 'public.realtime_outbox_dead_letters' : 'public.realtime_outbox'} is missing`,
      fix: 'Apply the migrations (see above).',
    };
  const [queue] = await sql<{ backlog: number; oldest_s: number | null; failing: number; last_error: string | null }[]>`
    select count(*)::int as backlog,
           extract(epoch from now() - min(created_at))::int as oldest_s,
           (count(*) filter (where attempts > 0))::int as failing,
           (select last_error from public.realtime_outbox
             where delivered_at is null and attempts > 0 order by id limit 1) as last_error
      from public.realtime_outbox where delivered_at is null`;
  const dead = await sql<{ channel: string; count: number; reason: string }[]>`
    select channel, count(*)::int as count, (array_agg(reason order by id))[1] as reason
      from public.realtime_outbox_dead_letters group by channel order by count desc, channel`;
  const key = BigInt(RELAY_LOCK_KEY);
  const [relay] = await sql<{ pid: number | null }[]>`
    select (select pid from pg_locks
             where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())
               and classid = ${String(key >> 32n)}::oid and objid = ${String(key & 0xffffffffn)}::oid and objsubid = 1
             limit 1) as pid`;
  const deadCount = dead.reduce((n, d) => n + d.count, 0);
  const parts = [
    `${queue.backlog} waiting${queue.backlog > 0 && queue.oldest_s !== null ? ` (oldest ${queue.oldest_s} s)` : ''}`,
    `${queue.failing} failing`,
    `${deadCount} dead letter(s)`,
    relay.pid !== null ? `relay active (backend pid ${relay.pid})` : 'no relay active',
  ];
  if (provider === 'supabase')
    return {
      ...base,
      status: 'skip',
      detail: `not used with Supabase Realtime (${parts.join(', ')})`,
    };
  const problems: string[] = [];
  const fixes: string[] = [];
  if (deadCount > 0) {
    problems.push(
      `${deadCount} dead letter(s): ${dead
        .slice(0, 3)
        .map((d) => `${d.count} on ${d.channel} (${d.reason.slice(0, 120)})`)
        .join('; ')}`,
    );
    fixes.push(
      'Read why in public.realtime_outbox_dead_letters.reason, fix the cause (payload size, capability, quota), then `npm run relay -- --retry-dead`.',
    );
  }
  if (queue.backlog > 0 && (queue.oldest_s ?? 0) > maxBacklogAgeSeconds) {
    problems.push(`the oldest waiting message is ${queue.oldest_s} s old (limit ${maxBacklogAgeSeconds} s)`);
    fixes.push(
      relay.pid === null
        ? 'No relay is running against this database: start `npm run relay` (an always-on process, see README "Deploy").'
        : `The relay is running but not getting through${queue.last_error ? `: ${queue.last_error.slice(0, 200)}` : ''}; see its log and the provider's dashboard.`,
    );
  }
  if (problems.length > 0)
    return { ...base, status: 'fail', detail: `${problems.join('; ')} [${parts.join(', ')}]`, fix: fixes.join('\n') };
  if (queue.failing > 0)
    return {
      ...base,
      status: 'warn',
      detail: `${parts.join(', ')}; last error: ${queue.last_error?.slice(0, 200) ?? 'none'}`,
      fix: 'The relay retries these with backoff; if the error persists, see its log.',
    };
  return { ...base, status: 'pass', detail: parts.join(', ') };
}
