-- Membership checks used by the RLS policies.
--
-- They are SECURITY DEFINER so a policy on one table can consult depot_members
-- and profiles without those tables' own policies recursing into each other.
-- Each reads only the caller's own rows (auth.uid()), so they reveal nothing.

create function public.is_depot_member(depot uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.depot_members m
    where m.depot_id = depot and m.user_id = (select auth.uid())
  )
$$;

create function public.is_depot_dispatcher(depot uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.depot_members m
    join public.profiles p on p.id = m.user_id
    where m.depot_id = depot and m.user_id = (select auth.uid()) and p.role = 'dispatcher'
  )
$$;

create function public.shares_depot_with(other_user uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.depot_members mine
    join public.depot_members theirs on theirs.depot_id = mine.depot_id
    where mine.user_id = (select auth.uid()) and theirs.user_id = other_user
  )
$$;

revoke execute on function public.is_depot_member(uuid), public.is_depot_dispatcher(uuid),
  public.shares_depot_with(uuid) from public, anon;
grant execute on function public.is_depot_member(uuid), public.is_depot_dispatcher(uuid),
  public.shares_depot_with(uuid) to authenticated, service_role;
