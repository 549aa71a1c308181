-- live.publish / live.unpublish, and the API that reads what they install
-- (catch-up and watermark, as the caller). The objects they rely on, the rule
-- and the change trigger are in 20261201000100_live_schema.sql.

create or replace function live.publish(
  target regclass,
  scope_column name,
  scope_check regprocedure default null,
  audience_column name default null
) returns void
language plpgsql
set search_path = ''
as $$
declare
  rel record;
  pk name;
  scope_type regtype;
  ref regclass;
  ref_column name;
  audience_type regtype;
  added_version boolean := false;
  entry live.tables;
begin
  select c.relname::text as name, c.relkind into rel from pg_class c where c.oid = publish.target;
  if rel.relkind not in ('r', 'p') then
    raise exception 'live.publish: % is not a table', target using errcode = '42809';
  end if;
  if rel.name !~ '^[a-z_][a-z0-9_]{0,62}$' then
    raise exception 'live.publish: the table name % cannot be a topic prefix', rel.name
      using hint = 'Use a lower-case name of letters, digits and underscores.', errcode = '22023';
  end if;
  if exists (select 1 from live.tables t where t.table_name = rel.name and t.target <> publish.target) then
    raise exception 'live.publish: another table named % is already live', rel.name using errcode = '42710';
  end if;

  select a.attname into pk
    from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
   where i.indrelid = publish.target and i.indisprimary and i.indnatts = 1;
  if pk is null then
    raise exception 'live.publish: % needs a single-column primary key', target using errcode = '42P16';
  end if;

  select a.atttypid::regtype into scope_type from pg_attribute a
   where a.attrelid = publish.target and a.attname = publish.scope_column and not a.attisdropped and a.attnum > 0;
  if scope_type is null then
    raise exception 'live.publish: % has no column %', target, scope_column using errcode = '42703';
  end if;

  -- The default rule's referenced row: a single-column foreign key on the scope column.
  select con.confrelid::regclass, fa.attname into ref, ref_column
    from pg_constraint con
    join pg_attribute la on la.attrelid = con.conrelid and la.attnum = con.conkey[1]
    join pg_attribute fa on fa.attrelid = con.confrelid and fa.attnum = con.confkey[1]
   where con.conrelid = publish.target and con.contype = 'f' and cardinality(con.conkey) = 1
     and la.attname = publish.scope_column
   limit 1;
  if ref is null and publish.scope_check is null then
    raise exception 'live.publish: no rule for who may read a scope of %', target
      using hint = format('Add a foreign key on %s (readers of the referenced row read the scope), or pass scope_check => ''my_function(%s)''.',
                          scope_column, scope_type),
            errcode = '22023';
  end if;
  if publish.scope_check is not null and (select p.prorettype from pg_proc p where p.oid = publish.scope_check) <> 'boolean'::regtype then
    raise exception 'live.publish: scope_check % must return boolean', scope_check using errcode = '42804';
  end if;

  if audience_column is not null then
    select a.atttypid::regtype into audience_type from pg_attribute a
     where a.attrelid = publish.target and a.attname = publish.audience_column and not a.attisdropped and a.attnum > 0;
    if audience_type is distinct from 'uuid'::regtype then
      raise exception 'live.publish: the audience column %.% must be a uuid column (a user id)', target, audience_column
        using errcode = '42804';
    end if;
  end if;

  -- A row version, if the table has none.
  if not exists (select 1 from pg_attribute a
                  where a.attrelid = publish.target and a.attname = 'version' and not a.attisdropped and a.attnum > 0) then
    execute format('alter table %s add column version integer not null default 1', target);
    added_version := true;
  elsif (select a.atttypid from pg_attribute a where a.attrelid = publish.target and a.attname = 'version') <> 'integer'::regtype then
    raise exception 'live.publish: %.version must be an integer', target using errcode = '42804';
  end if;

  select * into entry from live.tables t where t.target = publish.target;
  insert into live.tables as t (table_name, target, primary_key, scope_column, scope_type, scope_ref, scope_ref_column,
                                scope_check, audience_column, added_version)
  values (rel.name, publish.target, pk, publish.scope_column, scope_type, ref, ref_column, publish.scope_check,
          publish.audience_column,
          added_version or coalesce(entry.added_version, false))
  on conflict (table_name) do update
    set primary_key = excluded.primary_key, scope_column = excluded.scope_column, scope_type = excluded.scope_type,
        scope_ref = excluded.scope_ref, scope_ref_column = excluded.scope_ref_column,
        scope_check = excluded.scope_check, audience_column = excluded.audience_column;

  execute format('drop trigger if exists live_bump_version on %s', target);
  execute format('create trigger live_bump_version before insert or update on %s '
                 'for each row execute function live.bump_version()', target);
  execute format('drop trigger if exists live_publish_change on %s', target);
  execute format('create trigger live_publish_change after insert or update or delete on %s '
                 'for each row execute function live.publish_change()', target);
end;
$$;
comment on function live.publish is
  'Makes a table live: per-scope commit-ordered seq and watermark, change history, broadcast to <table>:<scope> (and <table>:@<audience>), outbox rows. Idempotent.';

create or replace function live.unpublish(target regclass) returns void
language plpgsql
set search_path = ''
as $$
declare
  entry live.tables;
begin
  select * into entry from live.tables t where t.target = unpublish.target;
  execute format('drop trigger if exists live_publish_change on %s', target);
  execute format('drop trigger if exists live_bump_version on %s', target);
  if not found then
    return;
  end if;
  -- Unregistered first: the history is then no longer protected, and the
  -- cascade removes it and the watermarks.
  delete from live.tables t where t.table_name = entry.table_name;
  delete from public.realtime_outbox o
   where left(o.channel, length(entry.table_name) + 1) = entry.table_name || ':' and o.delivered_at is null;
  if entry.added_version then
    execute format('alter table %s drop column version', target);
  end if;
end;
$$;
comment on function live.unpublish is 'Removes everything live.publish installed on the table (triggers, history, watermarks, pending outbox rows, an added version column).';

revoke execute on function live.publish(regclass, name, regprocedure, name), live.unpublish(regclass)
  from public, anon, authenticated, service_role;

-- The API (PostgREST exposes public): catch-up and watermark, read as the caller ----
create or replace function public.live_watermark(live_table text, scope text) returns bigint
language sql stable
set search_path = ''
as $$
  select coalesce(
    (select w.last_seq from live.watermarks w where w.table_name = live_table and w.scope = live_watermark.scope),
    case when live.can_read_scope(live_table, scope) then 0 end)
$$;
comment on function public.live_watermark is 'The last committed seq of a scope: "you have everything up to here". Null when the caller may not read the scope.';

create or replace function public.live_changes_after(live_table text, scope text, after_seq bigint, max_rows integer default 500)
returns table (seq bigint, row_id text, operation text, version integer, actor_id uuid, changes jsonb, record jsonb,
               created_at timestamptz)
language sql stable
set search_path = ''
as $$
  select c.seq, c.row_id, c.operation, c.version, c.actor_id, c.changes, c.record, c.created_at
    from live.changes c
   where c.table_name = live_table and c.scope = live_changes_after.scope and c.seq > after_seq
   order by c.seq
   limit least(greatest(max_rows, 1), 1000)
$$;
comment on function public.live_changes_after is 'Committed changes of a scope after a seq, in seq order (the catch-up read), as the caller: RLS on live.changes applies.';

revoke execute on function public.live_watermark(text, text), public.live_changes_after(text, text, bigint, integer)
  from public;
grant execute on function public.live_watermark(text, text), public.live_changes_after(text, text, bigint, integer)
  to anon, authenticated, service_role;
