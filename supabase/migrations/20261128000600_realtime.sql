-- Realtime wiring.
--
-- Topics (all private, authorized by the policies on realtime.messages):
--   depot:<depot id>:live  presence (who is online, who views or edits what) and
--                          ephemeral broadcasts (driver positions, edit markers).
--                          Read and write: every member of the depot. (Below.)
--   shipments:<depot id>   committed shipment changes, and shipments:@<user id>
--                          a driver's own: the live table's topics, see
--                          20261201000200_shipments_live.sql.

-- Postgres Changes for shipments.
-- REPLICA IDENTITY FULL: the WAL then carries the whole previous row on UPDATE
-- and DELETE. Without it the old row holds only the primary key, so a
-- subscription filtered by depot (`depot_id=eq.<id>`) would never match a
-- DELETE, and UPDATE subscribers could not see what a row changed from. The
-- cost is a larger WAL record per update, acceptable for a table of this size
-- and write rate. (Realtime still trims old_record to what the subscriber may see.)
alter table public.shipments replica identity full;
alter publication supabase_realtime add table public.shipments;

-- Parses 'depot:<uuid>:live' (kind 'live'); anything else gives null, so a
-- malformed topic matches no policy.
create function public.depot_id_of_topic(topic text, kind text) returns uuid
language sql immutable
set search_path = ''
as $$
  select case
    when kind = 'live' and topic ~ '^depot:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:live$'
      then substr(topic, 7, 36)::uuid
  end
$$;

create policy "Depot members can see presence and live broadcasts of their depots"
  on realtime.messages for select to authenticated
  using (
    extension in ('broadcast', 'presence')
    and (select public.is_depot_member(public.depot_id_of_topic(realtime.topic(), 'live')))
  );

create policy "Depot members can share presence and positions on their depots' live topic"
  on realtime.messages for insert to authenticated
  with check (
    extension in ('broadcast', 'presence')
    and (select public.is_depot_member(public.depot_id_of_topic(realtime.topic(), 'live')))
  );
