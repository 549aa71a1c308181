-- The change feed: every committed change of a shipment gets a per-depot
-- sequence number, is recorded in shipment_events (the durable history and the
-- source of catch-up), and is broadcast to the depot's private realtime topic.
--
-- Sequence numbers are assigned in COMMIT order. A Postgres sequence would not
-- do: nextval() values become visible in the order their transactions commit,
-- so a reader asking "events after 41" could see 43 before 42 commits and skip
-- 42 forever. Instead each depot has a counter row; the writing transaction
-- increments it, which row-locks it until commit. Writers of one depot thus
-- serialize from that point on, and seq order equals commit order: whenever a
-- reader can see seq n, every seq below n is already committed and visible.
-- Writers of different depots never wait for each other.

create table public.depot_watermarks (
  depot_id uuid primary key references public.depots (id) on delete cascade,
  last_seq bigint not null default 0,
  updated_at timestamptz not null default now()
);
comment on table public.depot_watermarks is 'Highest committed change seq of each depot. Read it with public.depot_watermark(depot).';

create function public.create_depot_watermark() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.depot_watermarks (depot_id) values (new.id) on conflict do nothing;
  return new;
end;
$$;

create trigger depots_create_watermark
  after insert on public.depots
  for each row execute function public.create_depot_watermark();

create table public.shipment_events (
  id bigint generated always as identity primary key,
  depot_id uuid not null references public.depots (id) on delete cascade,
  seq bigint not null,
  -- No foreign key: the history of a shipment outlives the shipment.
  shipment_id uuid not null,
  operation text not null check (operation in ('INSERT', 'UPDATE', 'DELETE')),
  version integer not null,
  status public.shipment_status,
  actor_id uuid,
  -- For updates: {"column": {"old": …, "new": …}} of the columns that changed.
  changes jsonb not null default '{}'::jsonb,
  -- The row after the change; null for a delete.
  record jsonb,
  created_at timestamptz not null default now(),
  unique (depot_id, seq)
);
create index shipment_events_shipment_id_idx on public.shipment_events (shipment_id, seq);
comment on table public.shipment_events is 'Append-only history of shipment changes, ordered per depot by seq (commit order).';

create function public.refuse_history_rewrite() returns trigger
language plpgsql
as $$
begin
  raise exception 'shipment_events is append-only' using errcode = '42501';
end;
$$;

create trigger shipment_events_append_only
  before update or delete on public.shipment_events
  for each row execute function public.refuse_history_rewrite();

create function public.publish_shipment_change() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  depot uuid := coalesce(new.depot_id, old.depot_id);
  -- jsonb rather than a row variable: a null row variable still serializes as an object of nulls.
  record_after jsonb := case when tg_op = 'DELETE' then null else to_jsonb(new) end;
  next_seq bigint;
  diff jsonb := '{}'::jsonb;
  message jsonb;
begin
  -- The counter row lock is what orders seq by commit (see the top of this file).
  insert into public.depot_watermarks as w (depot_id, last_seq) values (depot, 1)
  on conflict (depot_id) do update set last_seq = w.last_seq + 1, updated_at = now()
  returning w.last_seq into next_seq;

  if tg_op = 'UPDATE' then
    select coalesce(jsonb_object_agg(n.key, jsonb_build_object('old', o.value, 'new', n.value)), '{}'::jsonb)
      into diff
      from jsonb_each(to_jsonb(new)) n
      join jsonb_each(to_jsonb(old)) o using (key)
     where n.value is distinct from o.value and n.key not in ('version', 'updated_at');
  end if;

  insert into public.shipment_events (depot_id, seq, shipment_id, operation, version, status, actor_id, changes, record)
  values (depot, next_seq, coalesce(new.id, old.id), tg_op, coalesce(new.version, old.version),
          coalesce(new.status, old.status), auth.uid(), diff, record_after);

  message := jsonb_build_object(
    'seq', next_seq,
    'depot_id', depot,
    'id', coalesce(new.id, old.id),
    'version', coalesce(new.version, old.version),
    'operation', tg_op,
    'changed', (select coalesce(jsonb_agg(k), '[]'::jsonb) from jsonb_object_keys(diff) k),
    'record', record_after
  );

  -- Dispatchers of the depot: every change.
  perform realtime.send(message, 'shipment_changed', 'depot:' || depot::text, true);

  -- The assigned driver: changes to their shipments; a previous driver learns
  -- that the shipment left their list, without seeing the row any more.
  if new.driver_id is not null then
    perform realtime.send(message, 'shipment_changed', 'driver:' || new.driver_id::text, true);
  end if;
  if tg_op <> 'INSERT' and old.driver_id is not null and old.driver_id is distinct from new.driver_id then
    perform realtime.send(
      jsonb_build_object('seq', next_seq, 'depot_id', depot, 'id', old.id,
                         'version', coalesce(new.version, old.version)),
      'shipment_removed', 'driver:' || old.driver_id::text, true);
  end if;

  return null;
end;
$$;

create trigger shipments_publish_change
  after insert or update or delete on public.shipments
  for each row execute function public.publish_shipment_change();

-- The watermark a server render hands to the client: "you have everything up
-- to here; subscribe, then ask for events after it". Runs as the caller, so
-- it answers only for depots the caller belongs to (null otherwise).
create function public.depot_watermark(depot uuid) returns bigint
language sql stable
set search_path = ''
as $$
  select w.last_seq from public.depot_watermarks w where w.depot_id = depot
$$;
