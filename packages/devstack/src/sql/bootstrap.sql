-- Platform bootstrap for the dev stack.
--
-- Creates the objects every Supabase project already has before its first
-- migration runs (roles, the auth and realtime schemas, the supabase_realtime
-- publication, default grants), with Supabase's names and signatures, so the
-- migrations in supabase/migrations run unchanged here and on Supabase.
-- Runs as a superuser (supabase_admin on clusters the stack creates);
-- privileges.sql then gives every object the owner and grants it has on
-- Supabase, and migrations run afterwards as the non-superuser `postgres`.
-- Idempotent: the dev stack runs it on every start.

-- Roles ---------------------------------------------------------------------
do $$
begin
  -- The project owner's role. On Supabase it is not a superuser (the
  -- supabase/postgres image demotes it): NOSUPERUSER CREATEDB CREATEROLE LOGIN
  -- REPLICATION BYPASSRLS. An existing `postgres` is left as it is; in a cluster
  -- whose bootstrap superuser is `postgres` (made by an older dev stack) it
  -- stays a superuser, and the stack says so when it starts.
  if not exists (select 1 from pg_roles where rolname = 'postgres') then
    create role postgres login createdb createrole replication bypassrls password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    -- PostgREST's login role: it switches to anon/authenticated/service_role per request.
    create role authenticator login noinherit password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin nologin noinherit;
  end if;
  -- Owner of the auth schema's tables and functions, as on Supabase (GoTrue
  -- logs in as it there; the dev stack's auth service uses its own connection).
  if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin nologin noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

-- postgres may act as the API roles (set role) and, from PostgreSQL 16, grant
-- them (supabase/postgres: grant_auth_roles_to_postgres,
-- grant_with_admin_to_postgres_16_and_above); it reads everything and may end
-- other sessions (grant_predefined_roles_to_postgres, grant_pg_monitor_to_postgres).
do $$
begin
  if current_setting('server_version_num')::int >= 160000 then
    grant anon, authenticated, service_role to postgres with admin option;
  else
    grant anon, authenticated, service_role to postgres;
  end if;
end
$$;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;

-- Extensions live in their own schema, as on Supabase -------------------------
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

-- public: Supabase grants the API roles access by default; RLS decides rows. --
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

-- auth ------------------------------------------------------------------------
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255) default '',
  confirmation_sent_at timestamptz,
  recovery_token varchar(255) default '',
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255) default '',
  email_change varchar(255) default '',
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0,
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create unique index if not exists users_email_partial_key on auth.users (email) where (is_sso_user = false);

create table if not exists auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid primary key default gen_random_uuid(),
  unique (provider_id, provider)
);

create table if not exists auth.sessions (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz,
  updated_at timestamptz,
  factor_id uuid,
  aal text,
  not_after timestamptz,
  refreshed_at timestamp,
  user_agent text,
  ip inet,
  tag text
);

-- GoTrue's authentication method references per session (the `amr` claim).
create table if not exists auth.mfa_amr_claims (
  session_id uuid not null references auth.sessions (id) on delete cascade,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  authentication_method text not null,
  id uuid primary key,
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method)
);

create table if not exists auth.refresh_tokens (
  instance_id uuid,
  id bigserial primary key,
  token varchar(255) unique,
  user_id varchar(255),
  revoked boolean,
  created_at timestamptz,
  updated_at timestamptz,
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);

-- Claims of the current request, as PostgREST sets them (request.jwt.claims);
-- the older per-claim settings are read first, exactly like Supabase's versions.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to anon, authenticated, service_role;

-- realtime ----------------------------------------------------------------------
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

-- As on Supabase: partitioned by day on inserted_at (messages_YYYY_MM_DD).
-- Partitions are created and dropped by the Realtime server (yesterday to
-- three days ahead, 72 h kept); in the dev stack by its realtime service
-- (realtime/messages-partitions.ts). Columns and types are Supabase's.
do $$
declare
  pol record;
  day date;
begin
  if (select relkind from pg_class where oid = to_regclass('realtime.messages')) = 'r' then
    -- A database from before partitioning: the same table, partitioned, with
    -- its policies and the rows Realtime would still replay.
    alter table realtime.messages rename to messages_before_partitioning;
    alter table realtime.messages_before_partitioning rename constraint messages_pkey to messages_before_partitioning_pkey;
    alter index if exists realtime.messages_inserted_at_topic_index rename to messages_before_partitioning_index;
  end if;
  if to_regclass('realtime.messages') is null then
    create table realtime.messages (
      topic text not null,
      extension text not null,
      payload jsonb,
      event text,
      private boolean default false,
      updated_at timestamp not null default now(),
      inserted_at timestamp not null default now(),
      id uuid not null default gen_random_uuid(),
      binary_payload bytea,
      constraint messages_pkey primary key (id, inserted_at)
    ) partition by range (inserted_at);
  end if;
  if to_regclass('realtime.messages_before_partitioning') is not null then
    for pol in
      select * from pg_policies where schemaname = 'realtime' and tablename = 'messages_before_partitioning'
    loop
      execute format('create policy %I on realtime.messages as %s for %s to %s', pol.policyname, pol.permissive,
                     pol.cmd, (select string_agg(case when r = 'public' then 'public' else quote_ident(r) end, ', ')
                               from unnest(pol.roles) r))
              || coalesce(' using (' || pol.qual || ')', '') || coalesce(' with check (' || pol.with_check || ')', '');
    end loop;
    for day in
      select distinct inserted_at::date from realtime.messages_before_partitioning
      where inserted_at >= now() - interval '72 hours'
    loop
      execute format('create table if not exists realtime.%I partition of realtime.messages for values from (%L) to (%L)',
                     'messages_' || to_char(day, 'YYYY_MM_DD'), day, day + 1);
    end loop;
    insert into realtime.messages (topic, extension, payload, event, private, updated_at, inserted_at, id)
    select topic, extension, payload, event, private, updated_at, inserted_at, id
    from realtime.messages_before_partitioning where inserted_at >= now() - interval '72 hours';
    drop table realtime.messages_before_partitioning;
  end if;
  if not exists (select 1 from pg_constraint
                 where conrelid = to_regclass('realtime.messages') and conname = 'messages_payload_exclusive') then
    alter table realtime.messages
      add constraint messages_payload_exclusive check (payload is null or binary_payload is null) not valid;
  end if;
end
$$;
create index if not exists messages_inserted_at_topic_index on realtime.messages (inserted_at desc, topic)
  where extension = 'broadcast' and private is true;
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

-- Supabase's realtime.send: adds an `id` to a payload without one; on any
-- error (no partition for today, a policy, …) it raises a WARNING, stores
-- nothing, and lets the calling transaction commit.
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid;
  final_payload jsonb;
begin
  begin
    generated_id := gen_random_uuid();
    if payload ? 'id' then
      final_payload := payload;
    else
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    end if;
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

-- Binary Broadcast from Database: delivered to serializer 2.0.0 clients as
-- binary frames (raw bytes), skipped for 1.0.0 clients, included in replay.
create or replace function realtime.send_binary(payload bytea, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid;
begin
  begin
    generated_id := gen_random_uuid();
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (id, binary_payload, event, topic, private, extension)
    values (generated_id, payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW'
) returns void
language plpgsql
as $$
declare
  row_data jsonb := '{}'::jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation in ('INSERT', 'UPDATE', 'DELETE') then
    row_data := jsonb_build_object('old_record', old, 'record', new, 'operation', operation,
                                   'table', table_name, 'schema', table_schema);
    perform realtime.send(row_data, event_name, topic_name);
  else
    raise exception 'Unexpected operation type: %', operation;
  end if;
end;
$$;

grant execute on function realtime.topic(), realtime.send(jsonb, text, text, boolean),
  realtime.send_binary(bytea, text, text, boolean), realtime.broadcast_changes(text, text, text, text, text, record, record, text)
  to anon, authenticated, service_role;

-- Publication for Postgres Changes; projects add their tables in migrations.
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;

-- Migration history, in the shape the Supabase CLI reads and writes -----------
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text primary key,
  statements text[],
  name text
);
-- Seed files applied, with the sha256 of their text, so that
-- `supabase db push --include-seed` does not run them again.
create table if not exists supabase_migrations.seed_files (
  path text not null primary key,
  hash text not null
);
