// The platform bootstrap and the migrations are idempotent, and the seed makes
// exactly the documented demo data.
import postgres, { type Sql } from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { bootstrap, listMigrations, migrate, prepareDatabase } from '../src/migrate';
import { connect, DEPOT } from './support/fixture';

const sql = connect(2);
afterAll(() => sql.end());

/** Everything a migration or the bootstrap could change, as one comparable value. */
async function schemaFingerprint(sql: Sql): Promise<string> {
  const parts = await Promise.all([
    sql`select table_schema, table_name, column_name, data_type, column_default, is_nullable
        from information_schema.columns where table_schema in ('public', 'auth', 'realtime', 'extensions', 'supabase_migrations')
        order by 1, 2, 3`,
    sql`select schemaname, tablename, policyname, cmd, roles::text, qual, with_check from pg_policies order by 1, 2, 3`,
    sql`select n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) as args, md5(p.prosrc) as body, p.proacl::text
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('public', 'auth', 'realtime') order by 1, 2, 3`,
    sql`select grantee, table_schema, table_name, privilege_type from information_schema.role_table_grants
        where table_schema in ('public', 'auth', 'realtime') order by 1, 2, 3, 4`,
    sql`select rolname, rolcanlogin, rolbypassrls, rolinherit from pg_roles where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by 1`,
    sql`select pubname, schemaname, tablename from pg_publication_tables order by 1, 2, 3`,
    sql`select tgname, tgrelid::regclass::text from pg_trigger where not tgisinternal order by 1, 2`,
    sql`select version, name from supabase_migrations.schema_migrations order by version`,
    sql`select count(*)::int as n from public.shipments`,
  ]);
  return JSON.stringify(parts);
}

describe('bootstrap and migrations', () => {
  it('on a fresh database: migrates and seeds once; running everything again changes nothing', async () => {
    // A database of its own, so tests running in parallel cannot change the fingerprint.
    const name = `idempotence_${process.pid}_${Date.now()}`;
    await sql.unsafe(`create database ${name}`);
    const url = new URL(inject('stack').dbUrl);
    url.pathname = `/${name}`;
    const fresh = postgres(url.toString(), { max: 2, onnotice: () => {} });
    try {
      const first = await prepareDatabase(fresh);
      expect(first.seeded).toBe(true);
      expect(first.applied.map((m) => m.version)).toEqual((await listMigrations()).map((m) => m.version));
      const before = await schemaFingerprint(fresh);
      await bootstrap(fresh);
      expect(await migrate(fresh, { seedIfFresh: true })).toMatchObject({
        applied: [],
        seeded: false,
        role: { name: 'postgres', superuser: false },
      });
      await bootstrap(fresh);
      expect(await schemaFingerprint(fresh)).toBe(before);
    } finally {
      await fresh.end();
      await sql.unsafe(`drop database ${name} with (force)`);
    }
  });

  it('records every migration file the way the Supabase CLI does', async () => {
    const files = await listMigrations();
    const rows = await sql<{ version: string; name: string; statements: string[] }[]>`
      select version, name, statements from supabase_migrations.schema_migrations order by version`;
    expect(rows.map((r) => `${r.version}_${r.name}`)).toEqual(files.map((f) => `${f.version}_${f.name}`));
    expect(rows.every((r) => r.statements.length > 0)).toBe(true);
  });

  it('provides the Supabase platform objects with their names and signatures', async () => {
    const [roles] = await sql`
      select bool_and(rolbypassrls) filter (where rolname = 'service_role') as service_bypasses,
             bool_or(rolbypassrls) filter (where rolname in ('anon', 'authenticated')) as api_bypasses,
             count(*)::int as n
      from pg_roles where rolname in ('anon', 'authenticated', 'service_role', 'authenticator')`;
    expect(roles).toEqual({ service_bypasses: true, api_bypasses: false, n: 4 });
    const functions = await sql`
      select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as sig
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('auth', 'realtime') order by 1`;
    expect(functions.map((f) => f.sig)).toEqual([
      'auth.email()',
      'auth.jwt()',
      'auth.role()',
      'auth.uid()',
      'realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text, table_schema text, new record, old record, level text)',
      'realtime.send(payload jsonb, event text, topic text, private boolean)',
      'realtime.send_binary(payload bytea, event text, topic text, private boolean)',
      'realtime.topic()',
    ]);
    const claims = JSON.stringify({
      sub: 'a0000000-0000-4000-8000-000000000001',
      role: 'authenticated',
      email: 'x@example.com',
    });
    const [read] = await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${claims}, true)`;
      return tx`select auth.uid()::text as uid, auth.role() as role, auth.email() as email, auth.jwt() ->> 'role' as jwt_role`;
    });
    expect(read).toEqual({
      uid: 'a0000000-0000-4000-8000-000000000001',
      role: 'authenticated',
      email: 'x@example.com',
      jwt_role: 'authenticated',
    });
    const [pub] =
      await sql`select count(*)::int as n from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'shipments'`;
    expect(pub.n).toBe(1);
  });

  it('keeps our objects out of the auth and realtime schemas (so the migrations run on Supabase)', async () => {
    const ours = await sql`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('auth', 'realtime') and c.relkind in ('r', 'p', 'v', 'm')
        and not c.relispartition -- realtime.messages' daily partitions, as on Supabase
        and c.relname not in ('users', 'identities', 'sessions', 'refresh_tokens', 'mfa_amr_claims', 'messages')`;
    expect(ours).toEqual([]);
  });
});

describe('seed', () => {
  it('creates exactly the documented accounts, roles and depots', async () => {
    // The seed's depots and their members (other test files add people, always in depots of their own).
    const accounts = await sql`
      select u.email, p.role::text, array_agg(d.name order by d.name) as depots
      from auth.users u join profiles p on p.id = u.id
      join depot_members m on m.user_id = u.id join depots d on d.id = m.depot_id
      where d.id in (${DEPOT.north}, ${DEPOT.south})
      group by u.email, p.role order by u.email`;
    expect(accounts.map((a) => ({ ...a }))).toEqual([
      { email: 'dispatcher.hq@example.com', role: 'dispatcher', depots: ['North Depot', 'South Depot'] },
      { email: 'dispatcher.north@example.com', role: 'dispatcher', depots: ['North Depot'] },
      { email: 'dispatcher.south@example.com', role: 'dispatcher', depots: ['South Depot'] },
      { email: 'driver.north1@example.com', role: 'driver', depots: ['North Depot'] },
      { email: 'driver.north2@example.com', role: 'driver', depots: ['North Depot'] },
      { email: 'driver.south1@example.com', role: 'driver', depots: ['South Depot'] },
    ]);
  });

  it('stores password123 as a bcrypt hash GoTrue can verify, with an email identity', async () => {
    const rows = await sql`
      select u.email, u.encrypted_password like '$2%' as bcrypt,
             u.encrypted_password = extensions.crypt('password123', u.encrypted_password) as matches,
             u.encrypted_password = extensions.crypt('wrong', u.encrypted_password) as wrong_matches,
             u.email_confirmed_at is not null as confirmed,
             exists (select 1 from auth.identities i where i.user_id = u.id and i.provider = 'email') as has_identity
      from auth.users u where u.email like '%@example.com'`;
    expect(rows).toHaveLength(6);
    for (const row of rows)
      expect(row).toMatchObject({
        bcrypt: true,
        matches: true,
        wrong_matches: false,
        confirmed: true,
        has_identity: true,
      });
  });

  it('gives each depot at least 25 shipments in mixed statuses and every driver some work', async () => {
    const perDepot = await sql`
      select depot_id, count(*)::int as n, count(distinct status)::int as statuses
      from shipments where reference ~ '^(NOR|SOU)-' group by depot_id order by depot_id`;
    expect(perDepot.map((d) => d.depot_id)).toEqual([DEPOT.north, DEPOT.south]);
    for (const depot of perDepot) {
      expect(depot.n).toBeGreaterThanOrEqual(25);
      expect(depot.statuses).toBe(7);
    }
    const idle = await sql`
      select p.full_name from profiles p where p.role = 'driver'
      and not exists (select 1 from shipments s where s.driver_id = p.id and s.status in ('assigned', 'picked_up', 'in_transit'))`;
    expect(idle).toEqual([]);
  });
});
