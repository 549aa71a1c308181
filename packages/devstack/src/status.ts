import type { Sql } from 'postgres';

export interface StackStatus {
  serverVersion: string;
  migrationsApplied: number;
  latestMigration: string | null;
  demoAccounts: string[];
}

/** What "the stack is up" means: the database answers, migrations are recorded, accounts exist. */
export async function readStackStatus(sql: Sql): Promise<StackStatus> {
  const [version] = await sql<{ server_version: string }[]>`show server_version`;
  const migrations = await sql<{ version: string; name: string }[]>`
    select version, name from supabase_migrations.schema_migrations order by version`;
  // The starter's demo accounts; a project without its profiles table has none.
  const [{ profiles }] = await sql<
    { profiles: boolean }[]
  >`select to_regclass('public.profiles') is not null as profiles`;
  const accounts = profiles
    ? await sql<{ email: string }[]>`
        select u.email from auth.users u join public.profiles p on p.id = u.id order by p.role, u.email`
    : [];
  const latest = migrations.at(-1);
  return {
    serverVersion: version.server_version,
    migrationsApplied: migrations.length,
    latestMigration: latest ? `${latest.version}_${latest.name}` : null,
    demoAccounts: accounts.map((a) => a.email),
  };
}
