-- Owners and privileges as on Supabase, after bootstrap.sql (same transaction,
-- as a superuser). Migrations and the seed then run as `postgres`, which is not
-- a superuser on Supabase, so a migration that needs more than `postgres` has
-- there fails here with the same Postgres error. Sources: supabase/postgres
-- (migrations/db: initial schema, demote-postgres, revoke_admin_roles_from_postgres,
-- lock_down_postgres_access_to_auth_*), supabase/realtime (tenant migrations:
-- restrict_realtime_schema, messages_partitioning) and supabase/supautils.
-- Idempotent: ALTER OWNER to the current owner and repeated GRANTs change nothing.

-- The database and public ------------------------------------------------------
-- `postgres` owns the database (so, from PostgreSQL 15, the public schema via
-- pg_database_owner): migrations create their tables there and own them.
do $$
begin
  execute format('alter database %I owner to postgres', current_database());
end
$$;

-- What postgres or the bootstrap superuser create in public is reachable by the
-- API roles, RLS deciding the rows (supabase/postgres initial schema).
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
do $$
begin
  execute format('alter default privileges for role %I in schema public grant all on tables to postgres, anon, authenticated, service_role', current_user);
  execute format('alter default privileges for role %I in schema public grant all on functions to postgres, anon, authenticated, service_role', current_user);
  execute format('alter default privileges for role %I in schema public grant all on sequences to postgres, anon, authenticated, service_role', current_user);
end
$$;

-- extensions: postgres may create (trusted) extensions there and use all of it.
grant all on schema extensions to postgres;
grant all privileges on all tables in schema extensions to postgres with grant option;
grant all privileges on all routines in schema extensions to postgres with grant option;
grant all privileges on all sequences in schema extensions to postgres with grant option;

-- auth: owned by supabase_auth_admin; postgres may read and write every table
-- (seeds insert users, migrations add triggers on auth.users) but not create
-- objects in the schema or alter its tables (revoke_admin_roles_from_postgres).
do $$
declare
  item record;
begin
  for item in select c.oid::regclass as name from pg_class c
              where c.relnamespace = 'auth'::regnamespace and c.relkind in ('r', 'p', 'v') and not c.relispartition loop
    execute format('alter table %s owner to supabase_auth_admin', item.name);
  end loop;
  for item in select p.oid::regprocedure as name from pg_proc p where p.pronamespace = 'auth'::regnamespace loop
    execute format('alter function %s owner to supabase_auth_admin', item.name);
  end loop;
end
$$;
grant all on schema auth to supabase_auth_admin;
grant usage on schema auth to postgres;
revoke create on schema auth from postgres;
grant all on all tables in schema auth to postgres;
grant all on all sequences in schema auth to postgres;
grant all on all routines in schema auth to postgres;

-- realtime: owned by supabase_realtime_admin (partitions of realtime.messages
-- stay with whoever created them, as on Supabase, where the Realtime server
-- does); postgres has usage with grant option and no CREATE
-- (restrict_realtime_schema), and all privileges on realtime.messages.
do $$
declare
  item record;
begin
  for item in select c.oid::regclass as name from pg_class c
              where c.relnamespace = 'realtime'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition loop
    execute format('alter table %s owner to supabase_realtime_admin', item.name);
  end loop;
  for item in select p.oid::regprocedure as name from pg_proc p where p.pronamespace = 'realtime'::regnamespace loop
    execute format('alter function %s owner to supabase_realtime_admin', item.name);
  end loop;
end
$$;
grant all on schema realtime to supabase_realtime_admin;
grant usage on schema realtime to postgres with grant option;
revoke create on schema realtime from postgres;
grant all on realtime.messages to postgres;
grant all on all routines in schema realtime to postgres;

-- The publication Postgres Changes stream: `alter publication supabase_realtime
-- add table …` in a migration needs its owner, postgres (as on Supabase).
alter publication supabase_realtime owner to postgres;

-- Migration history: the Supabase CLI writes it as postgres.
alter schema supabase_migrations owner to postgres;
alter table supabase_migrations.schema_migrations owner to postgres;
alter table supabase_migrations.seed_files owner to postgres;

-- supautils: privileged_role_allowed_configs --------------------------------------
-- On Supabase postgres may set these superuser-only settings (seeds use
-- session_replication_role = replica to skip triggers); GRANT SET ON PARAMETER
-- (PostgreSQL 15+) is the same permission without the extension.
grant set on parameter session_replication_role, track_io_timing to postgres;

-- supautils: policy_grants and drop_trigger_grants -----------------------------------
-- On Supabase, postgres owns neither auth.users nor realtime.messages, yet may
-- CREATE, ALTER, DROP and COMMENT ON POLICY on them, and DROP TRIGGER there:
-- supautils runs those statements as a superuser when the table is listed for
-- the role in supautils.policy_grants (drop_trigger_grants). Without the
-- extension, event triggers do the same: before such a statement they make the
-- role a member of the listed tables' owners; after it they take the membership
-- back and refuse, with Postgres's own "must be owner of …" error (42501),
-- anything that used it on a table not listed. The membership lives inside the
-- statement's transaction, so a failed statement leaves nothing behind. Any
-- other DDL on these tables still fails as on Supabase.
create schema if not exists devstack_supautils;
revoke all on schema devstack_supautils from public;

-- The lists as Supabase configures them (supabase/postgres: supautils.conf.j2,
-- policy_grants; hosted projects list the same tables in drop_trigger_grants).
-- `statement` is the command tag: DROP TRIGGER reads drop_trigger_grants.
create or replace function devstack_supautils.grants(statement text) returns jsonb
language sql immutable
as $$
  select '{"postgres": ["auth.audit_log_entries", "auth.identities", "auth.refresh_tokens", "auth.sessions",
                        "auth.users", "realtime.messages", "storage.buckets", "storage.migrations",
                        "storage.objects", "storage.s3_multipart_uploads", "storage.s3_multipart_uploads_parts"]}'::jsonb
$$;

-- The role running the statement (supautils checks the current user): inside
-- these SECURITY DEFINER functions, the session's SET ROLE, else the session user.
create or replace function devstack_supautils.statement_role() returns name
language sql stable
as $$
  select coalesce(nullif(current_setting('role'), 'none'), session_user)::name
$$;

-- Is `relation` listed for `grantee` for this kind of statement?
create or replace function devstack_supautils.is_granted(statement text, grantee name, relation oid) returns boolean
language sql stable
as $$
  select exists (
    select 1 from jsonb_array_elements_text(devstack_supautils.grants(statement) -> grantee::text) as t(name)
    where to_regclass(t.name) = relation
  )
$$;

create or replace function devstack_supautils.lend_table_owners() returns event_trigger
language plpgsql security definer set search_path = pg_catalog
as $$
declare
  grantee name := devstack_supautils.statement_role();
  owner_role name;
  lent text[] := '{}';
begin
  if (select rolsuper from pg_roles where rolname = grantee) is not false then
    return; -- superusers need no allowance (supautils skips them too)
  end if;
  for owner_role in
    select distinct r.rolname
    from jsonb_array_elements_text(devstack_supautils.grants(tg_tag) -> grantee::text) as t(name)
    join pg_class c on c.oid = to_regclass(t.name)
    join pg_roles r on r.oid = c.relowner
    where not r.rolsuper and not pg_has_role(grantee, r.oid, 'USAGE')
  loop
    execute format('grant %I to %I', owner_role, grantee);
    lent := lent || owner_role::text;
  end loop;
  perform set_config('devstack_supautils.lent', array_to_string(lent, ','), true);
end
$$;

-- Raises what Postgres raises for a non-owner when `relation`'s ownership came
-- only from the lending and the table is not listed for `statement`.
create or replace function devstack_supautils.refuse_lent_ownership(
  statement text, grantee name, relation oid, lent text[], allowed boolean, what text
) returns void
language plpgsql stable set search_path = pg_catalog
as $$
declare
  owner_role text := (select relowner::regrole::text from pg_class where oid = relation);
begin
  if relation is null or owner_role is null or not (owner_role = any (lent)) then
    return;
  end if;
  if allowed and devstack_supautils.is_granted(statement, grantee, relation) then
    return;
  end if;
  raise exception 'must be owner of % %', what, (select relname from pg_class where oid = relation)
    using errcode = '42501';
end
$$;

create or replace function devstack_supautils.return_table_owners() returns event_trigger
language plpgsql security definer set search_path = pg_catalog
as $$
declare
  grantee name := devstack_supautils.statement_role();
  lent text[] := string_to_array(nullif(current_setting('devstack_supautils.lent', true), ''), ',');
  owner_role text;
  command record;
begin
  if lent is null then
    return;
  end if;
  perform set_config('devstack_supautils.lent', '', true);
  foreach owner_role in array lent loop
    execute format('revoke %I from %I', owner_role, grantee);
  end loop;
  for command in select * from pg_event_trigger_ddl_commands() loop
    if command.classid = 'pg_policy'::regclass then
      -- CREATE/ALTER POLICY and COMMENT ON POLICY: allowed on listed tables.
      perform devstack_supautils.refuse_lent_ownership(
        tg_tag, grantee, (select polrelid from pg_policy where oid = command.objid), lent, true,
        case when command.command_tag = 'COMMENT' then 'relation' else 'table' end);
    elsif command.classid = 'pg_class'::regclass then
      perform devstack_supautils.refuse_lent_ownership(
        tg_tag, grantee, command.objid, lent, false, case when command.objsubid = 0 then 'table' else 'relation' end);
    elsif command.classid = 'pg_trigger'::regclass then
      perform devstack_supautils.refuse_lent_ownership(
        tg_tag, grantee, (select tgrelid from pg_trigger where oid = command.objid), lent, false, 'relation');
    elsif command.classid = 'pg_constraint'::regclass then
      perform devstack_supautils.refuse_lent_ownership(
        tg_tag, grantee, (select conrelid from pg_constraint where oid = command.objid), lent, false, 'relation');
    elsif command.classid = 'pg_proc'::regclass
          and (select proowner::regrole::text from pg_proc where oid = command.objid) = any (lent) then
      raise exception 'must be owner of function %', (select proname from pg_proc where oid = command.objid)
        using errcode = '42501';
    end if;
  end loop;
end
$$;

-- DROP POLICY and DROP TRIGGER: the object is gone by ddl_command_end, so its
-- table (address_names: schema, table, name) is checked here.
create or replace function devstack_supautils.check_dropped_objects() returns event_trigger
language plpgsql security definer set search_path = pg_catalog
as $$
declare
  grantee name := devstack_supautils.statement_role();
  lent text[] := string_to_array(nullif(current_setting('devstack_supautils.lent', true), ''), ',');
  dropped record;
begin
  if lent is null then
    return;
  end if;
  for dropped in select * from pg_event_trigger_dropped_objects() where object_type in ('policy', 'trigger') loop
    perform devstack_supautils.refuse_lent_ownership(
      tg_tag, grantee, to_regclass(format('%I.%I', dropped.address_names[1], dropped.address_names[2])), lent, true,
      case when dropped.object_type = 'trigger' then 'relation' else 'table' end);
  end loop;
end
$$;

revoke all on all functions in schema devstack_supautils from public;

do $$
begin
  if not exists (select 1 from pg_event_trigger where evtname = 'devstack_supautils_grants_start') then
    create event trigger devstack_supautils_grants_start on ddl_command_start
      when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'COMMENT', 'DROP TRIGGER')
      execute function devstack_supautils.lend_table_owners();
  end if;
  if not exists (select 1 from pg_event_trigger where evtname = 'devstack_supautils_grants_drop') then
    create event trigger devstack_supautils_grants_drop on sql_drop
      when tag in ('DROP POLICY', 'DROP TRIGGER')
      execute function devstack_supautils.check_dropped_objects();
  end if;
  if not exists (select 1 from pg_event_trigger where evtname = 'devstack_supautils_grants_end') then
    create event trigger devstack_supautils_grants_end on ddl_command_end
      when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'COMMENT', 'DROP TRIGGER')
      execute function devstack_supautils.return_table_owners();
  end if;
end
$$;
