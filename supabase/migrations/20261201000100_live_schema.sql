-- Live tables: one call makes a table's committed changes reach browsers in
-- order, exactly once, through every realtime provider, with RLS deciding who
-- receives what.
--
--   select live.publish('public.orders', 'team_id');
--
-- installs, for that table:
--   * a per-scope seq assigned in COMMIT order (see "Sequence numbers" below)
--     and the scope's watermark (live.watermarks);
--   * the append-only change history (live.changes), the source of catch-up;
--   * the trigger that broadcasts every committed change to the private topic
--     `<table>:<scope value>` (realtime.send, for Supabase Realtime) and writes
--     the same message to public.realtime_outbox (for the Ably/Pusher relay);
--   * a row `version` (added if missing) that goes up by one on every update;
--   * the registration that the realtime.messages policies, the catch-up
--     function public.live_changes_after and public.realtime_channel_grants()
--     read, so all of them follow the same rule.
-- live.unpublish(table) removes all of it again.
--
-- Who may receive a scope's topic (and read its history and watermark) is ONE
-- rule, live.can_read_scope(table, scope):
--   * by default: whoever can SEE THE SCOPE'S REFERENCED ROW under RLS (the
--     scope column's foreign key target, e.g. the team of an order), checked as
--     the caller;
--   * or, when publish is given `scope_check => 'f(type)'`, whoever that
--     function (run as the caller) says yes for: e.g. shipments use
--     public.is_depot_dispatcher, because drivers may see their depot's row but
--     not every shipment in it.
-- Optional per-row audience (`audience_column => 'driver_id'`): each change is
-- also sent to `<table>:@<user id>` of the row's audience (a uuid column holding
-- an auth user id), and a `removed` message goes to the previous audience when
-- it changes. Only that user may receive that topic. This serves tables whose
-- rows are finer-grained than their scope (a driver sees their own shipments,
-- not the depot's). Audience topics carry a subset of the scope's seq, so their
-- readers re-read their rows after every (re)subscribe instead of filling gaps.
--
-- Sequence numbers: a Postgres sequence would not do, since nextval() values
-- become visible in the order their transactions commit, so a reader asking
-- "changes after 41" could see 43 before 42 commits and skip 42 forever.
-- Instead each scope has a counter row in live.watermarks; the writing
-- transaction increments it, which row-locks it until commit. Writers of one
-- scope thus serialize from that point on, and seq order equals commit order:
-- whenever a reader can see seq n, every seq below n is committed and visible.
-- Writers of different scopes never wait for each other.
--
-- Runs as the non-superuser `postgres` of a Supabase project (hosted,
-- `supabase start`, the dev stack): it creates only objects of its own, plus
-- policies on realtime.messages (allowed there through supautils).

create schema if not exists live;
comment on schema live is 'Live tables: live.publish(table, scope_column) and what it installs. See supabase/migrations/20261201000100_live_schema.sql.';
grant usage on schema live to anon, authenticated, service_role;

-- Registry ------------------------------------------------------------------------
create table if not exists live.tables (
  -- The topic prefix: the table's name (unique over schemas).
  table_name text primary key check (table_name ~ '^[a-z_][a-z0-9_]{0,62}$'),
  target regclass not null unique,
  primary_key name not null,
  scope_column name not null,
  scope_type regtype not null,
  -- The default rule's referenced row: the scope column's foreign key target.
  scope_ref regclass,
  scope_ref_column name,
  -- The rule given instead: a function (scope_type) returns boolean, run as the caller.
  scope_check regprocedure,
  audience_column name,
  -- Whether publish added the version column (unpublish then drops it).
  added_version boolean not null default false,
  created_at timestamptz not null default now(),
  check (scope_check is not null or scope_ref is not null)
);
comment on table live.tables is 'Tables made live with live.publish. Readable by everyone signed in: it says which tables are live, nothing about their rows.';
alter table live.tables enable row level security;
drop policy if exists "Signed-in users can see which tables are live" on live.tables;
create policy "Signed-in users can see which tables are live"
  on live.tables for select to authenticated using (true);
revoke all on live.tables from public, anon, authenticated, service_role;
grant select on live.tables to authenticated, service_role;

-- Watermarks: the counter row of each scope (its last committed seq) -------------
create table if not exists live.watermarks (
  table_name text not null references live.tables (table_name) on delete cascade,
  scope text not null,
  last_seq bigint not null default 0,
  updated_at timestamptz not null default now(),
  primary key (table_name, scope)
);
comment on table live.watermarks is 'Highest committed change seq of each scope of each live table. Read it with public.live_watermark(table, scope).';

-- Change history -------------------------------------------------------------------
create table if not exists live.changes (
  table_name text not null references live.tables (table_name) on delete cascade,
  scope text not null,
  seq bigint not null,
  -- The primary key value of the changed row, as text.
  row_id text not null,
  operation text not null check (operation in ('INSERT', 'UPDATE', 'DELETE')),
  version integer not null,
  actor_id uuid,
  -- For updates: {"column": {"old": …, "new": …}} of the columns that changed.
  changes jsonb not null default '{}'::jsonb,
  -- The row after the change; null for a delete.
  record jsonb,
  -- The row's audience after the change (audience tables only).
  audience uuid,
  created_at timestamptz not null default now(),
  primary key (table_name, scope, seq)
);
create index if not exists changes_row_idx on live.changes (table_name, row_id, seq);
create index if not exists changes_audience_idx on live.changes (table_name, audience, seq) where audience is not null;
comment on table live.changes is 'Append-only history of every live table, ordered per scope by seq (commit order).';

-- Append-only: rows of a table that is still live can be neither changed nor
-- removed (live.unpublish deletes a table's history after unregistering it).
create or replace function live.refuse_history_rewrite() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from live.tables t where t.table_name = old.table_name) then
    raise exception 'live.changes is append-only' using errcode = '42501';
  end if;
  return old;
end;
$$;
drop trigger if exists changes_append_only on live.changes;
create trigger changes_append_only
  before update or delete on live.changes
  for each row execute function live.refuse_history_rewrite();

-- The rule ---------------------------------------------------------------------------
-- Runs as the caller: the referenced row's own RLS (or the given function)
-- decides. A scope value that does not parse as the scope's type is readable by
-- nobody.
create or replace function live.can_read_scope(live_table text, scope text) returns boolean
language plpgsql stable
set search_path = ''
as $$
declare
  t live.tables;
  allowed boolean;
  caller uuid := (select auth.uid());
  memo text;
begin
  if scope is null or caller is null then
    return false;
  end if;
  -- The policies on live.changes ask once per row: remember the answer for the
  -- rest of the transaction (one API request or one channel join), keyed by
  -- table, scope, user and role.
  memo := 'live.read_' || md5(live_table || ':' || scope || ':' || caller::text || ':' || current_user);
  case current_setting(memo, true)
    when 't' then return true;
    when 'f' then return false;
    else null;
  end case;
  select * into t from live.tables where table_name = live_table;
  if not found then
    return false;
  end if;
  begin
    -- Only the canonical spelling of a value names its topic (no aliases such
    -- as an upper-case uuid, which would never receive a message anyway).
    execute format('select ($1::%s)::text = $1', t.scope_type) into allowed using scope;
    if allowed then
      if t.scope_check is not null then
        execute format('select %s($1::%s)', t.scope_check::regproc, t.scope_type) into allowed using scope;
      else
        execute format('select exists (select 1 from %s r where r.%I = $1::%s)', t.scope_ref, t.scope_ref_column,
                       t.scope_type) into allowed using scope;
      end if;
    end if;
  exception
    when invalid_text_representation or numeric_value_out_of_range or invalid_datetime_format then
      allowed := false;
  end;
  allowed := coalesce(allowed, false);
  perform set_config(memo, case when allowed then 't' else 'f' end, true);
  return allowed;
end;
$$;
comment on function live.can_read_scope is 'The one rule for a live table''s scope: may the caller receive its topic and read its history and watermark?';

-- `<table>:<scope>` or `<table>:@<user id>`: may the caller receive this topic?
create or replace function live.may_receive(topic text) returns boolean
language plpgsql stable
set search_path = ''
as $$
declare
  parts text[] := regexp_match(topic, '^([a-z_][a-z0-9_]{0,62}):(@?)([^:]+)$');
begin
  if parts is null then
    return false;
  end if;
  if parts[2] = '@' then
    return exists (select 1 from live.tables t where t.table_name = parts[1] and t.audience_column is not null)
      and parts[3] = (select auth.uid())::text;
  end if;
  return live.can_read_scope(parts[1], parts[3]);
end;
$$;

-- The scopes of a live table the caller may read: candidates are the referenced
-- table's rows the caller can see (or, without a foreign key, the scopes that
-- had changes), filtered by the rule. For realtime_channel_grants().
create or replace function live.readable_scopes(live_table text) returns setof text
language plpgsql stable
set search_path = ''
as $$
declare
  t live.tables;
begin
  select * into t from live.tables where table_name = live_table;
  if not found or (select auth.uid()) is null then
    return;
  end if;
  if t.scope_ref is not null then
    return query execute format('select r.%I::text from %s r', t.scope_ref_column, t.scope_ref);
  else
    return query select w.scope from live.watermarks w where w.table_name = live_table;
  end if;
end;
$$;

-- Everyone may ask (anon always hears no): policies and the API functions call them as the caller.
revoke execute on function live.can_read_scope(text, text), live.may_receive(text), live.readable_scopes(text)
  from public;
grant execute on function live.can_read_scope(text, text), live.may_receive(text), live.readable_scopes(text)
  to anon, authenticated, service_role;

-- History and watermarks follow the rule; only the trigger writes them ---------------
alter table live.watermarks enable row level security;
alter table live.changes enable row level security;
revoke all on live.watermarks, live.changes from public, anon, authenticated, service_role;
grant select on live.watermarks, live.changes to anon, authenticated, service_role;

drop policy if exists "Readers of a scope can read its watermark" on live.watermarks;
create policy "Readers of a scope can read its watermark"
  on live.watermarks for select to authenticated
  using (live.can_read_scope(table_name, scope));

drop policy if exists "Readers of a scope can read its history" on live.changes;
create policy "Readers of a scope can read its history"
  on live.changes for select to authenticated
  using (live.can_read_scope(table_name, scope));

drop policy if exists "A row's audience can read the changes addressed to them" on live.changes;
create policy "A row's audience can read the changes addressed to them"
  on live.changes for select to authenticated
  using (audience = (select auth.uid()));

-- Realtime: who receives live topics. Nobody but the database writes them, so a
-- client can never forge a change (there is no insert policy for live topics).
drop policy if exists "Readers of a live table's scope or audience receive its changes" on realtime.messages;
create policy "Readers of a live table's scope or audience receive its changes"
  on realtime.messages for select to authenticated
  using (extension = 'broadcast' and (select live.may_receive(realtime.topic())));

-- The change trigger ------------------------------------------------------------------
-- SECURITY DEFINER: it writes the history, the counter and the outbox, which no
-- API role may write directly.
create or replace function live.publish_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  t live.tables;
  row_after jsonb := case when tg_op = 'DELETE' then null else to_jsonb(new) end;
  row_before jsonb := case when tg_op = 'INSERT' then null else to_jsonb(old) end;
  current_row jsonb := coalesce(row_after, row_before);
  scope_value text;
  next_seq bigint;
  diff jsonb := '{}'::jsonb;
  message jsonb;
  removed jsonb;
  audience_after uuid;
  audience_before uuid;
  topic text;
begin
  select * into t from live.tables where target = tg_relid;
  if not found then
    return null; -- unpublished while this statement ran
  end if;
  scope_value := current_row ->> t.scope_column;
  if scope_value is null then
    raise exception 'A row of live table % needs a value in its scope column %', t.table_name, t.scope_column
      using errcode = '23502';
  end if;
  if tg_op = 'UPDATE' and (row_before ->> t.scope_column) is distinct from scope_value then
    raise exception 'A row of live table % cannot move to another % (delete it and insert a new one)',
      t.table_name, t.scope_column using errcode = '23514';
  end if;

  -- The counter row lock is what orders seq by commit (see the top of this file).
  insert into live.watermarks as w (table_name, scope, last_seq) values (t.table_name, scope_value, 1)
  on conflict (table_name, scope) do update set last_seq = w.last_seq + 1, updated_at = now()
  returning w.last_seq into next_seq;

  if tg_op = 'UPDATE' then
    select coalesce(jsonb_object_agg(n.key, jsonb_build_object('old', o.value, 'new', n.value)), '{}'::jsonb)
      into diff
      from jsonb_each(row_after) n
      join jsonb_each(row_before) o using (key)
     where n.value is distinct from o.value and n.key not in ('version', 'updated_at');
  end if;

  if t.audience_column is not null then
    audience_after := (row_after ->> t.audience_column)::uuid;
    audience_before := (row_before ->> t.audience_column)::uuid;
  end if;

  insert into live.changes (table_name, scope, seq, row_id, operation, version, actor_id, changes, record, audience)
  values (t.table_name, scope_value, next_seq, current_row ->> t.primary_key, tg_op, (current_row ->> 'version')::integer,
          auth.uid(), diff, row_after, audience_after);

  message := jsonb_build_object(
    'table', t.table_name,
    'scope', scope_value,
    'seq', next_seq,
    'id', current_row ->> t.primary_key,
    'version', (current_row ->> 'version')::integer,
    'operation', tg_op,
    'changed', (select coalesce(jsonb_agg(k), '[]'::jsonb) from jsonb_object_keys(diff) k),
    'record', row_after
  );

  topic := t.table_name || ':' || scope_value;
  perform realtime.send(message, 'changed', topic, true);
  insert into public.realtime_outbox (channel, event, payload, seq) values (topic, 'changed', message, next_seq);

  -- The row's audience: its changes; a previous audience learns that the row
  -- left them, without seeing it any more.
  if audience_after is not null then
    topic := t.table_name || ':@' || audience_after::text;
    perform realtime.send(message, 'changed', topic, true);
    insert into public.realtime_outbox (channel, event, payload, seq) values (topic, 'changed', message, next_seq);
  end if;
  if audience_before is not null and audience_before is distinct from audience_after then
    removed := jsonb_build_object('table', t.table_name, 'scope', scope_value, 'seq', next_seq,
                                  'id', current_row ->> t.primary_key,
                                  'version', (current_row ->> 'version')::integer);
    topic := t.table_name || ':@' || audience_before::text;
    perform realtime.send(removed, 'removed', topic, true);
    insert into public.realtime_outbox (channel, event, payload, seq) values (topic, 'removed', removed, next_seq);
  end if;

  -- Wakes a listening relay at commit (notifications are delivered only then,
  -- and identical ones in one transaction are folded into one). The payload is
  -- empty: the relay reads the table, so a missed notification loses nothing.
  perform pg_notify('realtime_outbox', '');
  return null;
end;
$$;

-- version + 1 on every update (an optimistic-concurrency guard for writers and
-- the order of a row's states for readers); INSERT starts at 1.
create or replace function live.bump_version() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    new.version := 1;
  else
    new.version := old.version + 1;
  end if;
  return new;
end;
$$;

revoke execute on function live.publish_change(), live.bump_version(), live.refuse_history_rewrite()
  from public, anon, authenticated, service_role;
