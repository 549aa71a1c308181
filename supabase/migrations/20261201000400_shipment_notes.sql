-- Notes on a shipment between the depot's dispatchers and its assigned driver:
-- the second live feature, built only from live.publish.
--
-- Readable by exactly those who can see the shipment (the policy reads
-- public.shipments as the caller, so its RLS decides). Live: scope = depot
-- (`shipment_notes:<depot id>`, the depot's dispatchers, like shipments) and
-- audience = the shipment's driver (`shipment_notes:@<driver id>`), kept in
-- step with the shipment when it is reassigned, so the new driver receives the
-- thread and the previous one is told it left.

create table public.shipment_notes (
  id uuid primary key default gen_random_uuid(),
  shipment_id uuid not null references public.shipments (id) on delete cascade,
  -- Copied from the shipment by a trigger, never taken from the writer.
  depot_id uuid not null references public.depots (id),
  driver_id uuid references public.profiles (id),
  author_id uuid not null default auth.uid() references public.profiles (id),
  body text not null check (length(btrim(body)) between 1 and 2000),
  created_at timestamptz not null default now()
);
create index shipment_notes_shipment_id_idx on public.shipment_notes (shipment_id, created_at);
create index shipment_notes_depot_id_idx on public.shipment_notes (depot_id);
create index shipment_notes_driver_id_idx on public.shipment_notes (driver_id);
comment on table public.shipment_notes is 'Notes on a shipment, readable by whoever can see the shipment. A live table (scope depot, audience driver).';

create function public.fill_shipment_note() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  select s.depot_id, s.driver_id into new.depot_id, new.driver_id
    from public.shipments s where s.id = new.shipment_id;
  new.author_id := coalesce(auth.uid(), new.author_id);
  new.created_at := now();
  return new;
end;
$$;

create trigger shipment_notes_fill
  before insert on public.shipment_notes
  for each row execute function public.fill_shipment_note();

create function public.sync_shipment_note_audience() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  update public.shipment_notes n set driver_id = new.driver_id
   where n.shipment_id = new.id and n.driver_id is distinct from new.driver_id;
  return null;
end;
$$;

create trigger shipments_sync_note_audience
  after update of driver_id on public.shipments
  for each row when (old.driver_id is distinct from new.driver_id)
  execute function public.sync_shipment_note_audience();

revoke execute on function public.fill_shipment_note(), public.sync_shipment_note_audience()
  from public, anon, authenticated;

alter table public.shipment_notes enable row level security;

create policy "People who can see a shipment can read its notes"
  on public.shipment_notes for select to authenticated
  using (exists (select 1 from public.shipments s where s.id = shipment_id));

create policy "People who can see a shipment can add notes to it"
  on public.shipment_notes for insert to authenticated
  with check (author_id = (select auth.uid()) and exists (select 1 from public.shipments s where s.id = shipment_id));

-- Notes are a record of what was said: nobody edits or deletes them.
revoke update, delete, truncate on public.shipment_notes from anon, authenticated;

select live.publish('public.shipment_notes', 'depot_id',
                    scope_check => 'public.is_depot_dispatcher(uuid)',
                    audience_column => 'driver_id');

-- Who read a shipment's notes up to when (database time, compared with the
-- notes' created_at: one clock). Each person sees and writes only their own.
create table public.shipment_note_reads (
  -- References auth.users, not public.profiles: with foreign keys to both
  -- profiles and shipments in its primary key, PostgREST would take this table
  -- for a many-to-many junction and `shipments?select=*,profiles(*)` would turn
  -- ambiguous (PGRST201).
  user_id uuid not null references auth.users (id) on delete cascade,
  shipment_id uuid not null references public.shipments (id) on delete cascade,
  read_at timestamptz not null default now(),
  primary key (user_id, shipment_id)
);
alter table public.shipment_note_reads enable row level security;
revoke delete, truncate on public.shipment_note_reads from anon, authenticated;

create policy "People read their own note read markers"
  on public.shipment_note_reads for select to authenticated
  using (user_id = (select auth.uid()));

create policy "People mark notes read on shipments they can see"
  on public.shipment_note_reads for insert to authenticated
  with check (user_id = (select auth.uid()) and exists (select 1 from public.shipments s where s.id = shipment_id));

create policy "People move their own read markers on shipments they can see"
  on public.shipment_note_reads for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()) and exists (select 1 from public.shipments s where s.id = shipment_id));

-- Marks a shipment's notes read for the caller, at database time (never the
-- browser's clock). Runs as the caller: the policies above refuse a shipment
-- they cannot see.
create function public.mark_shipment_notes_read(shipment uuid) returns timestamptz
language sql
set search_path = ''
as $$
  insert into public.shipment_note_reads as r (user_id, shipment_id, read_at)
  values ((select auth.uid()), shipment, now())
  on conflict (user_id, shipment_id) do update set read_at = greatest(r.read_at, excluded.read_at)
  returning r.read_at
$$;
revoke execute on function public.mark_shipment_notes_read(uuid) from public, anon;
grant execute on function public.mark_shipment_notes_read(uuid) to authenticated;
