// The migrations, the live schema included, run as Supabase runs them: as a
// NON-superuser `postgres`-like role, after a superuser bootstrap. On Supabase
// that role may create policies on realtime.messages and alter the
// supabase_realtime publication through supautils; here ownership of those two
// objects stands in for that allowance, and nothing else is granted beyond
// what a Supabase project's postgres has. The live schema migrations are
// idempotent: applying them again changes nothing.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bootstrap } from '@switchboard/devstack';

const MIGRATIONS = path.join(import.meta.dirname, '..', '..', 'supabase', 'migrations');
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const database = `live_role_${suffix}`;
const role = `live_migrator_${suffix}`;

let admin: Sql;
let sql: Sql;

async function migrationFiles(): Promise<string[]> {
  return (await readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql')).sort();
}

/** Applies SQL as the migration role, in one transaction, like the CLI does. */
async function asMigrationRole(text: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${role}`);
    await tx.unsafe(text);
  });
}

beforeAll(async () => {
  admin = postgres(inject('stack').dbUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${database}`);
  await admin.unsafe(`create role ${role} nosuperuser createdb createrole bypassrls nologin`);
  const url = new URL(inject('stack').dbUrl);
  url.pathname = `/${database}`;
  sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  await bootstrap(sql);
  const [{ rolsuper }] = await sql`select rolsuper from pg_roles where rolname = ${role}`;
  expect(rolsuper).toBe(false);
  await sql.unsafe(`
    grant create, connect on database ${database} to ${role};
    alter schema public owner to ${role};
    grant usage on schema auth, extensions, realtime to ${role};
    grant all on all tables in schema auth to ${role};
    grant execute on all functions in schema auth, realtime to ${role};
    -- As on Supabase: what postgres creates in public is the API roles' to use (RLS decides rows).
    alter default privileges for role ${role} in schema public grant all on tables to anon, authenticated, service_role;
    alter default privileges for role ${role} in schema public grant all on functions to anon, authenticated, service_role;
    alter default privileges for role ${role} in schema public grant all on sequences to anon, authenticated, service_role;
    -- supautils' allowance on Supabase: policies on realtime.messages, tables in the publication.
    alter table realtime.messages owner to ${role};
    alter publication supabase_realtime owner to ${role};`);
}, 60_000);

afterAll(async () => {
  await sql?.end({ timeout: 2 });
  await admin.unsafe(`drop database if exists ${database} with (force)`);
  await admin.unsafe(`drop role if exists ${role}`);
  await admin.end();
});

describe('migrations as a non-superuser migration role', () => {
  it('apply in order, and the live objects belong to that role', async () => {
    for (const file of await migrationFiles()) {
      await asMigrationRole(await readFile(path.join(MIGRATIONS, file), 'utf8')).catch((error: Error) => {
        throw new Error(`${file}: ${error.message}`);
      });
    }
    const owners = await sql<{ name: string; owner: string }[]>`
      select c.relname as name, pg_get_userbyid(c.relowner) as owner from pg_class c
      where c.relnamespace = 'live'::regnamespace and c.relkind = 'r' order by 1`;
    expect(owners).toEqual([
      { name: 'changes', owner: role },
      { name: 'tables', owner: role },
      { name: 'watermarks', owner: role },
    ]);
    const live = await sql`select table_name from live.tables order by 1`;
    expect(live.map((r) => r.table_name)).toEqual(['shipment_notes', 'shipments']);
  });

  it('publishes and records changes written by the API roles', async () => {
    await sql.unsafe(`insert into public.depots (id, name, min_lat, min_lng, max_lat, max_lng)
                      values ('d0000000-0000-4000-8000-00000000abcd', 'Role Depot', 1, 1, 2, 2)`);
    await sql.begin(async (tx) => {
      await tx.unsafe(`set local role service_role`);
      await tx.unsafe(`insert into public.shipments (depot_id, reference, recipient, address)
                       values ('d0000000-0000-4000-8000-00000000abcd', 'ROLE-1', 'R', 'A')`);
    });
    const [change] = await sql`select scope, seq, operation from live.changes where table_name = 'shipments'`;
    expect(change).toMatchObject({ scope: 'd0000000-0000-4000-8000-00000000abcd', seq: '1', operation: 'INSERT' });
  });

  it('is idempotent: the live schema migrations and publish calls applied again change nothing', async () => {
    const snapshot = async () => ({
      functions: await sql`select p.oid::regprocedure::text as f from pg_proc p
                           where p.pronamespace = 'live'::regnamespace order by 1`,
      policies: await sql`select polname from pg_policy order by 1`,
      triggers: await sql`select tgname from pg_trigger where not tgisinternal order by 1`,
      registry:
        await sql`select table_name, scope_column, scope_check::text, audience_column from live.tables order by 1`,
      history: await sql`select count(*)::int as n from live.changes`,
    });
    const before = await snapshot();
    const files = await migrationFiles();
    for (const file of files.filter((f) => /_live_(schema|publish)\.sql$/.test(f)))
      await asMigrationRole(await readFile(path.join(MIGRATIONS, file), 'utf8'));
    await asMigrationRole(
      `select live.publish('public.shipments', 'depot_id', scope_check => 'public.is_depot_dispatcher(uuid)',
                           audience_column => 'driver_id')`,
    );
    expect(await snapshot()).toEqual(before);
  });
});
