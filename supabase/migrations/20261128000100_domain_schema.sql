-- Domain schema of the sample app: depots (the unit of tenancy), the people who
-- work in them, and the shipments they move. Security is added in later
-- migrations; this one only says what the data is.

create type public.app_role as enum ('dispatcher', 'driver');

create type public.shipment_status as enum (
  'pending', 'assigned', 'picked_up', 'in_transit', 'delivered', 'failed', 'cancelled'
);

create table public.depots (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (length(name) between 1 and 100),
  -- The area the offline map panel draws, in WGS84 degrees.
  min_lat double precision not null check (min_lat between -90 and 90),
  min_lng double precision not null check (min_lng between -180 and 180),
  max_lat double precision not null check (max_lat between -90 and 90),
  max_lng double precision not null check (max_lng between -180 and 180),
  created_at timestamptz not null default now(),
  check (min_lat < max_lat and min_lng < max_lng)
);
comment on table public.depots is 'A depot is the unit of tenancy: every shipment and membership belongs to one.';

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  full_name text not null check (length(full_name) between 1 and 200),
  role public.app_role not null,
  created_at timestamptz not null default now()
);
comment on table public.profiles is 'One row per auth.users row: display name and role.';

create table public.depot_members (
  depot_id uuid not null references public.depots (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (depot_id, user_id)
);
create index depot_members_user_id_idx on public.depot_members (user_id);
comment on table public.depot_members is 'Who works in which depot. Dispatchers may belong to several depots, drivers to exactly one.';

-- A driver belongs to one depot: a cross-table rule, so a trigger rather than a constraint.
create function public.ensure_driver_has_one_depot() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from public.profiles p where p.id = new.user_id and p.role = 'driver')
     and exists (select 1 from public.depot_members m
                 where m.user_id = new.user_id and m.depot_id <> new.depot_id) then
    raise exception 'A driver belongs to exactly one depot'
      using errcode = '23514', hint = 'Remove the driver from their current depot first.';
  end if;
  return new;
end;
$$;

create trigger depot_members_driver_has_one_depot
  before insert or update on public.depot_members
  for each row execute function public.ensure_driver_has_one_depot();

create table public.shipments (
  id uuid primary key default gen_random_uuid(),
  depot_id uuid not null references public.depots (id),
  reference text not null unique check (reference ~ '^[A-Z0-9-]{3,32}$'),
  recipient text not null check (length(recipient) between 1 and 200),
  address text not null check (length(address) between 1 and 500),
  status public.shipment_status not null default 'pending',
  driver_id uuid references public.profiles (id),
  eta timestamptz,
  last_lat double precision check (last_lat between -90 and 90),
  last_lng double precision check (last_lng between -180 and 180),
  last_position_at timestamptz,
  -- Incremented by a trigger on every update; clients use it to discard stale deltas
  -- and as an optimistic-concurrency guard (update ... where version = n).
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint shipments_pending_has_no_driver check (status <> 'pending' or driver_id is null),
  constraint shipments_in_progress_has_driver
    check (status not in ('assigned', 'picked_up', 'in_transit') or driver_id is not null),
  constraint shipments_position_is_complete check ((last_lat is null) = (last_lng is null))
);
create index shipments_depot_id_status_idx on public.shipments (depot_id, status);
create index shipments_driver_id_idx on public.shipments (driver_id);
comment on table public.shipments is 'Parcels moving through a depot. status moves along the transitions in public.allowed_next_statuses.';
