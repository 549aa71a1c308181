-- Row-level security: who sees and changes which row. This is the only place
-- visibility is decided; REST, Postgres Changes and the app all go through it.
-- service_role bypasses RLS (BYPASSRLS), as on Supabase.

alter table public.depots enable row level security;
alter table public.profiles enable row level security;
alter table public.depot_members enable row level security;
alter table public.shipments enable row level security;

-- depots ------------------------------------------------------------------------
create policy "Members can read their depots"
  on public.depots for select to authenticated
  using ((select public.is_depot_member(id)));

-- profiles ----------------------------------------------------------------------
create policy "Users can read their own profile"
  on public.profiles for select to authenticated
  using (id = (select auth.uid()));

create policy "Users can read the profiles of people in their depots"
  on public.profiles for select to authenticated
  using ((select public.shares_depot_with(id)));

-- Only the display name is user-editable; the role is set by an admin.
revoke update on public.profiles from authenticated;
grant update (full_name) on public.profiles to authenticated;
create policy "Users can update their own display name"
  on public.profiles for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

-- depot_members -----------------------------------------------------------------
create policy "Members can read the memberships of their depots"
  on public.depot_members for select to authenticated
  using ((select public.is_depot_member(depot_id)));

-- shipments ---------------------------------------------------------------------
create policy "Dispatchers can read shipments of their depots"
  on public.shipments for select to authenticated
  using ((select public.is_depot_dispatcher(depot_id)));

create policy "Drivers can read shipments assigned to them"
  on public.shipments for select to authenticated
  using (driver_id = (select auth.uid()));

create policy "Dispatchers can create shipments in their depots"
  on public.shipments for insert to authenticated
  with check ((select public.is_depot_dispatcher(depot_id)));

create policy "Dispatchers can update shipments of their depots"
  on public.shipments for update to authenticated
  using ((select public.is_depot_dispatcher(depot_id)))
  with check ((select public.is_depot_dispatcher(depot_id)));

-- What a driver may change (status forward, position) is checked by the
-- shipments_enforce_rules trigger; this policy only says which rows.
create policy "Drivers can update shipments assigned to them"
  on public.shipments for update to authenticated
  using (driver_id = (select auth.uid()))
  with check (driver_id = (select auth.uid()));

-- No delete policy: people cancel shipments, they do not erase them.

-- The change history and watermarks of shipments live in the `live` schema
-- (20261201000200_shipments_live.sql); their rule is live.can_read_scope.

-- Functions that only triggers should run are not part of the API.
revoke execute on function public.enforce_shipment_rules(), public.ensure_driver_has_one_depot()
  from public, anon, authenticated;
