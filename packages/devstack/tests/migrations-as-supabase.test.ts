// Migrations and the seed run as Supabase runs them: as `postgres`, which is not
// a superuser, after a superuser bootstrap. A migration that needs more than
// postgres has on Supabase fails here with Postgres's own error, and what
// supautils allows postgres there (policies on realtime.messages and auth.users,
// dropping triggers there) works here too.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { findProjectRoot } from '../src/config';
import { bootstrap, MigrationError, prepareDatabase } from '../src/migrate';
import { connect } from './support/fixture';
import { throwawayDatabase, throwawayProject } from './support/throwaway';

const sql = connect(2);
afterAll(() => sql.end());

/** Applies `migrations` (file name → SQL) and `seed` in a fresh database; returns what prepareDatabase threw or null. */
async function applyInFreshDatabase(
  migrations: Record<string, string>,
  seed = '',
  check?: (db: postgres.Sql) => Promise<void>,
): Promise<unknown> {
  const project = throwawayProject({
    ...Object.fromEntries(Object.entries(migrations).map(([name, text]) => [`supabase/migrations/${name}`, text])),
    'supabase/seed.sql': seed,
  });
  const database = await throwawayDatabase('as_supabase');
  try {
    const outcome = await prepareDatabase(database.sql, { projectDir: project.root }).then(
      () => null,
      (err: unknown) => err,
    );
    await check?.(database.sql);
    return outcome;
  } finally {
    await database.drop();
    project.remove();
  }
}

describe('the bootstrap', () => {
  it('needs a superuser connection and says so when given postgres (as a Supabase DATABASE_URL would be)', async () => {
    const database = await throwawayDatabase('not_super');
    const url = new URL(database.url);
    url.username = 'postgres';
    url.password = 'postgres';
    const asPostgres = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      await expect(bootstrap(asPostgres)).rejects.toThrow(
        'The dev stack bootstraps the database as a superuser, and it is connected as "postgres", which is not one.',
      );
    } finally {
      await asPostgres.end();
      await database.drop();
    }
  });
});

describe("the starter's migrations and seed", () => {
  it('ran as postgres, which is not a superuser, and postgres owns what they created', async () => {
    const [role] = await sql`select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
                             from pg_roles where rolname = 'postgres'`;
    expect(role).toEqual({
      rolsuper: false,
      rolcreaterole: true,
      rolcreatedb: true,
      rolreplication: true,
      rolbypassrls: true,
    });
    const owners = await sql<{ name: string; owner: string }[]>`
      select c.oid::regclass::text as name, pg_get_userbyid(c.relowner) as owner from pg_class c
      where c.oid in ('public.shipments'::regclass, 'public.profiles'::regclass, 'auth.users'::regclass,
                      'realtime.messages'::regclass, 'supabase_migrations.schema_migrations'::regclass)
      order by 1`;
    expect(owners).toEqual([
      { name: 'auth.users', owner: 'supabase_auth_admin' },
      { name: 'profiles', owner: 'postgres' },
      { name: 'realtime.messages', owner: 'supabase_realtime_admin' },
      { name: 'shipments', owner: 'postgres' },
      { name: 'supabase_migrations.schema_migrations', owner: 'postgres' },
    ]);
    const [publication] =
      await sql`select pg_get_userbyid(pubowner) as owner from pg_publication where pubname = 'supabase_realtime'`;
    expect(publication.owner).toBe('postgres');
    // The starter's policies on realtime.messages came in through the supautils allowance:
    // the depot presence topic's two and the live tables' one (live.may_receive).
    const [{ n }] = await sql`select count(*)::int as n from pg_policy where polrelid = 'realtime.messages'::regclass`;
    expect(n).toBe(3);
  });

  it('recorded the seed as the Supabase CLI records it (path and sha256)', async () => {
    const seed = readFileSync(path.join(findProjectRoot(), 'supabase', 'seed.sql'), 'utf8');
    const rows = await sql`select path, hash from supabase_migrations.seed_files`;
    expect(rows).toEqual([{ path: 'supabase/seed.sql', hash: createHash('sha256').update(seed).digest('hex') }]);
  });

  it('the printed DB URL logs in as postgres without superuser rights', async () => {
    const asPostgres = postgres(inject('stack').postgresUrl, { max: 1, onnotice: () => {} });
    try {
      const [me] = await asPostgres`select current_user, current_setting('is_superuser') as superuser`;
      expect(me).toEqual({ current_user: 'postgres', superuser: 'off' });
    } finally {
      await asPostgres.end();
    }
  });
});

// Each needs more than postgres has on Supabase. The messages are Postgres's:
// the same ones `supabase db push` shows for these statements on a project.
const SUPERUSER_ONLY: [what: string, statement: string, sqlState: string, message: RegExp][] = [
  [
    'a column on auth.users',
    'alter table auth.users add column nickname text;',
    '42501',
    /^must be owner of table users$/,
  ],
  [
    'a table in the auth schema',
    'create table auth.audit_notes (id bigint);',
    '42501',
    /^permission denied for schema auth$/,
  ],
  [
    'a function in the auth schema',
    'create function auth.is_admin() returns boolean language sql as $$ select false $$;',
    '42501',
    /^permission denied for schema auth$/,
  ],
  [
    'a column on realtime.messages',
    'alter table realtime.messages add column tenant text;',
    '42501',
    /^must be owner of table messages$/,
  ],
  [
    'a table in the realtime schema',
    'create table realtime.audit (id bigint);',
    '42501',
    /^permission denied for schema realtime$/,
  ],
  [
    "a comment on auth.users (only policies' comments are allowed)",
    "comment on table auth.users is 'people';",
    '42501',
    /^must be owner of table users$/,
  ],
  [
    'reading a server file',
    "select pg_read_file('postgresql.conf');",
    '42501',
    /^permission denied for function pg_read_file$/,
  ],
  [
    'a superuser-only setting',
    "set log_statement = 'all';",
    '42501',
    /^permission denied to set parameter "log_statement"$/,
  ],
  // Postgres 16 reworded these two; 15 and 17 each give their own wording, as Supabase's 15 and 17 do.
  [
    'a program run by COPY',
    "copy (select 1) to program 'cat > /dev/null';",
    '42501',
    /^(permission denied to COPY to or from an external program|must be superuser or have privileges of the pg_execute_server_program role to COPY to or from an external program)$/,
  ],
  [
    'a superuser role',
    'create role app_admin superuser;',
    '42501',
    /^(permission denied to create role|must be superuser to create superusers)$/,
  ],
];

describe('a migration only a superuser could run', () => {
  it.each(SUPERUSER_ONLY)(
    "fails on %s with Postgres's error, naming file and line, and leaves the database as it was",
    async (_what, statement, sqlState, message) => {
      const error = await applyInFreshDatabase(
        {
          '20260101000000_notes.sql': 'create table public.notes (id bigint primary key, body text);\n',
          '20260102000000_needs_superuser.sql': `-- a migration that works only as a superuser\n\n${statement}\n`,
        },
        '',
        async (db) => {
          const [state] = await db`select to_regclass('public.notes') is null as rolled_back,
                                          (select count(*)::int from supabase_migrations.schema_migrations) as recorded`;
          expect(state).toEqual({ rolled_back: true, recorded: 0 });
        },
      );
      expect(error).toBeInstanceOf(MigrationError);
      const failure = error as MigrationError;
      expect(path.basename(failure.file)).toBe('20260102000000_needs_superuser.sql');
      expect(failure.sqlState).toBe(sqlState);
      expect(failure.postgresMessage).toMatch(message);
      expect(failure.line).toBe(3);
      expect(failure.message).toContain(`20260102000000_needs_superuser.sql, line 3: ERROR: `);
      expect(failure.message).toContain(`(SQLSTATE ${sqlState})`);

      // The statement itself is fine: a superuser may run it, so the failure is about rights.
      await sql
        .begin(async (tx) => {
          await tx.unsafe(statement.replace('app_admin', `app_admin_${process.pid}`));
          throw new Error('roll back');
        })
        .catch((err: Error) => expect(err.message).toBe('roll back'));
    },
  );

  it('fails in the seed too, which also runs as postgres', async () => {
    const error = await applyInFreshDatabase(
      {},
      'insert into auth.users (id) values (gen_random_uuid());\nalter table auth.users add column x int;\n',
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect(path.basename((error as MigrationError).file)).toBe('seed.sql');
    expect((error as MigrationError).postgresMessage).toBe('must be owner of table users');
    expect((error as MigrationError).line).toBe(2);
  });
});

describe('what supautils lets postgres do on Supabase', () => {
  it('manages policies on realtime.messages and auth.users, adds and drops triggers on auth.users, sets session_replication_role', async () => {
    const migration = `
create policy "Members read their topics" on realtime.messages for select to authenticated using (realtime.topic() = 'room:' || auth.uid());
alter policy "Members read their topics" on realtime.messages using (realtime.topic() = 'room:' || (select auth.uid()));
comment on policy "Members read their topics" on realtime.messages is 'one room per user';
create policy "People read themselves" on auth.users for select to authenticated using (id = auth.uid());
drop policy "People read themselves" on auth.users;

create table public.people (id uuid primary key references auth.users (id) on delete cascade);
create function public.add_person() returns trigger language plpgsql security definer set search_path = ''
as $$ begin insert into public.people (id) values (new.id); return new; end $$;
create trigger on_auth_user_created after insert on auth.users for each row execute function public.add_person();
drop trigger on_auth_user_created on auth.users;
create trigger on_auth_user_created after insert on auth.users for each row execute function public.add_person();
create extension if not exists citext with schema extensions;
`;
    const seed = `set session_replication_role = replica;\ninsert into auth.users (id) values ('a0000000-0000-4000-8000-00000000beef');\nset session_replication_role = origin;\n`;
    const error = await applyInFreshDatabase({ '20260101000000_allowed.sql': migration }, seed, async (db) => {
      const policies = await db`select polname, polrelid::regclass::text as tbl from pg_policy order by 1`;
      expect(policies).toEqual([{ polname: 'Members read their topics', tbl: 'realtime.messages' }]);
      const [trigger] = await db`select count(*)::int as n from pg_trigger where tgname = 'on_auth_user_created'`;
      expect(trigger.n).toBe(1);
      // session_replication_role = replica skipped the trigger in the seed.
      const [people] = await db`select count(*)::int as n from public.people`;
      expect(people.n).toBe(0);
      // The owner roles were lent for single statements only.
      const [membership] = await db`
        select pg_has_role('postgres', 'supabase_realtime_admin', 'USAGE') as realtime,
               pg_has_role('postgres', 'supabase_auth_admin', 'USAGE') as auth`;
      expect(membership).toEqual({ realtime: false, auth: false });
    });
    expect(error).toBeNull();
  });

  it('refuses the same statements on a table the allowance does not list', async () => {
    // auth.mfa_amr_claims is owned by supabase_auth_admin but not listed in policy_grants.
    const error = await applyInFreshDatabase({
      '20260101000000_policy.sql': 'create policy "no" on auth.mfa_amr_claims for select using (true);\n',
    });
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).postgresMessage).toBe('must be owner of table mfa_amr_claims');
    expect((error as MigrationError).sqlState).toBe('42501');
  });
});
